//! The watch loop: the one place that decides. It feeds the activity table
//! from the streams' events, closes every conversation that falls due
//! through the guarded close (re-read, then the idle guard), sweeps each
//! gap the streams report and, periodically, the whole lookback, and stops
//! on cancellation at once (in-flight closes and streams are dropped).

use super::after_read::RecentCloses;
use super::channel::{self, Queue, MAX_TOPICS_PER_CHANNEL};
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
/// A gap's sweep waits this long after the reconnect, so that a socket
/// flapping a few times in a row costs one sweep over the lookback, not one
/// per reconnect (later gaps join the pending one; they never postpone it).
const GAP_SETTLE: Duration = Duration::from_secs(1);

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

/// Runs until `cancel` fires; then returns what it did. Ends early with the
/// error when the token is rejected and cannot be refreshed (see [`ends_watch`]).
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

/// A failure that ends the watch instead of waiting for a later try: the
/// token was refused and cannot be refreshed (a static `accessToken` that
/// expired or was revoked). A client-credentials client fetches a new token
/// after a 401, so its 401s are left to the next try.
pub(crate) fn ends_watch(e: &Error, can_refresh: bool) -> bool {
    e.code == ErrorCode::Unauthorized && !can_refresh
}

/// The loop's state between two wake-ups (everything but the futures).
struct Loop<'a> {
    opts: &'a WatchOptions,
    sink: &'a Option<WatchSink>,
    can_refresh: bool,
    table: Table,
    recent: RecentCloses,
    /// Gaps reported and not yet swept: one sweep covers them all.
    gaps_pending: u32,
    sweep_not_before: Instant,
    next_periodic: Instant,
    first_ups: Vec<bool>,
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
    let close_opts = CloseOptions {
        idle_for: Some(opts.idle),
        message_types: opts.message_types.clone(),
        dry_run: opts.dry_run,
        ..CloseOptions::default()
    };
    let mut st = Loop {
        opts,
        sink,
        can_refresh: t.auth().can_refresh(),
        table: Table::new(opts.idle.as_millis() as u64, opts.max_tracked as usize),
        recent: RecentCloses::default(),
        gaps_pending: 0,
        sweep_not_before: Instant::now(),
        next_periodic: Instant::now()
            + if stream_count == 0 {
                Duration::ZERO
            } else {
                FIRST_SWEEP_WAIT
            },
        first_ups: vec![false; stream_count],
    };
    let mut closes = FuturesUnordered::new();
    let mut sweeping: Option<SweepFuture<'_>> = None;
    let mut streams_open = stream_count;
    loop {
        while closes.len() < opts.concurrency as usize {
            match st.table.pop_due(now_ms()) {
                Some(id) => closes.push(close_one(t, id, &close_opts, stop)),
                None => break,
            }
        }
        if sweeping.is_none() {
            sweeping = st.next_sweep().map(|kind| {
                let gaps = std::mem::take(&mut st.gaps_pending);
                sweep(
                    t,
                    kind,
                    gaps,
                    opts.lookback,
                    opts.message_types.clone(),
                    stop,
                )
            });
        }
        // At the concurrency limit a due conversation waits for a close to end.
        let full = closes.len() >= opts.concurrency as usize;
        let wake_due = (!full)
            .then(|| st.table.next_deadline())
            .flatten()
            .map(|due| Instant::now() + Duration::from_millis(due.saturating_sub(now_ms())));
        let wake_sweep = sweeping.is_none().then(|| st.sweep_wake());
        tokio::select! {
            biased;
            _ = stop.cancelled() => {
                report.tracked = st.table.len() as u32;
                return Ok(());
            }
            Some((id, result, stats)) = closes.next(), if !closes.is_empty() => {
                report.totals += &stats;
                st.settle_close(report, id, &result);
                match result {
                    Err(e) if ends_watch(&e, st.can_refresh) => return Err(e),
                    _ => {}
                }
            }
            done = async { sweeping.as_mut().expect("guarded").await }, if sweeping.is_some() => {
                sweeping = None;
                st.swept(report, done)?;
            }
            msg = rx.recv(), if streams_open > 0 => match msg {
                None => streams_open = 0,
                Some(feed) => st.feed(report, feed)?,
            },
            _ = sleep_opt(wake_due) => {}
            _ = sleep_opt(wake_sweep) => {}
        }
        report.tracked = st.table.len() as u32;
    }
}

