//! The watch loop: the one place that decides. It feeds the activity table
//! from the streams' events, closes every conversation that falls due
//! through the guarded close (re-read, then the idle guard), sweeps each
//! gap the streams report and, periodically, the whole lookback, and stops
//! on cancellation at once (in-flight closes and streams are dropped).

use super::after_read::RecentCloses;
use super::channel::{self, RejectedTopic, MAX_TOPICS_PER_CHANNEL};
use super::frame::ConversationEvent;
use super::native::NativeWatch;
use super::policy::ends_watch;
use super::reconcile::{sweep, SweepFuture, SweepKind, Swept};
use super::settle::{emit, settle_close};
use super::stream::{self, now_ms, Feed, StreamSpec};
use super::table::{Observed, Table};
use super::{WatchEvent, WatchEventKind, WatchOptions, WatchReport, WatchSink};
use crate::close::{self, CloseOptions, CloseResult};
use crate::error::{Error, ErrorCode};
use crate::genesys::queue::NativeTimer;
use crate::native::TimerTable;
use crate::session::Session;
use crate::stats::CallStats;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
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

type Closing = (String, Result<CloseResult, Error>, CallStats);

async fn close_one(
    t: &Session,
    id: String,
    opts: &CloseOptions,
    cancel: &CancellationToken,
) -> Closing {
    let (r, stats) = close::close_valid_id(t, id.clone(), opts, cancel).await;
    (id, r, stats)
}

/// Runs until `cancel` fires; then returns what it did. Ends early with the
/// error when the token is rejected and cannot be refreshed (see [`ends_watch`]).
pub async fn watch(
    t: Arc<Session>,
    opts: WatchOptions,
    sink: Option<WatchSink>,
    cancel: &CancellationToken,
) -> Result<WatchReport, Error> {
    let started = Instant::now();
    if cancel.is_cancelled() {
        return Err(Error::aborted());
    }
    let queues = channel::watched_queues(&t, opts.queues.as_deref(), cancel).await?;
    let timers = TimerTable::read(&t, cancel).await?;
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
    report.totals.requests += timers.requests;
    let native = NativeWatch::new(timers);
    let outcome = run(
        &t,
        &opts,
        &sink,
        &stop,
        &mut rx,
        (streams.len(), native),
        &mut report,
    )
    .await;
    stop.cancel();
    for s in &streams {
        s.abort();
    }
    report.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    outcome.map(|()| report)
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
    /// Genesys's own timers: the queues' and who ended what.
    native: NativeWatch,
}

/// The closes the guarded close runs for a watch: the idle guard on the
/// re-read, as `closeConversation({idleForMs})` does.
fn close_options(opts: &WatchOptions) -> CloseOptions {
    CloseOptions {
        idle_for: Some(opts.idle),
        message_types: opts.message_types.clone(),
        dry_run: opts.dry_run,
        ..CloseOptions::default()
    }
}

