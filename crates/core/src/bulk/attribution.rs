//! Who ended a closed conversation on a queue with Genesys's own timer: a
//! close result's evidence read against the queues' timers (the pure rule
//! is `native::attribute`; sweep and watch call this on each result).

use crate::close::{CloseResult, Outcome};
use crate::genesys::queue::Attribution;
use crate::native::attribute::{self, Ending, Evidence};
use crate::native::TimerTable;
use std::time::SystemTime;

/// The evidence a close result carries (`now`: when it was decided).
pub fn evidence(r: &CloseResult, now: SystemTime) -> Evidence {
    let activity = r.activity.as_ref();
    Evidence {
        ending: match r.outcome {
            Outcome::AlreadyClosed => Ending::AlreadyClosed,
            Outcome::Closed | Outcome::WouldClose => Ending::Closed,
            _ => Ending::Other,
        },
        ended_by_inactivity: r.ended_by_inactivity == Some(true),
        inactivity_timeout: activity.and_then(|a| a.inactivity_timeout),
        idle: activity
            .and_then(|a| a.last)
            .and_then(|last| now.duration_since(last).ok()),
    }
}

/// Attributes `r` and sets its fields. The result's `queueId` names the
/// queue, else `queue` (watch: the topic's queue).
pub fn attribute(
    table: &TimerTable,
    r: &mut CloseResult,
    queue: Option<&str>,
    now: SystemTime,
) -> Option<Attribution> {
    if r.queue_id.is_none() {
        r.queue_id = queue.map(str::to_owned);
    }
    let timer = r.queue_id.as_deref().and_then(|q| table.timer(q));
    let a = attribute::attribute(&evidence(r, now), timer, now)?;
    r.native = Some(a);
    Some(a)
}
