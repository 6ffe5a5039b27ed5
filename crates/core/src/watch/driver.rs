//! The watch loop: the one place that decides. It feeds the activity table
//! from the streams' events, closes every conversation that falls due
//! through the guarded close (re-read, then the idle guard), sweeps each
//! gap the streams report and, periodically, the whole lookback, and stops
//! on cancellation at once (in-flight closes and streams are dropped).

use super::channel::{self, Queue, MAX_TOPICS_PER_CHANNEL};
use super::policy;
use super::stream::{self, now_ms, Feed, StreamSpec};
use super::table::{Observed, Table};
use super::{WatchEvent, WatchEventKind, WatchOptions, WatchReport, WatchSink};
use crate::activity::parse_time;
use crate::close::{self, CloseOptions, CloseResult, Outcome, SkipReason};
use crate::discover::{self, FindOptions};
use crate::error::{Error, ErrorCode};
use crate::stats::Totals;
use crate::transport::{CallStats, Transport};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long the first periodic sweep waits for every stream to be subscribed
/// (so nothing created in between is missed) before it runs anyway.
const FIRST_SWEEP_WAIT: Duration = Duration::from_secs(15);
/// After a failed sweep, the next try waits this long.
const SWEEP_RETRY: Duration = Duration::from_secs(5);

/// What a guarded close's result means for the table. Pure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Settlement {
    Closed,
    WouldClose,
    /// Already ended, or gone.
    Gone,
    /// Left open for good (not an allowed message type).
    Skipped,
    /// No timestamp at all: untracked; a later sweep may bring it back.
    Unknown,
    /// Active after all: watch on, due again from `last_ms`, not before `not_before_ms`.
    Spared {
        last_ms: u64,
        not_before_ms: u64,
    },
    Failed,
    /// The watch is stopping.
    Stopped,
}

fn epoch_ms(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub(crate) fn settle(result: &Result<CloseResult, Error>, now_ms: u64) -> Settlement {
    let r = match result {
        Ok(r) => r,
        Err(e) if e.code == ErrorCode::Aborted => return Settlement::Stopped,
        Err(_) => return Settlement::Failed,
    };
    match (r.outcome, r.skip_reason) {
        (Outcome::Closed, _) => Settlement::Closed,
        (Outcome::WouldClose, _) => Settlement::WouldClose,
        (Outcome::AlreadyClosed | Outcome::NotFound, _) => Settlement::Gone,
        (Outcome::Skipped, Some(SkipReason::Active)) => {
            let a = r.activity.as_ref();
            Settlement::Spared {
                // Without a readable time the guard said "active": now is the safe reading.
                last_ms: a.and_then(|a| a.last).map_or(now_ms, epoch_ms),
                not_before_ms: a.and_then(|a| a.inactivity_timeout).map_or(0, epoch_ms),
            }
        }
        (Outcome::Skipped, Some(SkipReason::ActivityUnknown)) => Settlement::Unknown,
        (Outcome::Skipped, _) => Settlement::Skipped,
    }
}

type Closing = (String, Result<CloseResult, Error>, CallStats);

async fn close_one(
    t: &Transport,
    id: String,
    opts: &CloseOptions,
    cancel: &CancellationToken,
) -> Closing {
    let (r, stats) = close::close_valid_id(t, id.clone(), opts, cancel).await;
    (id, r, stats)
}

/// Open conversations found by a sweep: id and start (epoch ms).
struct Swept {
    found: Vec<(String, u64)>,
    totals: Totals,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SweepKind {
    Gap,
    Periodic,
}

type SweepFuture<'a> =
    Pin<Box<dyn Future<Output = (SweepKind, u32, Result<Swept, Error>)> + Send + 'a>>;

/// Every open conversation of the wanted types that started in `lookback`:
/// analytics nominates, the table schedules, the guarded close decides.
fn sweep<'a>(
    t: &'a Transport,
    kind: SweepKind,
    gaps: u32,
    lookback: Duration,
    message_types: Vec<String>,
    cancel: &'a CancellationToken,
) -> SweepFuture<'a> {
    Box::pin(async move {
        let opts = FindOptions {
            idle_for: Duration::ZERO,
            lookback,
            message_types,
            ..FindOptions::default()
        };
        let r = discover::find_candidates(t, &opts, cancel)
            .await
            .map(|c| Swept {
                found: c
                    .candidates
                    .into_iter()
                    .map(|c| {
                        let start = parse_time(&c.started_at).map_or(0, epoch_ms);
                        (c.conversation_id, start)
                    })
                    .collect(),
                totals: c.totals,
            });
        (kind, gaps, r)
    })
}

