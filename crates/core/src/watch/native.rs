//! Genesys's own timers in a watch: the queues' timers (listed at the start
//! and again with each periodic sweep), each close result attributed, an
//! inactivity end seen on the stream counted, and every conversation counted
//! once (the ids counted as ended by Genesys are remembered, bounded, since
//! both the stream and a later re-read can show the same end).

use crate::bulk::attribution;
use crate::close::CloseResult;
use crate::genesys::queue::{Attribution, NativeTimer};
use crate::native::attribute::NativeTimerCounts;
use crate::native::TimerTable;
use std::collections::{HashSet, VecDeque};
use std::time::SystemTime;

/// Ids remembered as ended by Genesys (oldest forgotten first).
const MAX_REMEMBERED: usize = 10_000;

#[derive(Default)]
pub(super) struct NativeWatch {
    table: TimerTable,
    counts: NativeTimerCounts,
    ended: HashSet<String>,
    order: VecDeque<String>,
}

impl NativeWatch {
    pub(super) fn new(table: TimerTable) -> Self {
        NativeWatch {
            counts: table.counts(),
            table,
            ..NativeWatch::default()
        }
    }

    /// The queues listed again: counted from now on against these.
    pub(super) fn relisted(&mut self, table: TimerTable) {
        let fresh = table.counts();
        self.counts.queues_with_timer = fresh.queues_with_timer;
        self.counts.available = fresh.available;
        self.counts.reason = fresh.reason;
        self.table = table;
    }

    pub(super) fn counts(&self) -> NativeTimerCounts {
        self.counts.clone()
    }

    /// Attributes a close result and counts it (an end by Genesys already
    /// counted is not counted again). `Some(true)`: newly ended by Genesys.
    pub(super) fn result(&mut self, r: &mut CloseResult) -> Option<bool> {
        let a = attribution::attribute(&self.table, r, None, SystemTime::now())?;
        Some(self.count(&r.conversation_id, &a))
    }

    /// The stream shows the conversation ended for inactivity on `queue`.
    /// True when it had not been counted yet.
    pub(super) fn stream_end(&mut self, id: &str, queue: Option<&str>) -> bool {
        let timer = queue.and_then(|q| self.table.timer(q));
        let a = Attribution {
            native_timer: NativeTimer::EndedByGenesys,
            queue_timeout_seconds: timer.and_then(|t| t.timeout_seconds),
            timer_live: timer.filter(|t| t.may_run()).map(|t| t.live),
        };
        self.count(id, &a)
    }

    fn count(&mut self, id: &str, a: &Attribution) -> bool {
        if a.native_timer == NativeTimer::EndedByGenesys {
            if self.ended.contains(id) {
                return false;
            }
            if self.order.len() >= MAX_REMEMBERED {
                if let Some(old) = self.order.pop_front() {
                    self.ended.remove(&old);
                }
            }
            self.ended.insert(id.to_owned());
            self.order.push_back(id.to_owned());
        }
        self.counts.count(a);
        a.native_timer == NativeTimer::EndedByGenesys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_end_by_genesys_counts_once() {
        let mut n = NativeWatch::new(TimerTable::default());
        assert!(n.stream_end("a", None));
        assert!(!n.stream_end("a", None));
        assert!(n.stream_end("b", Some("q")));
        let c = n.counts();
        assert_eq!((c.ended_by_genesys, c.unclear, c.available), (2, 0, false));
    }
}