impl Loop<'_> {
    /// The sweep to start now, if any: a gap's first (it covers the whole
    /// lookback, since a conversation that started long before the gap can
    /// have been moved onto a watched queue or spoken in during it), else
    /// the periodic one when its time has come.
    fn next_sweep(&mut self) -> Option<SweepKind> {
        let now = Instant::now();
        if now < self.sweep_not_before {
            return None;
        }
        if self.gaps_pending > 0 {
            return Some(SweepKind::Gap);
        }
        if now >= self.next_periodic {
            self.next_periodic = now + self.opts.reconcile_every;
            return Some(SweepKind::Periodic);
        }
        None
    }

    fn sweep_wake(&self) -> Instant {
        if self.gaps_pending > 0 {
            self.sweep_not_before
        } else {
            self.next_periodic.max(self.sweep_not_before)
        }
    }

    fn swept(
        &mut self,
        report: &mut WatchReport,
        (kind, gaps, r): (SweepKind, u32, Result<Swept, Error>),
    ) -> Result<(), Error> {
        let s = match r {
            Ok(s) => s,
            Err(e) if e.code == ErrorCode::Aborted => return Ok(()),
            Err(e) if ends_watch(&e, self.can_refresh) => return Err(e),
            Err(e) => {
                // A gap must not be lost: its sweep is tried again.
                if kind == SweepKind::Gap {
                    self.gaps_pending += gaps;
                }
                self.sweep_not_before = Instant::now() + SWEEP_RETRY;
                emit(
                    self.sink,
                    WatchEvent {
                        reason: Some(format!("reconciliation sweep failed: {}", e.message)),
                        code: Some(e.code.as_str()),
                        ..WatchEvent::new(WatchEventKind::Failed)
                    },
                );
                return Ok(());
            }
        };
        report.totals += s.totals;
        let count = s.found.len() as u32;
        for (id, start) in s.found {
            if self.table.observe(&id, start) == Observed::Refused {
                report.untracked += 1;
            }
        }
        let what = match kind {
            SweepKind::Gap => {
                report.gaps_reconciled += gaps;
                // It swept the whole lookback: the periodic sweep can wait a
                // full interval again (once the first one has run).
                if report.periodic_sweeps > 0 {
                    self.next_periodic = self
                        .next_periodic
                        .max(Instant::now() + self.opts.reconcile_every);
                }
                "gap"
            }
            SweepKind::Periodic => {
                report.periodic_sweeps += 1;
                "periodic"
            }
        };
        emit(
            self.sink,
            WatchEvent {
                reason: Some(what.into()),
                count: Some(count),
                ..WatchEvent::new(WatchEventKind::Reconciled)
            },
        );
        Ok(())
    }

    fn feed(&mut self, report: &mut WatchReport, feed: Feed) -> Result<(), Error> {
        match feed {
            Feed::Fatal(e) => return Err(e),
            Feed::Up {
                stream,
                channel_id,
                gap,
                renewed,
                rejected,
            } => {
                if gap.is_some() {
                    if self.gaps_pending == 0 {
                        let settled = Instant::now() + GAP_SETTLE;
                        self.sweep_not_before = self.sweep_not_before.max(settled);
                    }
                    self.gaps_pending += 1;
                    if renewed {
                        report.renewals += 1
                    } else {
                        report.reconnects += 1
                    }
                }
                for r in rejected {
                    if !report.rejected_topics.iter().any(|x| x.topic == r.topic) {
                        emit(
                            self.sink,
                            WatchEvent {
                                reason: Some(format!(
                                    "{} ({}): {}",
                                    r.topic, r.queue_name, r.reason
                                )),
                                ..WatchEvent::new(WatchEventKind::RejectedTopic)
                            },
                        );
                        report.rejected_topics.push(r);
                    }
                }
                if let Some(seen) = self.first_ups.get_mut(stream) {
                    *seen = true;
                }
                if self.first_ups.iter().all(|s| *s) && report.periodic_sweeps == 0 {
                    self.next_periodic = self.next_periodic.min(Instant::now());
                }
                emit(
                    self.sink,
                    WatchEvent {
                        channel_id: Some(channel_id),
                        reason: renewed.then(|| "renewed".to_string()),
                        ..WatchEvent::new(WatchEventKind::Connected)
                    },
                );
            }
            Feed::Down { reason } => {
                emit(
                    self.sink,
                    WatchEvent {
                        reason: Some(reason),
                        ..WatchEvent::new(WatchEventKind::Disconnected)
                    },
                );
            }
            Feed::Conversation(e) => {
                report.events_seen += 1;
                if self.recent.reveals(&e.id, e.last_message_ms, now_ms()) {
                    report.activity_after_read += 1;
                    let at = e.last_message_ms.map(|ms| {
                        humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms))
                            .to_string()
                    });
                    emit(self.sink, WatchEvent { conversation_id: Some(e.id.clone()), last_activity_at: at, reason: Some("a notification after the close shows a message newer than the read it was decided on".into()), ..WatchEvent::new(WatchEventKind::ActivityAfterRead) });
                }
                if e.ended || !e.wanted {
                    self.table.finish(&e.id);
                } else if self.table.observe(&e.id, e.last_ms.unwrap_or_else(now_ms))
                    == Observed::Refused
                {
                    report.untracked += 1;
                }
            }
        }
        Ok(())
    }

    fn settle_close(
        &mut self,
        report: &mut WatchReport,
        id: String,
        result: &Result<CloseResult, Error>,
    ) {
        let (table, sink) = (&mut self.table, self.sink);
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
                let Ok(r) = result else { return };
                if let Some(after) = &r.activity_after_read {
                    report.activity_after_read += 1;
                    emit(sink, WatchEvent { last_activity_at: Some(after.clone()), reason: Some("the close's answer shows activity newer than the read it was decided on".into()), ..event(WatchEventKind::ActivityAfterRead) });
                } else if let Some(read_last) = r.activity.as_ref().and_then(|a| a.last) {
                    self.recent.closed(&id, epoch_ms(read_last), now_ms());
                }
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
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
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
            activity_after_read: None,
            method: CloseMethod::None,
            participants_disconnected: 0,
            stats: CallStats::default(),
            elapsed_ms: 0.0,
        })
    }

    #[test]
    fn only_a_token_that_cannot_be_refreshed_ends_the_watch() {
        let unauthorized = Error::new(ErrorCode::Unauthorized, "expired");
        let table = [(&unauthorized, false, true), (&unauthorized, true, false)];
        for (e, can_refresh, want) in table {
            assert_eq!(ends_watch(e, can_refresh), want, "{can_refresh}");
        }
        for code in [
            ErrorCode::Upstream,
            ErrorCode::RateLimited,
            ErrorCode::Network,
            ErrorCode::Forbidden,
        ] {
            assert!(!ends_watch(&Error::new(code, "x"), false), "{code:?}");
        }
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
