//! Events waiting for a consumer that takes them in batches (the binding's
//! JS thread): bounded, in order, with one wake-up per batch and a count of
//! what did not fit. Pure; the binding (`src/delivery.rs`) does the waking.

use crate::observe::events::Event;
use std::collections::VecDeque;
use std::sync::Mutex;

/// Events held for a listener that has not taken them yet. Far above what a
/// listener that keeps up ever holds (one turn of the event loop); a
/// listener slower than the run loses the excess, counted in one `dropped`
/// event, instead of the native side blocking or growing without limit.
pub const EVENT_CAPACITY: usize = 10_000;

#[derive(Default)]
struct EventState {
    items: VecDeque<Event>,
    dropped: u64,
    /// A wake-up is queued and has not taken the buffer yet.
    scheduled: bool,
}

#[derive(Default)]
pub struct EventBuffer {
    state: Mutex<EventState>,
}

impl EventBuffer {
    /// Keeps `e` (or counts it as dropped); true when the consumer must be woken.
    pub fn push(&self, e: Event) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.items.len() < EVENT_CAPACITY {
            s.items.push_back(e);
        } else {
            s.dropped += 1;
        }
        !std::mem::replace(&mut s.scheduled, true)
    }

    /// Everything buffered, oldest first, then a `dropped` event if any were.
    pub fn take(&self) -> Vec<Event> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.scheduled = false;
        let mut out: Vec<Event> = s.items.drain(..).collect();
        if s.dropped > 0 {
            out.push(Event::dropped(std::mem::take(&mut s.dropped)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::events::EventKind;

    fn event(attempt: u32) -> Event {
        Event::new(EventKind::Request, "GET", "/r", attempt)
    }

    #[test]
    fn one_wake_per_batch_and_everything_in_order() {
        let b = EventBuffer::default();
        assert!(b.push(event(0)), "the first event wakes the JS thread");
        assert!(!b.push(event(1)), "later ones ride on that wake-up");
        let got: Vec<u32> = b.take().iter().filter_map(|e| e.attempt).collect();
        assert_eq!(got, vec![0, 1]);
        assert!(b.push(event(2)), "after a take, the next event wakes again");
    }

    #[test]
    fn beyond_capacity_events_are_counted_not_kept() {
        let b = EventBuffer::default();
        for i in 0..EVENT_CAPACITY + 25 {
            b.push(event(i as u32));
        }
        let got = b.take();
        assert_eq!(got.len(), EVENT_CAPACITY + 1);
        let last = got.last().unwrap();
        assert_eq!((last.kind, last.count), (EventKind::Dropped, Some(25)));
        assert!(b.take().is_empty(), "the count is reported once");
    }
}
