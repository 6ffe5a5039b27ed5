//! What the state read says to do. Pure: decided from the conversation and
//! the options at a given time, tested without HTTP.

use super::types::{CloseOptions, SkipReason};
use crate::genesys::activity::{self, Idleness};
use crate::genesys::model::{MessageConversation, MessageParticipant};
use std::time::{Duration, SystemTime};

/// What the state read says to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    AlreadyClosed,
    Skip(SkipReason, String),
    End {
        /// Participants to disconnect with the wrap-up code (agents that must wrap up).
        wrapup: Vec<String>,
        /// Every other participant still open.
        open: Vec<String>,
    },
}

/// Decides from a conversation's state at `now`. Pure: tested without HTTP.
pub fn decide(conv: &MessageConversation, opts: &CloseOptions, now: SystemTime) -> Decision {
    if conv.participants.is_empty() || conv.participants.iter().all(MessageParticipant::is_ended) {
        return Decision::AlreadyClosed;
    }
    let types: Vec<&str> = conv
        .participants
        .iter()
        .filter_map(|p| p.message_type.as_deref())
        .collect();
    let allowed = types
        .iter()
        .any(|t| opts.message_types.iter().any(|m| m == t));
    if !allowed {
        let reason = match types.first() {
            Some(t) => format!(
                "not a {} conversation (message type {t}); a cleanup never ends other channels by mistake",
                opts.message_types.join("/")
            ),
            None => "the participants carry no message type, so it cannot be confirmed as web messaging".to_string(),
        };
        return Decision::Skip(SkipReason::MessageType, reason);
    }
    if let Some(threshold) = opts.idle_for {
        if let Some(skip) = idle_guard(conv, now, threshold) {
            return skip;
        }
    }
    let mut wrapup = Vec::new();
    let mut open = Vec::new();
    for p in conv.participants.iter().filter(|p| !p.is_ended()) {
        if opts.wrapup_code.is_some()
            && p.is_agent()
            && p.wrapup_required == Some(true)
            && p.wrapup.is_none()
        {
            wrapup.push(p.id.clone());
        } else {
            open.push(p.id.clone());
        }
    }
    Decision::End { wrapup, open }
}

/// The idle guard: `None` when the conversation has been idle long enough.
fn idle_guard(
    conv: &MessageConversation,
    now: SystemTime,
    threshold: Duration,
) -> Option<Decision> {
    let a = activity::activity(conv);
    let last = a.last_at.as_deref().unwrap_or("unknown");
    let threshold_text = humantime::format_duration(threshold);
    match activity::idleness(&a, now, threshold) {
        Idleness::Idle { .. } => None,
        Idleness::Active { idle } => Some(Decision::Skip(
            SkipReason::Active,
            format!(
                "still active: last activity at {last} ({} ago), less than the idle threshold of {threshold_text}",
                humantime::format_duration(Duration::from_secs(idle.as_secs()))
            ),
        )),
        Idleness::TimerRunning => Some(Decision::Skip(
            SkipReason::Active,
            format!(
                "still active: its inactivity timeout ({}) has not passed yet",
                conv.inactivity_timeout.as_deref().unwrap_or("?")
            ),
        )),
        Idleness::Unknown => Some(Decision::Skip(
            SkipReason::ActivityUnknown,
            "the conversation carries no message or participant time, so it cannot be confirmed idle; left open".to_string(),
        )),
    }
}
