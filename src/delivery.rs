//! Getting events and progress from the runtime's threads to JS callbacks
//! without losing them, without queueing without limit, and without keeping
//! Node alive.
//!
//! A napi threadsafe function queues one JS call per `call`: a fast run
//! queued one per event (unbounded), napi ran at most a thousand per turn of
//! the event loop, so a run's promise could resolve before its events were
//! delivered, and the weak function let the process exit with them still
//! queued. Here the native side only fills a bounded buffer and wakes the JS
//! thread once; the JS thread takes the whole buffer per wake-up, and the JS
//! wrapper takes what is left (`take`) before it settles a run's promise.

use crate::js_value::Js;
use genesys_cleanup_core::bulk::Counts;
use genesys_cleanup_core::events::Event;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

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
    /// Keeps `e` (or counts it as dropped); true when the JS thread must be woken.
    fn push(&self, e: Event) -> bool {
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

type Wake = ThreadsafeFunction<(), (), Js<Vec<Event>>, Status, false, true>;

/// The core's event sink for `listener` (a JS function receiving a batch of
/// events), and the buffer the JS wrapper drains when a run settles.
pub fn event_sink(
    listener: Function<'_, Js<Vec<Event>>, ()>,
) -> Result<(genesys_cleanup_core::events::EventSink, Arc<EventBuffer>)> {
    let buffer = Arc::new(EventBuffer::default());
    let taken = buffer.clone();
    // Weak: an observer alone must not keep Node alive (a run's own promise
    // does, and everything is taken before it settles).
    let wake: Wake = listener
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .build_callback(move |_| Ok(Js(taken.take())))?;
    let filled = buffer.clone();
    let sink = Arc::new(move |e: Event| {
        if filled.push(e) {
            wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    });
    Ok((sink, buffer))
}

/// The latest counts, waiting for the JS thread: progress is cumulative, so
/// only the newest matters and one slot bounds it.
#[derive(Default)]
struct ProgressSlot {
    latest: Mutex<(Option<Counts>, bool)>,
}

type ProgressWake = ThreadsafeFunction<(), (), Js<Option<Counts>>, Status, false, true>;

/// The core's progress sink for `callback`: at most one call queued at a
/// time, carrying the newest counts when it runs.
pub fn progress_sink(
    callback: Function<'_, Js<Option<Counts>>, ()>,
) -> Result<genesys_cleanup_core::bulk::ProgressSink> {
    let slot = Arc::new(ProgressSlot::default());
    let taken = slot.clone();
    let wake: ProgressWake = callback
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .build_callback(move |_| {
            let mut s = taken.latest.lock().unwrap_or_else(|p| p.into_inner());
            s.1 = false;
            Ok(Js(s.0.take()))
        })?;
    Ok(Arc::new(move |c: Counts| {
        let mut s = slot.latest.lock().unwrap_or_else(|p| p.into_inner());
        s.0 = Some(c);
        if !std::mem::replace(&mut s.1, true) {
            drop(s);
            wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_cleanup_core::events::EventKind;

    fn event(attempt: u32) -> Event {
        Event::new(EventKind::Request, "GET", "/r", attempt)
    }

    #[test]
    fn one_wake_per_batch_and_everything_in_order() {
        let b = EventBuffer::default();
        assert!(b.push(event(0)), "the first event wakes the JS thread");
        assert!(!b.push(event(1)), "later ones ride on that wake-up");
        let got: Vec<u32> = b.take().iter().map(|e| e.attempt).collect();
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
