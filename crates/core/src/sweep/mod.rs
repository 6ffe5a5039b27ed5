//! Sweep: analytics nominates open conversations old enough to be idle, and
//! each one's own re-read decides (the guarded close of `bulk`, with the
//! idle guard), so a live chat is never ended on analytics' word.
//!
//! The parts: this file (the run, its report and its sink), and `verdicts`
//! (the sink a sweep puts in front of its caller's: each candidate judged as
//! its close is decided, the spared counted, the found passed on).

mod verdicts;

use crate::bulk::{self, BulkOptions, BulkReport, ResultSink};
use crate::discover::{self, Candidate, FindOptions, IdleConversation};
use crate::error::Error;
use crate::genesys::ids::IdInput;
use crate::native::attribute::NativeTimerCounts;
use crate::native::TimerTable;
use crate::session::Session;
use crate::stats::Totals;
use serde::Serialize;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use verdicts::Verdicts;

/// A sweep's results: every entry of its bulk run, and the candidates
/// confirmed idle, as each is decided.
pub trait SweepSink: ResultSink {
    /// A candidate confirmed idle, by candidate index (just before its entry).
    fn found(&self, index: usize, idle: IdleConversation);
}

/// What a sweep found and what it did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub dry_run: bool,
    /// Open conversations the analytics query returned.
    pub scanned: u32,
    /// Nominated by analytics (started at least `idleFor` ago), each re-read.
    pub candidates: u32,
    /// Confirmed idle on the re-read: closed (or, in a dry run, would be).
    /// Empty here: they went to the sweep's result sink as each was decided
    /// ([`SweepSink::found`], by candidate index), whose consumer fills this
    /// field in candidate order.
    pub found: Vec<IdleConversation>,
    /// Candidates the re-read showed active: left open.
    pub spared_active: u32,
    /// The guarded close of every candidate: one result per candidate.
    #[serde(rename = "close")]
    pub bulk: BulkReport,
    /// Genesys's own timers: who ended what, on queues with a live timer
    /// (each candidate counted once; a dry run counts `wouldClose`).
    pub native_timer: Option<NativeTimerCounts>,
    /// The whole sweep: discovery and closing.
    #[serde(flatten)]
    pub totals: Totals,
    pub elapsed_ms: f64,
}

/// Finds candidates with analytics, then closes each one that its own
/// re-read shows idle for `find.idle_for` (the idle guard): analytics
/// nominates, the conversation decides. `fast` is never used here.
/// `results` takes every entry and every conversation found as they are
/// decided: the report's `close.results` and `found` are left empty.
pub async fn sweep(
    t: &Session,
    find: &FindOptions,
    bulk_opts: BulkOptions,
    results: Arc<dyn SweepSink>,
    cancel: &CancellationToken,
) -> Result<SweepReport, Error> {
    let started = std::time::Instant::now();
    // The queues once, at the start: a listing refused is reported, never fatal.
    let timers = TimerTable::read(t, cancel).await?;
    let nominated = discover::find_candidates(t, find, cancel).await?;
    let ids = nominated
        .candidates
        .iter()
        .map(|c| IdInput::from(c.conversation_id.as_str()))
        .collect();
    let mut opts = bulk_opts;
    opts.close.fast = false;
    let dry_run = opts.close.dry_run;
    opts.close.idle_for = Some(find.idle_for);
    opts.close.message_types = find.message_types.clone();
    let candidates: Arc<[Candidate]> = nominated.candidates.into();
    let verdicts = Arc::new(Verdicts::new(candidates.clone(), results, timers));
    opts.results = Some(verdicts.clone());
    // The bulk part of the sweep is not an operation of its own: its
    // requests belong to the sweep.
    let bulk = bulk::close_many(t, ids, &opts, cancel).await?;
    let mut totals = nominated.totals;
    totals += bulk.totals;
    totals.requests += verdicts.timer_requests();
    Ok(SweepReport {
        dry_run,
        scanned: nominated.scanned,
        candidates: candidates.len() as u32,
        found: Vec::new(),
        spared_active: verdicts.spared_active(),
        bulk,
        native_timer: Some(verdicts.native_counts()),
        totals,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}
