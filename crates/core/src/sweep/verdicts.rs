//! A sweep's verdicts, reached as each candidate's close is decided: the
//! sink a sweep puts in front of its caller's, so that the caller can take
//! every entry and every conversation found as they come (nothing is left to
//! convert when the sweep ends, however many candidates it had), and the
//! sweep still counts what it spared.

use super::SweepSink;
use crate::bulk::{attribution, BulkEntry, ResultSink};
use crate::discover::{judge_candidate, Candidate, Judged};
use crate::genesys::ids::IdInput;
use crate::native::attribute::NativeTimerCounts;
use crate::native::TimerTable;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::SystemTime;
use uuid::Uuid;

pub struct Verdicts {
    candidates: Arc<[Candidate]>,
    spared_active: AtomicU32,
    next: Arc<dyn SweepSink>,
    /// The queues' timers, listed at the sweep's start.
    timers: TimerTable,
    /// Who ended what on queues with a timer, so far.
    native: Mutex<NativeTimerCounts>,
}

impl Verdicts {
    pub fn new(candidates: Arc<[Candidate]>, next: Arc<dyn SweepSink>, timers: TimerTable) -> Self {
        Verdicts {
            candidates,
            spared_active: AtomicU32::new(0),
            next,
            native: Mutex::new(timers.counts()),
            timers,
        }
    }

    /// The native timer counts so far.
    pub fn native_counts(&self) -> NativeTimerCounts {
        self.native
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Requests the queue listing took.
    pub fn timer_requests(&self) -> u32 {
        self.timers.requests
    }

    /// Attributes a decided close (each candidate reaches `put` once).
    fn attribute(&self, entry: &mut BulkEntry, now: SystemTime) {
        if let BulkEntry::Done(r) = entry {
            if let Some(a) = attribution::attribute(&self.timers, r, None, now) {
                self.native
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .count(&a);
            }
        }
    }

    /// Candidates the re-read showed active, so far.
    pub fn spared_active(&self) -> u32 {
        self.spared_active.load(Ordering::Acquire)
    }
}

impl ResultSink for Verdicts {
    fn inputs(&self, inputs: &[IdInput]) {
        self.next.inputs(inputs)
    }

    fn put(&self, index: usize, input: &IdInput, mut entry: BulkEntry) {
        let now = SystemTime::now();
        self.attribute(&mut entry, now);
        // Inputs are the candidates, in order: an index past them would be a
        // bug in the run, and judging stops short rather than panics.
        if let Some(c) = self.candidates.get(index) {
            // Idle time as of this candidate's re-read.
            match judge_candidate(c, &entry, now) {
                Judged::Idle(idle) => self.next.found(index, idle),
                Judged::Active => {
                    self.spared_active.fetch_add(1, Ordering::AcqRel);
                }
                Judged::Unconfirmed(_) | Judged::Gone => {}
            }
        }
        self.next.put(index, input, entry)
    }

    // An aborted candidate was never re-read: unconfirmed, neither found nor
    // spared (as `judge_candidate` says), so it passes straight on.
    fn aborted(&self, index: usize, input: &IdInput, id: &Uuid) {
        self.next.aborted(index, input, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::{CloseResult, Outcome, SkipReason};
    use crate::discover::IdleConversation;

    /// What reaches the caller's sink, in order: ("put" | "found" | "aborted", index).
    #[derive(Default)]
    struct Seen(Mutex<Vec<(&'static str, usize)>>);

    impl ResultSink for Seen {
        fn put(&self, index: usize, _input: &IdInput, _entry: BulkEntry) {
            self.0.lock().unwrap().push(("put", index));
        }
        fn aborted(&self, index: usize, _input: &IdInput, _id: &Uuid) {
            self.0.lock().unwrap().push(("aborted", index));
        }
    }

    impl SweepSink for Seen {
        fn found(&self, index: usize, _idle: IdleConversation) {
            self.0.lock().unwrap().push(("found", index));
        }
    }

    fn done(id: &str, outcome: Outcome, skip_reason: Option<SkipReason>) -> BulkEntry {
        BulkEntry::Done(CloseResult {
            skip_reason,
            ..CloseResult::bare(id, outcome)
        })
    }

    #[test]
    fn found_rides_before_its_entry_and_the_spared_are_counted() {
        let ids = [
            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
            "1b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
        ];
        let candidates: Arc<[Candidate]> = ids
            .iter()
            .map(|id| Candidate {
                conversation_id: id.to_string(),
                started_at: "2026-11-30T08:00:00Z".into(),
                participants: 2,
            })
            .collect();
        let seen = Arc::new(Seen::default());
        let v = Verdicts::new(candidates, seen.clone(), TimerTable::default());
        let input = |i: usize| IdInput::from(ids[i]);
        v.put(
            1,
            &input(1),
            done(ids[1], Outcome::Skipped, Some(SkipReason::Active)),
        );
        v.put(0, &input(0), done(ids[0], Outcome::Closed, None));
        v.aborted(2, &input(2), &Uuid::parse_str(ids[2]).unwrap());
        // An index past the candidates is passed on, not judged (and no panic).
        v.put(9, &input(0), done(ids[0], Outcome::Closed, None));
        assert_eq!(v.spared_active(), 1);
        assert_eq!(
            *seen.0.lock().unwrap(),
            vec![
                ("put", 1),
                ("found", 0),
                ("put", 0),
                ("aborted", 2),
                ("put", 9)
            ]
        );
    }
}
