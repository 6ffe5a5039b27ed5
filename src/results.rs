//! A bulk run's results, handed to JS while the run goes on (the JS side is
//! `lib/results.js`), so that when the run ends, by abort or not, little is
//! left to convert however big it was.
//!
//! Built at the end instead, an aborted 200 000-id run took 180 ms from the
//! abort to its promise (all its results parsed after the fact), and a 1M-id
//! run over half a second. Here entries are written as JSON batches on the
//! runtime's thread as they are decided, the JS thread is woken once per
//! batch to parse it, and an `aborted` entry for an id exactly as the caller
//! gave it is not sent at all: the JS side prepared that entry from its own
//! input while the run went on, and only the count crosses.

use crate::js_value::Js;
use genesys_cleanup_core::bulk::{BulkEntry, ResultSink};
use genesys_cleanup_core::ids::IdInput;
use genesys_cleanup_core::Uuid;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde::Serialize;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Entries per JSON batch: about 100 kB, parsed by V8 in well under a millisecond.
const BATCH: usize = 1_000;

type Wake = ThreadsafeFunction<(), (), Js<()>, Status, false, true>;

#[derive(Default)]
struct Pending {
    /// JSON batches ready for the JS side, oldest first.
    ready: Vec<String>,
    /// The batch being filled: input indices and their entries.
    at: Vec<u32>,
    entries: Vec<BulkEntry>,
}

/// One batch as the JS side reads it: `results[k]` answers input `at[k]`.
#[derive(Serialize)]
struct Batch<'a> {
    at: &'a [u32],
    results: &'a [BulkEntry],
}

fn json(at: &[u32], results: &[BulkEntry]) -> String {
    // Infallible in practice (plain data, string keys); a failure would lose
    // results, so it becomes a batch the JS side refuses loudly.
    serde_json::to_string(&Batch { at, results }).unwrap_or_else(|_| "null".to_string())
}

/// The results of one `closeConversations` run: the JS wrapper makes one,
/// passes it to the run, takes batches when woken and what is left when the
/// run settles.
#[napi]
pub struct ResultStream {
    pending: Arc<Mutex<Pending>>,
    /// `aborted` entries left to the JS side (not sent).
    implicit: Arc<AtomicU32>,
    /// Dropped by `close`: the function holds the JS callback, which holds
    /// this object's JS side, so it must not outlive the run (a leak of a few
    /// hundred bytes per run otherwise, seen in the soak).
    wake: Mutex<Option<Arc<Wake>>>,
}

fn lock(p: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    p.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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

    /// Every JSON batch not taken yet, the partly filled one included.
    #[napi]
    pub fn take(&self) -> Vec<String> {
        let mut p = lock(&self.pending);
        if !p.at.is_empty() {
            let batch = json(&p.at, &p.entries);
            p.ready.push(batch);
            p.at.clear();
            p.entries.clear();
        }
        std::mem::take(&mut p.ready)
    }

    /// How many `aborted` entries were left to the JS side so far.
    #[napi]
    pub fn implicit(&self) -> u32 {
        self.implicit.load(Ordering::Acquire)
    }

    /// The run has settled: no more wake-ups.
    #[napi]
    pub fn close(&self) {
        self.wake
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }
}

impl ResultStream {
    /// The core's sink for this stream. `echoes_input`: the JS side holds the
    /// run's input (a `closeConversations` list), so an `aborted` entry for
    /// an id exactly as given need not cross.
    pub fn sink(&self, echoes_input: bool) -> Arc<dyn ResultSink> {
        let wake = self.wake.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Arc::new(Sink {
            pending: self.pending.clone(),
            implicit: self.implicit.clone(),
            wake,
            echoes_input,
        })
    }
}

struct Sink {
    pending: Arc<Mutex<Pending>>,
    implicit: Arc<AtomicU32>,
    wake: Option<Arc<Wake>>,
    echoes_input: bool,
}

impl ResultSink for Sink {
    fn put(&self, index: usize, input: &IdInput, entry: BulkEntry) {
        if let BulkEntry::Aborted { conversation_id } = &entry {
            if self.echoes(input, conversation_id) {
                self.implicit.fetch_add(1, Ordering::Release);
                return;
            }
        }
        let mut p = lock(&self.pending);
        p.at.push(index as u32);
        p.entries.push(entry);
        if p.at.len() < BATCH {
            return;
        }
        let (at, entries) = (std::mem::take(&mut p.at), std::mem::take(&mut p.entries));
        drop(p);
        // Written outside the lock: the JS thread may be taking.
        let batch = json(&at, &entries);
        let mut p = lock(&self.pending);
        let first = p.ready.is_empty();
        p.ready.push(batch);
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
            self.implicit.fetch_add(1, Ordering::Release);
        } else {
            let entry = BulkEntry::Aborted {
                conversation_id: written.to_string(),
            };
            self.put(index, input, entry);
        }
    }
}

impl Sink {
    /// The JS side's prepared entry for `input` says `conversation_id`.
    fn echoes(&self, input: &IdInput, conversation_id: &str) -> bool {
        self.echoes_input && matches!(input, IdInput::Text(raw) if raw == conversation_id)
    }
}
