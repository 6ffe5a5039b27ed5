//! Closing many conversations: bounded concurrency over one shared transport
//! (so one pacer keeps the whole run under the rate limit), exactly one result
//! per input id in input order, duplicates and invalid ids reported without a
//! request, progress at a bounded rate, and an abort that loses nothing.

use crate::close::{self, CloseOptions, CloseResult, Outcome};
use crate::error::{Error, ErrorCode};
use crate::ids::{self, IdInput};
use crate::options::{self, Validated};
use crate::stats::Totals;
use crate::transport::{CallStats, Transport};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub const DEFAULT_CONCURRENCY: u32 = 8;
pub const MAX_CONCURRENCY: u32 = 256;

/// One input id's result.
#[derive(Debug, Clone)]
pub enum BulkEntry {
    Done(CloseResult),
    Failed {
        conversation_id: String,
        error: Error,
    },
    /// The id appeared earlier in the input: never closed twice.
    Duplicate {
        conversation_id: String,
    },
    /// The run was aborted before (or while) this id was handled.
    Aborted {
        conversation_id: String,
    },
}

impl BulkEntry {
    pub fn outcome(&self) -> &'static str {
        match self {
            BulkEntry::Done(r) => r.outcome.as_str(),
            BulkEntry::Failed { .. } => "failed",
            BulkEntry::Duplicate { .. } => "duplicate",
            BulkEntry::Aborted { .. } => "aborted",
        }
    }
}

/// Counts by outcome; they add up to `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub total: u32,
    pub done: u32,
    pub closed: u32,
    pub already_closed: u32,
    pub not_found: u32,
    pub skipped: u32,
    pub would_close: u32,
    pub duplicate: u32,
    pub failed: u32,
    pub aborted: u32,
}

impl Counts {
    fn add(&mut self, e: &BulkEntry) {
        self.done += 1;
        match e {
            BulkEntry::Done(r) => match r.outcome {
                Outcome::Closed => self.closed += 1,
                Outcome::AlreadyClosed => self.already_closed += 1,
                Outcome::NotFound => self.not_found += 1,
                Outcome::Skipped => self.skipped += 1,
                Outcome::WouldClose => self.would_close += 1,
            },
            BulkEntry::Failed { .. } => self.failed += 1,
            BulkEntry::Duplicate { .. } => self.duplicate += 1,
            BulkEntry::Aborted { .. } => self.aborted += 1,
        }
    }
}

/// Counts (adding up to `total`), one result per input, totals and time.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkReport {
    #[serde(flatten)]
    pub counts: Counts,
    /// One entry per input, in input order.
    pub results: Vec<BulkEntry>,
    #[serde(flatten)]
    pub totals: Totals,
    /// Wall time of the run, in milliseconds.
    pub elapsed_ms: f64,
}

/// A result that is not a close: `{conversationId, outcome, error?}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Unhandled<'a> {
    conversation_id: &'a str,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a Error>,
}

impl Serialize for BulkEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let outcome = self.outcome();
        match self {
            BulkEntry::Done(r) => r.serialize(s),
            BulkEntry::Failed {
                conversation_id,
                error,
            } => Unhandled {
                conversation_id,
                outcome,
                error: Some(error),
            }
            .serialize(s),
            BulkEntry::Duplicate { conversation_id } | BulkEntry::Aborted { conversation_id } => {
                Unhandled {
                    conversation_id,
                    outcome,
                    error: None,
                }
                .serialize(s)
            }
        }
    }
}

/// Receives progress; called at most once per interval, plus once at the end.
pub type ProgressSink = Arc<dyn Fn(Counts) + Send + Sync>;

#[derive(Default)]
pub struct BulkOptions {
    pub settings: BulkSettings,
    pub close: CloseOptions,
    pub progress: Option<ProgressSink>,
}

/// How a bulk run goes (the rest of the JS options object is a `CloseBehaviour`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BulkSettings {
    /// Conversations handled at once. Default 8, at most 256.
    #[serde(deserialize_with = "options::whole::<_, 1, 256>")]
    pub concurrency: u32,
    /// At most one `onProgress` call per interval (plus one at the end). Default 100.
    #[serde(
        rename = "progressIntervalMs",
        deserialize_with = "options::millis::<_, 0, 60_000>"
    )]
    pub progress_interval: Duration,
}

impl Default for BulkSettings {
    fn default() -> Self {
        BulkSettings {
            concurrency: DEFAULT_CONCURRENCY,
            progress_interval: Duration::from_millis(100),
        }
    }
}

impl Validated for BulkSettings {
    fn validated(self) -> Result<Self, Error> {
        Ok(self)
    }
}

/// Coalesces progress: the sink sees at most one update per interval.
struct Progress {
    sink: Option<ProgressSink>,
    interval: Duration,
    state: Mutex<(Counts, Option<Instant>)>,
}

impl Progress {
    fn new(opts: &BulkOptions, total: u32) -> Self {
        Progress {
            sink: opts.progress.clone(),
            interval: opts.settings.progress_interval,
            state: Mutex::new((
                Counts {
                    total,
                    ..Counts::default()
                },
                None,
            )),
        }
    }