/// Queues to watch. Listing needs `routing:queue:view`; when it is refused
/// and every wanted queue is given by id, those ids are watched as given.
async fn queues(
    t: &Transport,
    opts: &WatchOptions,
    cancel: &CancellationToken,
) -> Result<Vec<Queue>, Error> {
    match channel::list_queues(t, cancel).await {
        Ok(all) => channel::resolve_queues(&all, opts.queues.as_deref()),
        Err(e) if e.code == ErrorCode::MissingPermission => match &opts.queues {
            Some(ids) if ids.iter().all(|q| crate::ids::is_uuid(q)) => Ok(ids
                .iter()
                .map(|id| Queue {
                    id: id.to_ascii_lowercase(),
                    name: String::new(),
                })
                .collect()),
            _ => Err(Error {
                message: format!(
                    "{} Watch mode lists the queues to subscribe to: grant routing:queue:view, or pass queues by id.",
                    e.message
                ),
                ..e
            }),
        },
        Err(e) => Err(e),
    }
}

fn emit(sink: &Option<WatchSink>, e: WatchEvent) {
    if let Some(s) = sink {
        s(e);
    }
}

/// Runs until `cancel` fires; then returns what it did.
pub async fn watch(
    t: Arc<Transport>,
    opts: WatchOptions,
    sink: Option<WatchSink>,
    cancel: &CancellationToken,
) -> Result<WatchReport, Error> {
    let started = Instant::now();
    if cancel.is_cancelled() {
        return Err(Error::aborted());
    }
    let queues = queues(&t, &opts, cancel).await?;
    let stop = cancel.child_token();
    let (tx, mut rx) = mpsc::channel::<Feed>(1024);
    let mut report = WatchReport {
        dry_run: opts.dry_run,
        topics: queues.len() as u32,
        ..WatchReport::default()
    };
    let streams: Vec<_> = queues
        .chunks(MAX_TOPICS_PER_CHANNEL)
        .enumerate()
        .map(|(index, chunk)| {
            let spec = StreamSpec {
                index,
                queues: chunk.to_vec(),
                message_types: opts.message_types.clone(),
                connect_timeout: Duration::from_secs(16),
            };
            tokio::spawn(stream::run(t.clone(), spec, tx.clone(), stop.clone()))
        })
        .collect();
    drop(tx);
    report.channels = streams.len() as u32;
    let outcome = run(&t, &opts, &sink, &stop, &mut rx, streams.len(), &mut report).await;
    stop.cancel();
    for s in &streams {
        s.abort();
    }
    report.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    outcome.map(|()| report)
}

