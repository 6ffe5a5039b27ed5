//! What a close takes and gives: its options, its result and their words.

use crate::error::Error;
use crate::genesys::activity::Activity;
use crate::genesys::ids;
use crate::genesys::message_types::{check_message_types, default_message_types};
use crate::genesys::queue::Attribution;
use crate::options::{self, Validated};
use crate::stats::CallStats;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Closed,
    AlreadyClosed,
    NotFound,
    Skipped,
    /// Dry run: the conversation is open and would have been ended.
    WouldClose,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Closed,
        Outcome::AlreadyClosed,
        Outcome::NotFound,
        Outcome::Skipped,
        Outcome::WouldClose,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Closed => "closed",
            Outcome::AlreadyClosed => "alreadyClosed",
            Outcome::NotFound => "notFound",
            Outcome::Skipped => "skipped",
            Outcome::WouldClose => "wouldClose",
        }
    }
}

serialize_as_str!(Outcome, CloseMethod, SkipReason);

/// Why a conversation was left open (`skipReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not one of the message types this cleanup may end.
    MessageType,
    /// Something happened more recently than `idleForMs` (or the queue's
    /// inactivity timer is still running).
    Active,
    /// The conversation carries no timestamp, so it cannot be confirmed idle.
    ActivityUnknown,
}

impl SkipReason {
    pub const ALL: [SkipReason; 3] = [
        SkipReason::MessageType,
        SkipReason::Active,
        SkipReason::ActivityUnknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::MessageType => "messageType",
            SkipReason::Active => "active",
            SkipReason::ActivityUnknown => "activityUnknown",
        }
    }
}

/// How the conversation was ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseMethod {
    /// One `PATCH /conversations/messages/{id}` for every participant.
    Conversation,
    /// One `PATCH .../participants/{pid}` per participant.
    Participants,
    /// `POST /conversations/{id}/disconnect`, the last resort for a stuck conversation.
    Teardown,
    None,
}

impl CloseMethod {
    /// Every method, for the type test (tests/dts.rs).
    pub const ALL: [CloseMethod; 4] = [
        CloseMethod::Conversation,
        CloseMethod::Participants,
        CloseMethod::Teardown,
        CloseMethod::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CloseMethod::Conversation => "conversation",
            CloseMethod::Participants => "participants",
            CloseMethod::Teardown => "teardown",
            CloseMethod::None => "none",
        }
    }
}

/// What to do when closing (`CloseBehaviour` in JS): read once from the
/// caller's options object (see `options::parse`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CloseOptions {
    /// Wrap-up code id (a UUID) applied to agent participants that require wrap-up.
    pub wrapup_code: Option<String>,
    /// Re-read until every participant is ended (bounded by `verifyTimeoutMs`).
    pub verify: bool,
    /// How long `verify` waits for the participants to end. Default 10000.
    #[serde(
        rename = "verifyTimeoutMs",
        deserialize_with = "options::millis::<_, 0, 600_000>"
    )]
    pub verify_timeout: Duration,
    /// With `verify`: when the conversation stays stuck, tear it down
    /// (`POST /api/v2/conversations/{id}/disconnect`, the documented last resort).
    pub teardown_stuck: bool,
    /// Skip the read: one request per conversation, for ids known to be open
    /// web messaging conversations. Ignored with `wrapupCode`, `dryRun` or `idleForMs`.
    pub fast: bool,
    /// Message types this call may end (default: only `webmessaging`).
    pub message_types: Vec<String>,
    /// Let `messageTypes` hold types this version does not know (see
    /// `options::check_message_types`).
    pub allow_unknown_message_types: bool,
    /// Read and decide, but write nothing (outcome `wouldClose` for open ones).
    pub dry_run: bool,
    /// Idle guard: end only when nothing happened in the conversation for at
    /// least this long (see `activity`); otherwise skip it as `active`.
    #[serde(
        rename = "idleForMs",
        deserialize_with = "options::opt_millis::<_, 0, 31_536_000_000>"
    )]
    pub idle_for: Option<Duration>,
}

impl Default for CloseOptions {
    fn default() -> Self {
        CloseOptions {
            wrapup_code: None,
            verify: false,
            verify_timeout: Duration::from_secs(10),
            teardown_stuck: false,
            fast: false,
            message_types: default_message_types(),
            allow_unknown_message_types: false,
            dry_run: false,
            idle_for: None,
        }
    }
}

impl Validated for CloseOptions {
    /// The rules that a field's own bounds cannot say.
    fn validated(self) -> Result<Self, Error> {
        if let Some(code) = &self.wrapup_code {
            if !ids::is_uuid(code) {
                return Err(Error::invalid_argument(format!(
                    "wrapupCode must be the id (a UUID) of a wrap-up code, got {}. Find it in Admin > Contact Center > Wrap-up Codes or GET /api/v2/routing/wrapupcodes.",
                    ids::describe(code)
                )));
            }
        }
        check_message_types(&self.message_types, self.allow_unknown_message_types)?;
        Ok(self)
    }
}

/// What a close did: returned by `closeConversation`, and one entry per
/// closed id of a bulk run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseResult {
    /// The id, lower-cased.
    pub conversation_id: String,
    pub outcome: Outcome,
    /// Why it was skipped, in a sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<SkipReason>,
    /// What the read showed about the last activity (absent without a read).
    #[serde(flatten)]
    pub activity: Option<Activity>,
    /// Activity newer than the read the close was decided on, seen after
    /// the decision (in the PATCH answer, a verify read, or a notification):
    /// the newest such time, as the server wrote it. Genesys has no
    /// conditional close, so a message can land between our read and our
    /// write; this says it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_after_read: Option<String>,
    pub method: CloseMethod,
    /// Participants this call disconnected.
    pub participants_disconnected: u32,
    /// `alreadyClosed`, and the re-read shows a participant ended by a
    /// queue's inactivity timer (`disconnectType: inactivity`). Only `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_by_inactivity: Option<bool>,
    /// The queue the re-read showed: the newest `acd` participant's, else
    /// any participant's (watch: the topic's queue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    /// Sweep and watch: who ended it, on a queue with Genesys's own timer
    /// (`nativeTimer`, `queueTimeoutSeconds`, `timerLive`).
    #[serde(flatten)]
    pub native: Option<Attribution>,
    /// Requests, retries, 429s and correlation ids of this call.
    #[serde(flatten)]
    pub stats: CallStats,
    /// Wall time of the call, in milliseconds.
    pub elapsed_ms: f64,
}