    fn record(&self, entry: &BulkEntry) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.0.add(entry);
        let Some(sink) = &self.sink else { return };
        let now = Instant::now();
        if st
            .1
            .is_none_or(|last| now.duration_since(last) >= self.interval)
        {
            st.1 = Some(now);
            sink(st.0);
        }
    }

    fn finish(&self) -> Counts {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sink) = &self.sink {
            sink(st.0);
        }
        st.0
    }
}

/// Closes every id. Never fails as a whole once started: each id gets a result.
pub async fn close_many(
    t: &Transport,
    inputs: Vec<IdInput>,
    opts: &BulkOptions,
    cancel: &CancellationToken,
) -> Result<BulkReport, Error> {
    let started = Instant::now();
    let progress = Progress::new(opts, inputs.len() as u32);
    let (mut slots, work) = triage(&inputs);
    for entry in slots.iter().flatten() {
        progress.record(entry);
    }
    let mut totals = Totals::default();
    // Rejected credentials (or a lost lease) fail every id the same way: the
    // first such error stops the run from trying again (no request per
    // remaining id).
    let fatal = OnceLock::new();
    // After an abort no further id is started (ids in flight finish: a sent
    // write is awaited); the rest are marked below without a task each, so
    // the time from abort to report does not grow with the run's size.
    let until_aborted = UntilAborted {
        work: work.iter(),
        cancel,
    };
    let mut stream = futures::stream::iter(until_aborted)
        .map(|(i, id)| {
            let fatal = &fatal;
            async move { (i, close_one(t, id, &opts.close, cancel, fatal).await) }
        })
        .buffer_unordered(opts.settings.concurrency as usize);
    while let Some((i, (entry, stats))) = stream.next().await {
        totals += &stats;
        progress.record(&entry);
        slots[i] = Some(entry);
    }
    drop(stream);
    for (i, id) in work {
        if slots[i].is_none() {
            let entry = BulkEntry::Aborted {
                conversation_id: id,
            };
            progress.record(&entry);
            slots[i] = Some(entry);
        }
    }
    let counts = progress.finish();
    let results: Vec<BulkEntry> = slots
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            // Unreachable by construction (every work item is filled above),
            // but a report must never drop an id, so fill rather than panic.
            s.unwrap_or_else(|| BulkEntry::Aborted {
                conversation_id: inputs[i].shown(),
            })
        })
        .collect();
    Ok(BulkReport {
        counts,
        results,
        totals,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The work items in order, until the run is aborted. (A named iterator: a
/// closure taking references here makes the run's future not `Send` for
/// every lifetime, which the binding's spawn needs.)
struct UntilAborted<'a> {
    work: std::slice::Iter<'a, (usize, String)>,
    cancel: &'a CancellationToken,
}

impl Iterator for UntilAborted<'_> {
    type Item = (usize, String);

    fn next(&mut self) -> Option<Self::Item> {
        if self.cancel.is_cancelled() {
            return None;
        }
        self.work.next().map(|(i, id)| (*i, id.clone()))
    }
}

/// Validation and de-duplication before any request: the results known
/// already (invalid or repeated ids) and the work left (index, id). Pure.
fn triage(inputs: &[IdInput]) -> (Vec<Option<BulkEntry>>, Vec<(usize, String)>) {
    let mut slots: Vec<Option<BulkEntry>> = Vec::with_capacity(inputs.len());
    let mut work: Vec<(usize, String)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(inputs.len());
    for (i, raw) in inputs.iter().enumerate() {
        match ids::conversation_id_input(raw) {
            Ok(id) if seen.insert(id.clone(), i).is_some() => {
                slots.push(Some(BulkEntry::Duplicate {
                    conversation_id: id,
                }))
            }
            Ok(id) => {
                slots.push(None);
                work.push((i, id));
            }
            Err(error) => slots.push(Some(BulkEntry::Failed {
                conversation_id: raw.shown(),
                error,
            })),
        }
    }
    (slots, work)
}

/// One id of a run. After credentials were rejected, the rest fail the same
/// way without a request (`notAttempted`).
async fn close_one(
    t: &Transport,
    id: String,
    opts: &CloseOptions,
    cancel: &CancellationToken,
    fatal: &OnceLock<Error>,
) -> (BulkEntry, CallStats) {
    if let Some(e) = fatal.get() {
        let error = Error {
            not_attempted: true,
            ..e.clone()
        };
        let entry = BulkEntry::Failed {
            conversation_id: id,
            error,
        };
        return (entry, CallStats::default());
    }
    let (result, stats) = close::close_valid_id(t, id.clone(), opts, cancel).await;
    let entry = match result {
        Ok(r) => BulkEntry::Done(r),
        // "aborted" only when nothing was written for this id.
        Err(e) if e.code == ErrorCode::Aborted && stats.writes == 0 => BulkEntry::Aborted {
            conversation_id: id,
        },
        Err(error) => {
            // Rejected credentials, or a lease lost: every other id would
            // fail the same way.
            if matches!(error.code, ErrorCode::Unauthorized | ErrorCode::LeaseLost) {
                let _ = fatal.set(error.clone());
            }
            BulkEntry::Failed {
                conversation_id: id,
                error,
            }
        }
    };
    (entry, stats)
}
