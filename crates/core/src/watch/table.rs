//! The activity table: every open conversation the watcher knows, with its
//! last activity, and a min-heap of deadlines (last activity + idle time)
//! that says who is due. One heap for all conversations, not a timer each:
//! a new activity pushes a new deadline and the old one is skipped when it
//! surfaces (lazy deletion, tagged by generation); the heap is rebuilt when
//! stale entries outnumber live ones.
//!
//! Bounded: at most `max` conversations are tracked; one more is refused
//! (and counted), to be found by a later reconciliation sweep. Conversations
//! that are finished (closed, ended, reported in a dry run) are remembered in
//! a bounded ring so a late event or sweep does not track them again.
//! Pure: times are epoch milliseconds passed in.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    last_ms: u64,
    generation: u64,
    /// A close is running for it: not handed out again until settled.
    in_flight: bool,
}

/// What `observe` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// Newly tracked.
    New,
    /// Known, and this activity is newer: its deadline moved.
    Later,
    /// Known with a newer or equal activity already, or finished: no change.
    Unchanged,
    /// The table is full: not tracked.
    Refused,
}

pub struct Table {
    idle_ms: u64,
    max: usize,
    entries: HashMap<String, Entry>,
    heap: BinaryHeap<Reverse<(u64, u64, String)>>,
    next_generation: u64,
    finished: HashSet<String>,
    finished_order: VecDeque<String>,
    refused: u64,
}