#[allow(clippy::too_many_arguments)]
async fn run(
    t: &Transport,
    opts: &WatchOptions,
    sink: &Option<WatchSink>,
    stop: &CancellationToken,
    rx: &mut mpsc::Receiver<Feed>,
    stream_count: usize,
    report: &mut WatchReport,
) -> Result<(), Error> {
    let idle_ms = opts.idle.as_millis() as u64;
    let mut table = Table::new(idle_ms, opts.max_tracked as usize);
    let close_opts = CloseOptions {
        idle_for: Some(opts.idle),
        message_types: opts.message_types.clone(),
        dry_run: opts.dry_run,
        ..CloseOptions::default()
    };
    let mut closes = FuturesUnordered::new();
    let mut sweeping: Option<SweepFuture<'_>> = None;
    // The earliest start of the gaps not yet swept, and how many they are.
    let mut gap_from: Option<u64> = None;
    let mut gaps_pending: u32 = 0;
    let mut sweep_not_before = Instant::now();
    let mut next_periodic = if stream_count == 0 {
        Instant::now()
    } else {
        Instant::now() + FIRST_SWEEP_WAIT
    };
    let mut first_ups = vec![false; stream_count];
    let mut streams_open = stream_count;
    loop {
        while closes.len() < opts.concurrency as usize {
            match table.pop_due(now_ms()) {
                Some(id) => closes.push(close_one(t, id, &close_opts, stop)),
                None => break,
            }
        }
        let now = Instant::now();
        if sweeping.is_none() && now >= sweep_not_before {
            if let Some(from) = gap_from.take() {
                let lookback = policy::gap_lookback(from, now_ms());
                let n = std::mem::take(&mut gaps_pending);
                sweeping = Some(sweep(
                    t,
                    SweepKind::Gap,
                    n,
                    lookback,
                    opts.message_types.clone(),
                    stop,
                ));
            } else if now >= next_periodic {
                next_periodic = now + opts.reconcile_every;
                sweeping = Some(sweep(
                    t,
                    SweepKind::Periodic,
                    0,
                    opts.lookback,
                    opts.message_types.clone(),
                    stop,
                ));
            }
        }
        // At the concurrency limit a due conversation waits for a close to end.
        let full = closes.len() >= opts.concurrency as usize;
        let wake_due = (!full)
            .then(|| table.next_deadline())
            .flatten()
            .map(|due| Instant::now() + Duration::from_millis(due.saturating_sub(now_ms())));
        let wake_sweep = if sweeping.is_none() {
            Some(if gap_from.is_some() {
                sweep_not_before
            } else {
                next_periodic.max(sweep_not_before)
            })
        } else {
            None
        };
        tokio::select! {
            biased;
            _ = stop.cancelled() => {
                report.tracked = table.len() as u32;
                return Ok(());
            }
            Some((id, result, stats)) = closes.next(), if !closes.is_empty() => {
                report.totals += &stats;
                settle_close(&mut table, report, sink, id, &result);
            }
            done = async { sweeping.as_mut().expect("guarded").await }, if sweeping.is_some() => {
                sweeping = None;
                let (kind, gaps, r) = done;
                match r {
                    Ok(s) => {
                        report.totals += s.totals;
                        let count = s.found.len() as u32;
                        for (id, start) in s.found {
                            if table.observe(&id, start) == Observed::Refused {
                                report.untracked += 1;
                            }
                        }
                        let what = match kind {
                            SweepKind::Gap => { report.gaps_reconciled += gaps; "gap" }
                            SweepKind::Periodic => { report.periodic_sweeps += 1; "periodic" }
                        };
                        emit(sink, WatchEvent { reason: Some(what.into()), count: Some(count), ..WatchEvent::new(WatchEventKind::Reconciled) });
                    }
                    Err(e) if e.code == ErrorCode::Aborted => return Ok(()),
                    Err(e) => {
                        if kind == SweepKind::Gap {
                            // Try the same span again (a gap must not be lost).
                            gaps_pending += gaps;
                            let from = now_ms().saturating_sub(policy::GAP_MARGIN.as_millis() as u64);
                            gap_from = Some(gap_from.map_or(from, |g| g.min(from)));
                        }
                        sweep_not_before = Instant::now() + SWEEP_RETRY;
                        emit(sink, WatchEvent { reason: Some(format!("reconciliation sweep failed: {}", e.message)), code: Some(e.code.as_str()), ..WatchEvent::new(WatchEventKind::Failed) });
                    }
                }
            }
            msg = rx.recv(), if streams_open > 0 => match msg {
                None => streams_open = 0,
                Some(Feed::Fatal(e)) => return Err(e),
                Some(Feed::Up { stream, channel_id, gap, renewed, rejected }) => {
                    if let Some((from, _)) = gap {
                        gap_from = Some(gap_from.map_or(from, |g| g.min(from)));
                        gaps_pending += 1;
                        if renewed { report.renewals += 1 } else { report.reconnects += 1 }
                    }
                    for r in rejected {
                        if !report.rejected_topics.iter().any(|x| x.topic == r.topic) {
                            emit(sink, WatchEvent { reason: Some(format!("{} ({}): {}", r.topic, r.queue_name, r.reason)), ..WatchEvent::new(WatchEventKind::RejectedTopic) });
                            report.rejected_topics.push(r);
                        }
                    }
                    if let Some(seen) = first_ups.get_mut(stream) {
                        *seen = true;
                    }
                    if first_ups.iter().all(|s| *s) && report.periodic_sweeps == 0 && sweeping.is_none() {
                        next_periodic = next_periodic.min(Instant::now());
                    }
                    emit(sink, WatchEvent { channel_id: Some(channel_id), reason: renewed.then(|| "renewed".to_string()), ..WatchEvent::new(WatchEventKind::Connected) });
                }
                Some(Feed::Down { reason, .. }) => {
                    emit(sink, WatchEvent { reason: Some(reason), ..WatchEvent::new(WatchEventKind::Disconnected) });
                }
                Some(Feed::Conversation(e)) => {
                    report.events_seen += 1;
                    if e.ended || !e.wanted {
                        table.finish(&e.id);
                    } else if table.observe(&e.id, e.last_ms.unwrap_or_else(now_ms)) == Observed::Refused {
                        report.untracked += 1;
                    }
                }
            },
            _ = sleep_opt(wake_due) => {}
            _ = sleep_opt(wake_sweep) => {}
        }
        report.tracked = table.len() as u32;
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn settle_close(
    table: &mut Table,
    report: &mut WatchReport,
    sink: &Option<WatchSink>,
    id: String,
    result: &Result<CloseResult, Error>,
) {
    let last = result
        .as_ref()
        .ok()
        .and_then(|r| r.activity.as_ref())
        .and_then(|a| a.last_at.clone());
    let event = |kind| WatchEvent {
        conversation_id: Some(id.clone()),
        last_activity_at: last.clone(),
        ..WatchEvent::new(kind)
    };
    match settle(result, now_ms()) {
        Settlement::Closed => {
            report.closed += 1;
            table.finish(&id);
            emit(sink, event(WatchEventKind::Closed));
        }
        Settlement::WouldClose => {
            report.would_close += 1;
            table.finish(&id);
            emit(sink, event(WatchEventKind::WouldClose));
        }
        Settlement::Gone => {
            report.already_closed += 1;
            table.finish(&id);
        }
        Settlement::Skipped => {
            report.skipped += 1;
            table.finish(&id);
        }
        Settlement::Unknown => {
            report.skipped += 1;
            table.forget(&id);
        }
        Settlement::Spared {
            last_ms,
            not_before_ms,
        } => {
            report.spared_active += 1;
            table.reschedule(&id, last_ms, not_before_ms);
            emit(sink, event(WatchEventKind::Spared));
        }
        Settlement::Failed => {
            report.failed += 1;
            table.forget(&id);
            if let Err(e) = result {
                emit(
                    sink,
                    WatchEvent {
                        reason: Some(e.message.clone()),
                        code: Some(e.code.as_str()),
                        ..event(WatchEventKind::Failed)
                    },
                );
            }
        }
        Settlement::Stopped => {
            table.forget(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{Activity, ActivitySource};
    use crate::close::CloseMethod;
    use std::time::SystemTime;

    fn result(
        outcome: Outcome,
        skip: Option<SkipReason>,
        last: Option<u64>,
        timer: Option<u64>,
    ) -> Result<CloseResult, Error> {
        let at = |ms: u64| SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        Ok(CloseResult {
            conversation_id: "c".into(),
            outcome,
            reason: None,
            skip_reason: skip,
            activity: Some(Activity {
                last_at: None,
                last: last.map(at),
                source: ActivitySource::Messages,
                inactivity_timeout: timer.map(at),
            }),
            method: CloseMethod::None,
            participants_disconnected: 0,
            stats: CallStats::default(),
            elapsed_ms: 0.0,
        })
    }

    #[test]
    fn close_results_settle_the_table() {
        let table = vec![
            (
                result(Outcome::Closed, None, None, None),
                Settlement::Closed,
            ),
            (
                result(Outcome::WouldClose, None, None, None),
                Settlement::WouldClose,
            ),
            (
                result(Outcome::AlreadyClosed, None, None, None),
                Settlement::Gone,
            ),
            (
                result(Outcome::NotFound, None, None, None),
                Settlement::Gone,
            ),
            (
                result(Outcome::Skipped, Some(SkipReason::MessageType), None, None),
                Settlement::Skipped,
            ),
            (
                result(
                    Outcome::Skipped,
                    Some(SkipReason::ActivityUnknown),
                    None,
                    None,
                ),
                Settlement::Unknown,
            ),
            (
                result(Outcome::Skipped, Some(SkipReason::Active), Some(500), None),
                Settlement::Spared {
                    last_ms: 500,
                    not_before_ms: 0,
                },
            ),
            (
                result(
                    Outcome::Skipped,
                    Some(SkipReason::Active),
                    Some(500),
                    Some(9000),
                ),
                Settlement::Spared {
                    last_ms: 500,
                    not_before_ms: 9000,
                },
            ),
            (
                result(Outcome::Skipped, Some(SkipReason::Active), None, None),
                Settlement::Spared {
                    last_ms: 7777,
                    not_before_ms: 0,
                },
            ),
            (Err(Error::aborted()), Settlement::Stopped),
            (
                Err(Error::new(ErrorCode::Upstream, "x")),
                Settlement::Failed,
            ),
        ];
        for (r, want) in table {
            assert_eq!(settle(&r, 7777), want, "{r:?}");
        }
    }
}
