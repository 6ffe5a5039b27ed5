//! What one close did, before the timing and counters are added.

use super::types::{CloseMethod, CloseResult, Outcome, SkipReason};
use crate::genesys::activity::Activity;
use crate::genesys::model::MessageConversation;
use crate::stats::CallStats;

/// What one close did (before the timing and counters are added).
#[derive(Debug)]
pub(super) struct Step {
    pub(super) outcome: Outcome,
    pub(super) reason: Option<String>,
    pub(super) skip_reason: Option<SkipReason>,
    pub(super) activity: Option<Activity>,
    pub(super) activity_after_read: Option<String>,
    pub(super) method: CloseMethod,
    pub(super) disconnected: u32,
    /// Already closed, and the read showed `disconnectType: inactivity`.
    pub(super) ended_by_inactivity: bool,
    /// The queue the read showed (see `MessageConversation::queue_id`).
    pub(super) queue_id: Option<String>,
}

impl Step {
    /// The result a caller sees: this step with its id, counters and time.
    pub(super) fn into_result(self, id: String, stats: CallStats, elapsed_ms: f64) -> CloseResult {
        CloseResult {
            conversation_id: id,
            outcome: self.outcome,
            reason: self.reason,
            skip_reason: self.skip_reason,
            activity: self.activity,
            activity_after_read: self.activity_after_read,
            method: self.method,
            participants_disconnected: self.disconnected,
            ended_by_inactivity: self.ended_by_inactivity.then_some(true),
            queue_id: self.queue_id,
            native: None,
            stats,
            elapsed_ms,
        }
    }

    pub(super) fn no_write(outcome: Outcome) -> Step {
        Step {
            outcome,
            reason: None,
            skip_reason: None,
            activity: None,
            activity_after_read: None,
            method: CloseMethod::None,
            disconnected: 0,
            ended_by_inactivity: false,
            queue_id: None,
        }
    }

    pub(super) fn not_found(disconnected: u32) -> Step {
        Step {
            disconnected,
            ..Step::no_write(Outcome::NotFound)
        }
    }

    pub(super) fn closed(method: CloseMethod, disconnected: u32) -> Step {
        Step {
            method,
            disconnected,
            ..Step::no_write(Outcome::Closed)
        }
    }

    pub(super) fn skipped(skip_reason: SkipReason, reason: String) -> Step {
        Step {
            reason: Some(reason),
            skip_reason: Some(skip_reason),
            ..Step::no_write(Outcome::Skipped)
        }
    }

    pub(super) fn with_activity(self, activity: Option<Activity>) -> Step {
        Step { activity, ..self }
    }

    /// The attribution evidence of the read it was decided on.
    pub(super) fn with_read(self, conv: &MessageConversation) -> Step {
        Step {
            ended_by_inactivity: self.outcome == Outcome::AlreadyClosed
                && conv.ended_by_inactivity(),
            queue_id: conv.queue_id().map(str::to_owned),
            ..self
        }
    }
}

#[cfg(test)]
impl CloseResult {
    /// Only an id and an outcome: the base of the test tables (`..bare()`).
    pub(crate) fn bare(id: &str, outcome: Outcome) -> Self {
        Step::no_write(outcome).into_result(id.into(), CallStats::default(), 0.0)
    }
}
