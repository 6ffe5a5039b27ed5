//! Activity that slipped in between the read a close was decided on and
//! the close itself. Genesys has no conditional close, so a message can land
//! after our read and before our PATCH; the notification stream may show it
//! afterwards. This keeps the recent closes (a bounded map) and tells which
//! conversation event reveals such a message. Pure: times are passed in.

use std::collections::{HashMap, VecDeque};

/// The most recent closes remembered; older ones are forgotten first.
pub const MAX_RECENT: usize = 4096;
/// How long after a close an event may still reveal activity after the read:
/// events are near-real-time, so a late one is not worth waiting for.
pub const WINDOW_MS: u64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Close {
    /// The read's last activity (epoch ms).
    read_last_ms: u64,
    /// When the close's answer came (epoch ms).
    closed_at_ms: u64,
}

/// Recent closes: conversation id -> what the close was based on.
#[derive(Debug)]
pub struct RecentCloses {
    max: usize,
    by_id: HashMap<String, Close>,
    /// Ids in the order they were added (an id may appear again after a
    /// re-add; a stale position is skipped when evicting).
    order: VecDeque<(String, u64)>,
}

impl Default for RecentCloses {
    fn default() -> Self {
        Self::new(MAX_RECENT)
    }
}

impl RecentCloses {
    pub fn new(max: usize) -> Self {
        RecentCloses {
            max: max.max(1),
            by_id: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Remembers a close of `id`, decided on a read whose last activity was
    /// `read_last_ms`, answered at `closed_at_ms`.
    pub fn closed(&mut self, id: &str, read_last_ms: u64, closed_at_ms: u64) {
        self.by_id.insert(
            id.to_string(),
            Close {
                read_last_ms,
                closed_at_ms,
            },
        );
        self.order.push_back((id.to_string(), closed_at_ms));
        while self.by_id.len() > self.max || self.order.len() > 2 * self.max {
            let Some((old, at)) = self.order.pop_front() else {
                break;
            };
            if self.by_id.get(&old).is_some_and(|c| c.closed_at_ms == at) {
                self.by_id.remove(&old);
            }
        }
    }

    /// An event of `id` arrived at `now_ms` showing a message at
    /// `message_ms`: true (once per close) when that message is newer than
    /// the read and not after the close, within [`WINDOW_MS`] of the close.
    /// A close that the event shows nothing new about stays remembered.
    pub fn reveals(&mut self, id: &str, message_ms: Option<u64>, now_ms: u64) -> bool {
        let Some(c) = self.by_id.get(id).copied() else {
            return false;
        };
        if now_ms > c.closed_at_ms.saturating_add(WINDOW_MS) {
            self.by_id.remove(id);
            return false;
        }
        match message_ms {
            Some(m) if m > c.read_last_ms && m <= c.closed_at_ms => {
                self.by_id.remove(id);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_between_read_and_close_is_revealed_once() {
        // (message ms, event at ms, revealed)
        let table = [
            (None, 1_100, false),
            (Some(900), 1_100, false),   // what the read saw
            (Some(1_000), 1_100, false), // the read's own last activity
            (Some(1_001), 1_100, true),  // after the read, before the close
            (Some(2_000), 2_100, true),  // at the close
            (Some(2_001), 2_100, false), // after the close: a new message, not a slip
            (Some(1_500), 2_000 + WINDOW_MS + 1, false), // too late to tell
        ];
        for (message, at, want) in table {
            let mut r = RecentCloses::new(8);
            r.closed("c", 1_000, 2_000);
            assert_eq!(r.reveals("c", message, at), want, "{message:?} {at}");
            if want {
                assert!(!r.reveals("c", message, at), "counted once");
            }
        }
        assert!(!RecentCloses::new(8).reveals("unknown", Some(5), 5));
    }

    #[test]
    fn it_is_bounded_oldest_first() {
        let mut r = RecentCloses::new(3);
        for (i, id) in ["a", "b", "c", "d"].iter().enumerate() {
            r.closed(id, 0, 10 + i as u64);
        }
        assert_eq!(r.len(), 3);
        assert!(!r.reveals("a", Some(5), 20), "a was evicted");
        assert!(r.reveals("d", Some(5), 20));
        // Closing one id again many times keeps the order queue bounded.
        let mut r = RecentCloses::new(2);
        for i in 0..100 {
            r.closed("x", 0, i);
        }
        assert!(r.order.len() <= 4 && r.len() == 1);
    }
}
