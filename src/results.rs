//! A bulk run's results (and a sweep's conversations found), handed to JS
//! while the run goes on (the JS side is `lib/results.js`), so that when the
//! run ends, by abort or not, little is left to convert however big it was.
//!
//! Built at the end instead, an aborted 200 000-id run took 180 ms from the
//! abort to its promise (all its results parsed after the fact), a 1M-id run
//! 1.5 s, and a sweep of 100 000 candidates 0.4 s. Here entries are written
//! as JSON batches on the runtime's thread as they are decided, the JS thread
//! is woken once per batch to parse it, and an `aborted` entry for an id
//! exactly as given is not sent at all: the JS side prepared that entry from
//! the run's inputs while the run went on (its own list, or a sweep's
//! candidates sent once up front), and only the count crosses.

use crate::js_value::Js;
use genesys_cleanup_core::bulk::{BulkEntry, ResultSink};
use genesys_cleanup_core::discover::IdleConversation;
use genesys_cleanup_core::genesys::ids::IdInput;
use genesys_cleanup_core::sweep::SweepSink;
use genesys_cleanup_core::Uuid;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Entries per JSON batch: 50 kB for a bulk run, 300 kB for a sweep (whose
/// entries carry the activity read, and whose found conversations ride
/// along), parsed by V8 in a few milliseconds at most.
const BATCH: usize = 500;

type Wake = ThreadsafeFunction<(), (), Js<()>, Status, false, true>;

#[derive(Default)]
struct Pending {
    /// The run's inputs, newline-joined, for a JS side that does not hold
    /// them (a sweep's candidates); taken once.
    inputs: Option<String>,
    /// JSON batches ready for the JS side, oldest first.
    ready: Vec<String>,
    /// The batch being filled.
    batch: Filling,
}

/// One batch as the JS side reads it: `results[k]` answers input `at[k]`;
/// `found[k]` is the conversation found idle for input `foundAt[k]`.
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Filling {
    at: Vec<u32>,
    results: Vec<BulkEntry>,
    found_at: Vec<u32>,
    found: Vec<IdleConversation>,
}

impl Filling {
    fn json(&self) -> String {
        // Infallible in practice (plain data, string keys); a failure would
        // lose results, so it becomes a batch the JS side refuses loudly.
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_string())
    }
}

/// What the JS side takes: the inputs (once, when it does not hold them) and
/// every batch not taken yet, the partly filled one included.
#[napi(object)]
pub struct Taken {
    pub inputs: Option<String>,
    pub batches: Vec<String>,
}

/// The results of one bulk run or sweep: the JS wrapper makes one, passes it
/// to the run, takes batches when woken and what is left when the run settles.
#[napi]
pub struct ResultStream {
    pending: Arc<Mutex<Pending>>,
    /// `aborted` entries left to the JS side (not sent).
    implicit: Arc<AtomicU32>,
    /// Dropped by `close`: the function holds the JS callback, which holds
    /// this object's JS side, so it must not outlive the run (every run's
    /// results stayed in memory otherwise: the soak climbed 28 MB per 50 000
    /// closes).
    wake: Mutex<Option<Arc<Wake>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[napi]
impl ResultStream {
    /// `onReady` is called (with nothing) when batches are waiting; weak, so
    /// it never keeps Node alive (the run's promise does).
    #[napi(constructor)]
    pub fn new(on_ready: Function<'_, (), ()>) -> Result<Self> {
        let wake: Wake = on_ready
            .build_threadsafe_function::<()>()
            .weak::<true>()
            .build_callback(|_| Ok(Js(())))?;
        Ok(ResultStream {
            pending: Arc::default(),
            implicit: Arc::default(),
            wake: Mutex::new(Some(Arc::new(wake))),
        })
    }

    #[napi]
    pub fn take(&self) -> Taken {
        let mut p = lock(&self.pending);
        if !p.batch.at.is_empty() || !p.batch.found_at.is_empty() {
            let json = std::mem::take(&mut p.batch).json();
            p.ready.push(json);
        }
        Taken {
            inputs: p.inputs.take(),
            batches: std::mem::take(&mut p.ready),
        }
    }

