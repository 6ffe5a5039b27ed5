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
use genesys_cleanup_core::observe::event_buffer::EventBuffer;
use genesys_cleanup_core::observe::events::Event;
use genesys_cleanup_core::stats::Counts;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use std::sync::{Arc, Mutex};

type Wake = ThreadsafeFunction<(), (), Js<Vec<Event>>, Status, false, true>;

/// The core's event sink for `listener` (a JS function receiving a batch of
/// events), and the buffer the JS wrapper drains when a run settles.
pub fn event_sink(
    listener: Function<'_, Js<Vec<Event>>, ()>,
) -> Result<(
    genesys_cleanup_core::observe::events::EventSink,
    Arc<EventBuffer>,
)> {
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