impl Table {
    pub fn new(idle_ms: u64, max: usize) -> Table {
        Table {
            idle_ms,
            max: max.max(1),
            entries: HashMap::new(),
            heap: BinaryHeap::new(),
            next_generation: 0,
            finished: HashSet::new(),
            finished_order: VecDeque::new(),
            refused: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Conversations refused because the table was full.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    pub fn contains(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }

    fn push(&mut self, id: &str, last_ms: u64) -> u64 {
        self.next_generation += 1;
        let g = self.next_generation;
        self.heap.push(Reverse((
            last_ms.saturating_add(self.idle_ms),
            g,
            id.to_string(),
        )));
        if self.heap.len() > 2 * self.entries.len() + 1024 {
            self.compact();
        }
        g
    }

    /// Rebuilds the heap from the live entries (drops stale deadlines).
    fn compact(&mut self) {
        let idle = self.idle_ms;
        self.heap = self
            .entries
            .iter()
            .map(|(id, e)| Reverse((e.last_ms.saturating_add(idle), e.generation, id.clone())))
            .collect();
    }

    /// Records activity at `last_ms` (the newest wins).
    pub fn observe(&mut self, id: &str, last_ms: u64) -> Observed {
        if self.finished.contains(id) {
            return Observed::Unchanged;
        }
        match self.entries.get(id).copied() {
            Some(e) if e.last_ms >= last_ms => Observed::Unchanged,
            Some(e) => {
                let generation = self.push(id, last_ms);
                self.entries.insert(
                    id.to_string(),
                    Entry {
                        last_ms,
                        generation,
                        in_flight: e.in_flight,
                    },
                );
                Observed::Later
            }
            None if self.entries.len() >= self.max => {
                self.refused += 1;
                Observed::Refused
            }
            None => {
                // Insert first so `push` sizes the heap against the new count.
                self.entries.insert(
                    id.to_string(),
                    Entry {
                        last_ms,
                        generation: 0,
                        in_flight: false,
                    },
                );
                let generation = self.push(id, last_ms);
                if let Some(e) = self.entries.get_mut(id) {
                    e.generation = generation;
                }
                Observed::New
            }
        }
    }

    /// Stops tracking (the conversation ended, or a close settled it).
    pub fn forget(&mut self, id: &str) -> bool {
        self.entries.remove(id).is_some()
    }

    /// Forgets it and remembers it as finished (bounded by `max`).
    pub fn finish(&mut self, id: &str) {
        self.forget(id);
        if self.finished.insert(id.to_string()) {
            self.finished_order.push_back(id.to_string());
            if self.finished_order.len() > self.max {
                if let Some(old) = self.finished_order.pop_front() {
                    self.finished.remove(&old);
                }
            }
        }
    }

    /// Drops stale heap tops (superseded, forgotten or in flight).
    fn clean_top(&mut self) {
        while let Some(Reverse((_, g, id))) = self.heap.peek() {
            match self.entries.get(id) {
                Some(e) if e.generation == *g && !e.in_flight => return,
                _ => {
                    self.heap.pop();
                }
            }
        }
    }

    /// The earliest deadline of a conversation not in flight.
    pub fn next_deadline(&mut self) -> Option<u64> {
        self.clean_top();
        self.heap.peek().map(|Reverse((due, _, _))| *due)
    }

    /// A conversation due at `now_ms` (its deadline has passed), marked in
    /// flight; `None` when nobody is due.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<String> {
        self.clean_top();
        let due = self
            .heap
            .peek()
            .is_some_and(|Reverse((d, _, _))| *d <= now_ms);
        if !due {
            return None;
        }
        let Reverse((_, _, id)) = self.heap.pop()?;
        if let Some(e) = self.entries.get_mut(&id) {
            e.in_flight = true;
        }
        Some(id)
    }

    /// A close that found it still active: track it again with the newest
    /// activity we know (the read's or a later event's) and a deadline no
    /// earlier than `not_before_ms` (a running inactivity timer).
    pub fn reschedule(&mut self, id: &str, read_last_ms: u64, not_before_ms: u64) {
        let Some(e) = self.entries.get(id).copied() else {
            return;
        };
        let last = e
            .last_ms
            .max(read_last_ms)
            .max(not_before_ms.saturating_sub(self.idle_ms));
        self.next_generation += 1;
        let generation = self.next_generation;
        self.entries.insert(
            id.to_string(),
            Entry {
                last_ms: last,
                generation,
                in_flight: false,
            },
        );
        self.heap.push(Reverse((
            last.saturating_add(self.idle_ms),
            generation,
            id.to_string(),
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: u64 = 1000;

    fn drain(t: &mut Table, now: u64) -> Vec<String> {
        std::iter::from_fn(|| t.pop_due(now)).collect()
    }

    #[test]
    fn due_in_deadline_order_and_newest_activity_wins() {
        let mut t = Table::new(IDLE, 10);
        assert_eq!(t.observe("a", 100), Observed::New);
        assert_eq!(t.observe("b", 50), Observed::New);
        assert_eq!(t.observe("a", 80), Observed::Unchanged, "older activity");
        assert_eq!(t.next_deadline(), Some(1050));
        assert_eq!(drain(&mut t, 1049), Vec::<String>::new());
        assert_eq!(drain(&mut t, 1100), ["b", "a"]);
        assert_eq!(t.next_deadline(), None, "both in flight");
    }

    #[test]
    fn fresh_activity_moves_the_deadline() {
        let mut t = Table::new(IDLE, 10);
        t.observe("a", 0);
        assert_eq!(t.observe("a", 900), Observed::Later);
        assert_eq!(
            drain(&mut t, 1000),
            Vec::<String>::new(),
            "the old deadline is stale"
        );
        assert_eq!(t.next_deadline(), Some(1900));
        assert_eq!(drain(&mut t, 1900), ["a"]);
    }

    #[test]
    fn reschedule_after_an_active_read_and_a_running_timer() {
        let mut t = Table::new(IDLE, 10);
        t.observe("a", 0);
        assert_eq!(drain(&mut t, 1000), ["a"]);
        // An event while the close was in flight is kept.
        assert_eq!(t.observe("a", 300), Observed::Later);
        assert_eq!(drain(&mut t, 1500), Vec::<String>::new(), "still in flight");
        t.reschedule("a", 200, 0);
        assert_eq!(
            t.next_deadline(),
            Some(1300),
            "the event's time beats the read's"
        );
        t.reschedule("a", 200, 5000);
        assert_eq!(
            t.next_deadline(),
            Some(5000),
            "not before the inactivity timeout"
        );
        t.reschedule("gone", 1, 1);
        assert!(!t.contains("gone"));
    }

    #[test]
    fn bounded_and_finished_are_not_tracked_again() {
        let mut t = Table::new(IDLE, 2);
        t.observe("a", 0);
        t.observe("b", 0);
        assert_eq!(t.observe("c", 0), Observed::Refused);
        assert_eq!(t.refused(), 1);
        t.finish("a");
        assert_eq!(t.len(), 1);
        assert_eq!(t.observe("a", 5000), Observed::Unchanged, "finished");
        assert_eq!(t.observe("c", 0), Observed::New);
        // The finished ring is bounded too: the oldest is forgotten.
        t.finish("x");
        t.finish("y");
        assert_eq!(
            t.observe("a", 1),
            Observed::Refused,
            "remembered no longer, but full"
        );
        t.forget("b");
        assert_eq!(t.observe("a", 1), Observed::New);
    }

    #[test]
    fn many_updates_keep_the_heap_bounded() {
        let mut t = Table::new(IDLE, 10);
        for i in 0..100_000u64 {
            t.observe("a", i);
        }
        assert!(t.heap.len() <= 2 * t.len() + 1025, "{}", t.heap.len());
        assert_eq!(t.next_deadline(), Some(99_999 + IDLE));
    }
}
