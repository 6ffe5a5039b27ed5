//! Closing many conversations: bounded concurrency over one shared transport
//! (so one pacer keeps the whole run under the rate limit), exactly one result
//! per input id in input order, duplicates and invalid ids reported without a
//! request, progress at a bounded rate, and an abort that loses nothing.
//!
//! The parts: this file (an entry, the report, the options, the sinks, and
//! the run), `slots` (the work before any request, and where each entry
//! goes), `progress` (progress, coalesced).

pub mod attribution;
mod progress;
mod slots;

use crate::close::{self, CloseOptions, CloseResult, Outcome};
use crate::error::{Error, ErrorCode};
use crate::genesys::ids::{self, IdInput};
use crate::options::{self, Concurrency, Validated};
use crate::session::Session;
use crate::stats::{CallStats, Counts, Totals};
use futures::StreamExt;
use progress::Progress;
use serde::{Deserialize, Serialize};
use slots::{triage, Slots, UntilAborted};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

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

impl BulkEntry {
    /// Counts this entry in `c`.
    fn count_in(&self, c: &mut Counts) {
        c.done += 1;
        match self {
            BulkEntry::Done(r) => {
                if r.activity_after_read.is_some() {
                    c.activity_after_read += 1;
                }
                match r.outcome {
                    Outcome::Closed => c.closed += 1,
                    Outcome::AlreadyClosed => c.already_closed += 1,
                    Outcome::NotFound => c.not_found += 1,
                    Outcome::Skipped => c.skipped += 1,
                    Outcome::WouldClose => c.would_close += 1,
                }
            }
            BulkEntry::Failed { .. } => c.failed += 1,
            BulkEntry::Duplicate { .. } => c.duplicate += 1,
            BulkEntry::Aborted { .. } => c.aborted += 1,
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

/// Takes each id's result as soon as it is decided, instead of the report: a
/// caller that converts results while the run goes on has little left to do
/// when it ends, however big the run. Every input index reaches it exactly
/// once, by `put` or `aborted`, from the run's task.
pub trait ResultSink: Send + Sync {
    /// The run's inputs, once, before any entry (a sink whose consumer does
    /// not hold them, as for a sweep's candidates, may pass them on).
    fn inputs(&self, _inputs: &[IdInput]) {}

    /// One decided entry, with the input it answers.
    fn put(&self, index: usize, input: &IdInput, entry: BulkEntry);

    /// An id the run never started because it was aborted (`id`: the valid
    /// id, canonical). Called for every such id at the end of an aborted
    /// run, so a sink that can say it more cheaply than an entry should.
    fn aborted(&self, index: usize, input: &IdInput, id: &Uuid) {
        let entry = BulkEntry::Aborted {
            conversation_id: ids::canonical(id),
        };
        self.put(index, input, entry)
    }
}

#[derive(Default)]
pub struct BulkOptions {
    pub settings: BulkSettings,
    pub close: CloseOptions,
    pub progress: Option<ProgressSink>,
    /// With a sink, the report's `results` is empty: every entry went to it.
    pub results: Option<Arc<dyn ResultSink>>,
}

/// How a bulk run goes (the rest of the JS options object is a `CloseBehaviour`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BulkSettings {
    /// Conversations handled at once.
    pub concurrency: Concurrency,
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
            concurrency: Concurrency::default(),
            progress_interval: Duration::from_millis(100),
        }
    }
}

impl Validated for BulkSettings {
    fn validated(self) -> Result<Self, Error> {
        Ok(self)
    }
}