/// The loop: start what is due (closes, a sweep), then wait for the first of
/// the stop, a close's end, a sweep's end, a stream's word or a deadline.
#[allow(clippy::too_many_arguments)]
async fn run(
    t: &Session,
    opts: &WatchOptions,
    sink: &Option<WatchSink>,
    stop: &CancellationToken,
    rx: &mut mpsc::Receiver<Feed>,
    (stream_count, native): (usize, NativeWatch),
    report: &mut WatchReport,
) -> Result<(), Error> {
    let close_opts = close_options(opts);
    let mut st = Loop::new(opts, sink, t.auth().can_refresh(), stream_count);
    st.native = native;
    let mut closes = FuturesUnordered::new();
    let mut sweeping: Option<SweepFuture<'_>> = None;
    let mut streams_open = stream_count;
    loop {
        while closes.len() < opts.concurrency.get() {
            match st.table.pop_due(now_ms()) {
                Some(id) => closes.push(close_one(t, id, &close_opts, stop)),
                None => break,
            }
        }
        if sweeping.is_none() {
            sweeping = st.next_sweep_future(t, stop);
        }
        let (wake_due, wake_sweep) = st.wakes(closes.len(), sweeping.is_some());
        tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            Some(closing) = closes.next(), if !closes.is_empty() => st.closed(report, closing)?,
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
    report.tracked = st.table.len() as u32;
    report.native_timer = Some(st.native.counts());
    Ok(())
}

impl<'a> Loop<'a> {
    fn new(
        opts: &'a WatchOptions,
        sink: &'a Option<WatchSink>,
        can_refresh: bool,
        stream_count: usize,
    ) -> Self {
        let first_wait = if stream_count == 0 {
            Duration::ZERO
        } else {
            FIRST_SWEEP_WAIT
        };
        Loop {
            opts,
            sink,
            can_refresh,
            table: Table::new(opts.idle.as_millis() as u64, opts.max_tracked as usize),
            recent: RecentCloses::default(),
            gaps_pending: 0,
            sweep_not_before: Instant::now(),
            next_periodic: Instant::now() + first_wait,
            first_ups: vec![false; stream_count],
            native: NativeWatch::default(),
        }
    }

    /// The sweep to run now, if one is due; the gaps it covers are taken.
    fn next_sweep_future<'f>(
        &mut self,
        t: &'f Session,
        stop: &'f CancellationToken,
    ) -> Option<SweepFuture<'f>> {
        let kind = self.next_sweep()?;
        let gaps = std::mem::take(&mut self.gaps_pending);
        let (lookback, types) = (self.opts.lookback, self.opts.message_types.clone());
        Some(sweep(t, kind, gaps, lookback, types, stop))
    }

    /// When to wake for the next due conversation (unless the closes are at
    /// the concurrency limit: then a close's end wakes the loop) and for the
    /// next sweep (unless one runs).
    fn wakes(&mut self, closing: usize, sweeping: bool) -> (Option<Instant>, Option<Instant>) {
        let full = closing >= self.opts.concurrency.get();
        let due = (!full)
            .then(|| self.table.next_deadline())
            .flatten()
            .map(|due| Instant::now() + Duration::from_millis(due.saturating_sub(now_ms())));
        (due, (!sweeping).then(|| self.sweep_wake()))
    }

    /// A close ended: its result settles the table, the report and the events.
    fn closed(&mut self, report: &mut WatchReport, closing: Closing) -> Result<(), Error> {
        let (id, mut result, stats) = closing;
        report.totals += &stats;
        if let Ok(r) = &mut result {
            if self.native.result(r) == Some(true) {
                emit(
                    self.sink,
                    ended_by_genesys(&id, "the re-read shows it ended for inactivity"),
                );
            }
        }
        settle_close(
            &mut self.table,
            &mut self.recent,
            report,
            self.sink,
            id,
            &result,
        );
        match result {
            Err(e) if ends_watch(&e, self.can_refresh) => Err(e),
            _ => Ok(()),
        }
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
        if let Some(timers) = s.timers {
            self.native.relisted(timers);
        }
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

    /// A stream's word: what it says goes into the table, the report and the events.
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
                    self.gap(report, renewed);
                }
                self.rejected(report, rejected);
                self.up(report, stream, channel_id, renewed);
            }
            Feed::Down { reason } => emit(
                self.sink,
                WatchEvent {
                    reason: Some(reason),
                    ..WatchEvent::new(WatchEventKind::Disconnected)
                },
            ),
            Feed::Conversation(e) => self.conversation(report, e),
        }
        Ok(())
    }

    /// A stream is back after a span without a healthy socket: a sweep is due.
    fn gap(&mut self, report: &mut WatchReport, renewed: bool) {
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

    /// Topics Genesys refused, each reported once.
    fn rejected(&mut self, report: &mut WatchReport, rejected: Vec<RejectedTopic>) {
        for r in rejected {
            if !report.rejected_topics.iter().any(|x| x.topic == r.topic) {
                emit(
                    self.sink,
                    WatchEvent {
                        reason: Some(format!("{} ({}): {}", r.topic, r.queue_name, r.reason)),
                        ..WatchEvent::new(WatchEventKind::RejectedTopic)
                    },
                );
                report.rejected_topics.push(r);
            }
        }
    }

    /// A stream is connected; once every stream has been, the first periodic
    /// sweep runs.
    fn up(&mut self, report: &WatchReport, stream: usize, channel_id: String, renewed: bool) {
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

    /// A conversation event: tracked, or finished; and a message newer than
    /// the read of a recent close is reported.
    fn conversation(&mut self, report: &mut WatchReport, e: ConversationEvent) {
        report.events_seen += 1;
        if self.recent.reveals(&e.id, e.last_message_ms, now_ms()) {
            report.activity_after_read += 1;
            let at = e.last_message_ms.map(|ms| {
                humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
            });
            emit(self.sink, WatchEvent { conversation_id: Some(e.id.clone()), last_activity_at: at, reason: Some("a notification after the close shows a message newer than the read it was decided on".into()), ..WatchEvent::new(WatchEventKind::ActivityAfterRead) });
        }
        if e.ended && e.ended_by_inactivity && self.native.stream_end(&e.id, e.queue_id.as_deref())
        {
            emit(
                self.sink,
                ended_by_genesys(&e.id, "the stream shows it ended for inactivity"),
            );
        }
        if e.ended || !e.wanted {
            self.table.finish(&e.id);
        } else if self.table.observe(&e.id, e.last_ms.unwrap_or_else(now_ms)) == Observed::Refused {
            report.untracked += 1;
        }
    }
}

/// The `endedByGenesys` event: a queue's own timer ended the conversation.
fn ended_by_genesys(id: &str, reason: &str) -> WatchEvent {
    WatchEvent {
        conversation_id: Some(id.to_owned()),
        reason: Some(reason.into()),
        native_timer: Some(NativeTimer::EndedByGenesys),
        ..WatchEvent::new(WatchEventKind::EndedByGenesys)
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