    /// How many `aborted` entries were left to the JS side so far.
    #[napi]
    pub fn implicit(&self) -> u32 {
        self.implicit.load(Ordering::Acquire)
    }

    /// The run has settled: no more wake-ups.
    #[napi]
    pub fn close(&self) {
        lock(&self.wake).take();
    }
}

impl ResultStream {
    /// The core's sink for a bulk run: the JS side holds its inputs (the
    /// `closeConversations` list).
    pub fn bulk_sink(&self) -> Arc<dyn ResultSink> {
        Arc::new(self.sink(true))
    }

    /// The core's sink for a sweep: its inputs (the candidates) are sent to
    /// the JS side once, up front.
    pub fn sweep_sink(&self) -> Arc<dyn SweepSink> {
        Arc::new(self.sink(false))
    }

    fn sink(&self, inputs_held: bool) -> Sink {
        Sink {
            pending: self.pending.clone(),
            implicit: self.implicit.clone(),
            wake: lock(&self.wake).clone(),
            inputs_held,
            echo: AtomicBool::new(inputs_held),
        }
    }
}

struct Sink {
    pending: Arc<Mutex<Pending>>,
    implicit: Arc<AtomicU32>,
    wake: Option<Arc<Wake>>,
    inputs_held: bool,
    /// The JS side prepares an entry for each input as given: an `aborted`
    /// entry that says the same need not cross.
    echo: AtomicBool,
}

impl ResultSink for Sink {
    fn inputs(&self, inputs: &[IdInput]) {
        if self.inputs_held {
            return;
        }
        // Sent newline-joined, so only when every input is text without one
        // (a sweep's candidates are validated ids); otherwise every entry is
        // sent in full.
        let texts: Option<Vec<&str>> = inputs
            .iter()
            .map(|i| match i {
                IdInput::Text(s) if !s.contains('\n') => Some(s.as_str()),
                _ => None,
            })
            .collect();
        if let Some(texts) = texts.filter(|t| !t.is_empty()) {
            lock(&self.pending).inputs = Some(texts.join("\n"));
            self.echo.store(true, Ordering::Release);
        }
    }

    fn put(&self, index: usize, input: &IdInput, entry: BulkEntry) {
        if let BulkEntry::Aborted { conversation_id } = &entry {
            if self.echoes(input, conversation_id) {
                self.implicit.fetch_add(1, Ordering::AcqRel);
                return;
            }
        }
        let mut p = lock(&self.pending);
        p.batch.at.push(index as u32);
        p.batch.results.push(entry);
        if p.batch.at.len() < BATCH {
            return;
        }
        let full = std::mem::take(&mut p.batch);
        drop(p);
        // Written outside the lock: the JS thread may be taking.
        let json = full.json();
        let mut p = lock(&self.pending);
        let first = p.ready.is_empty();
        p.ready.push(json);
        drop(p);
        if let (true, Some(wake)) = (first, &self.wake) {
            wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    // Called for every id of a big aborted run: no allocation when the
    // input is the id as written.
    fn aborted(&self, index: usize, input: &IdInput, id: &Uuid) {
        let mut buf = Uuid::encode_buffer();
        let written = id.hyphenated().encode_lower(&mut buf);
        if self.echoes(input, written) {
            self.implicit.fetch_add(1, Ordering::AcqRel);
        } else {
            let entry = BulkEntry::Aborted {
                conversation_id: written.to_string(),
            };
            self.put(index, input, entry);
        }
    }
}

impl SweepSink for Sink {
    // Comes just before its candidate's entry, so it rides in the same batch.
    fn found(&self, index: usize, idle: IdleConversation) {
        let mut p = lock(&self.pending);
        p.batch.found_at.push(index as u32);
        p.batch.found.push(idle);
    }
}

impl Sink {
    /// The JS side's prepared entry for `input` says `conversation_id`.
    fn echoes(&self, input: &IdInput, conversation_id: &str) -> bool {
        self.echo.load(Ordering::Acquire)
            && matches!(input, IdInput::Text(raw) if raw == conversation_id)
    }
}