/// Closes every id. Never fails as a whole once started: each id gets a result.
pub async fn close_many(
    t: &Session,
    inputs: Vec<IdInput>,
    opts: &BulkOptions,
    cancel: &CancellationToken,
) -> Result<BulkReport, Error> {
    let started = Instant::now();
    let progress = Progress::new(opts, inputs.len() as u32);
    if let Some(sink) = &opts.results {
        sink.inputs(&inputs);
    }
    let mut slots = Slots::new(&inputs, opts.results.as_deref());
    let work = triage(&inputs, &mut slots, &progress);
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
        .buffer_unordered(opts.settings.concurrency.get());
    while let Some((i, (entry, stats))) = stream.next().await {
        totals += &stats;
        progress.record(&entry);
        slots.put(i, entry);
    }
    drop(stream);
    let mut aborted = 0;
    for (i, id) in &work {
        if !slots.is_decided(*i) {
            slots.abort(*i, id);
            aborted += 1;
        }
    }
    progress.record_aborted(aborted);
    let counts = progress.finish();
    let results = slots.into_results();
    // A big run's inputs are a million small strings: freed on a blocking
    // thread, not between the abort and the report.
    if inputs.len() > 10_000 {
        tokio::task::spawn_blocking(move || drop((inputs, work)));
    }
    Ok(BulkReport {
        counts,
        results,
        totals,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// One id of a run. After credentials were rejected, the rest fail the same
/// way without a request (`notAttempted`).
async fn close_one(
    t: &Session,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const A: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
    const B: &str = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";

    /// A sink that records what reaches it.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(usize, String, &'static str)>>);

    impl ResultSink for Recorder {
        fn put(&self, index: usize, _input: &IdInput, entry: BulkEntry) {
            let id = match &entry {
                BulkEntry::Done(r) => r.conversation_id.clone(),
                BulkEntry::Failed {
                    conversation_id, ..
                }
                | BulkEntry::Duplicate { conversation_id }
                | BulkEntry::Aborted { conversation_id } => conversation_id.clone(),
            };
            self.0.lock().unwrap().push((index, id, entry.outcome()));
        }
    }

    fn inputs() -> Vec<IdInput> {
        vec![
            IdInput::from(B),
            IdInput::from(A.to_uppercase()),
            IdInput::from("nope"),
            IdInput::from(A),
            IdInput::Other {
                kind: "a number",
                shown: "42".into(),
            },
            IdInput::from(B),
        ]
    }

    #[test]
    fn triage_finds_repeats_by_value_and_keeps_the_first() {
        let inputs = inputs();
        let progress = Progress::new(&BulkOptions::default(), inputs.len() as u32);
        let mut slots = Slots::new(&inputs, None);
        let work = triage(&inputs, &mut slots, &progress);
        let work: Vec<(usize, String)> = work
            .iter()
            .map(|(i, id)| (*i, ids::canonical(id)))
            .collect();
        // Upper case is the same id: the later lower-case spelling is the repeat.
        assert_eq!(work, vec![(0, B.to_string()), (1, A.to_string())]);
        let decided: Vec<(usize, &str)> = (0..inputs.len())
            .filter_map(|i| slots.kept[i].as_ref().map(|e| (i, e.outcome())))
            .collect();
        assert_eq!(
            decided,
            vec![
                (2, "failed"),
                (3, "duplicate"),
                (4, "failed"),
                (5, "duplicate")
            ]
        );
        assert_eq!(progress.finish().duplicate, 2);
    }

    #[test]
    fn a_sink_gets_every_index_exactly_once_and_the_report_none() {
        let inputs = inputs();
        let recorder = Arc::new(Recorder::default());
        let sink: Arc<dyn ResultSink> = recorder.clone();
        let progress = Progress::new(&BulkOptions::default(), inputs.len() as u32);
        let mut slots = Slots::new(&inputs, Some(sink.as_ref()));
        let work = triage(&inputs, &mut slots, &progress);
        // As an aborted run ends: nothing was started.
        for (i, id) in &work {
            assert!(!slots.is_decided(*i));
            slots.abort(*i, id);
        }
        assert!(slots.into_results().is_empty());
        let mut got = recorder.0.lock().unwrap().clone();
        got.sort();
        let indices: Vec<usize> = got.iter().map(|g| g.0).collect();
        assert_eq!(indices, (0..inputs.len()).collect::<Vec<_>>());
        // The default `aborted` spells the id as Genesys does.
        assert_eq!(got[1], (1, A.to_string(), "aborted"));
        assert_eq!(got[0], (0, B.to_string(), "aborted"));
    }
}
