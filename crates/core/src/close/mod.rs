//! Ending one web messaging conversation: read -> decide -> end -> verify.
//!
//! An open conversation costs two requests (read, then one PATCH that
//! disconnects every participant), an ended one costs one. The endpoints in
//! section 1 of the API notes (invented by a popular answer) are never called.

use crate::activity::{self, Activity, Idleness};
use crate::diagnose::END_PERMISSIONS;
use crate::divisions::{self, Division, Holdings};
use crate::error::{Error, ErrorCode};
use crate::ids::{self, IdInput};
use crate::model::{MessageConversation, MessageParticipant};
use crate::options::{self, Validated};
use crate::transport::{Call, CallStats, Transport};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

mod end;
mod requests;

pub use requests::DISCONNECT_BODY;
pub(crate) use requests::ROUTE_MESSAGE_CONVERSATION;

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
            message_types: vec!["webmessaging".to_string()],
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
        if self.message_types.is_empty() {
            return Err(Error::invalid_argument(
                "messageTypes must name at least one message type, e.g. ['webmessaging'].",
            ));
        }
        options::check_message_types(&self.message_types, self.allow_unknown_message_types)?;
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
    /// Requests, retries, 429s and correlation ids of this call.
    #[serde(flatten)]
    pub stats: CallStats,
    /// Wall time of the call, in milliseconds.
    pub elapsed_ms: f64,
}

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

/// Ends a conversation. The id is validated before anything is sent.
pub async fn close_conversation(
    t: &Transport,
    raw_id: &IdInput,
    opts: &CloseOptions,
    cancel: &CancellationToken,
) -> Result<CloseResult, Error> {
    let id = ids::conversation_id_input(raw_id)?;
    close_valid_id(t, id, opts, cancel).await.0
}

/// Ends a conversation whose id is already validated, and returns the
/// request counters even when it fails (bulk reports count every request).
pub async fn close_valid_id(
    t: &Transport,
    id: String,
    opts: &CloseOptions,
    cancel: &CancellationToken,
) -> (Result<CloseResult, Error>, CallStats) {
    if cancel.is_cancelled() {
        return (Err(Error::aborted()), CallStats::default());
    }
    let mut call = t.call(cancel);
    // Fast mode skips the read, so it cannot wrap up, dry-run or guard idleness.
    let step =
        if opts.fast && opts.wrapup_code.is_none() && !opts.dry_run && opts.idle_for.is_none() {
            end::fast_close(t, &id, opts, &mut call).await
        } else {
            end::full_close(t, &id, opts, &mut call).await
        };
    let stats = call.stats.clone();
    let step = step.map_err(|e| aborted_after_writes(e, &id, call.stats.writes));
    let result = step.map(|s| CloseResult {
        conversation_id: id,
        outcome: s.outcome,
        reason: s.reason,
        skip_reason: s.skip_reason,
        activity: s.activity,
        activity_after_read: s.activity_after_read,
        method: s.method,
        participants_disconnected: s.disconnected,
        elapsed_ms: call.started.elapsed().as_secs_f64() * 1000.0,
        stats: call.stats,
    });
    (result, stats)
}

/// An abort that came after a write was sent is not "aborted" (which means
/// nothing was written): it says the conversation may be partly ended.
fn aborted_after_writes(e: Error, id: &str, writes: u32) -> Error {
    if e.code != ErrorCode::Aborted || writes == 0 {
        return e;
    }
    Error {
        message: format!(
            "The abort came after {writes} write(s) to conversation {id} had been sent and answered: it may be partly ended. Close it again to finish."
        ),
        ..e
    }
}

/// What one close did (before the timing and counters are added).
#[derive(Debug)]
struct Step {
    outcome: Outcome,
    reason: Option<String>,
    skip_reason: Option<SkipReason>,
    activity: Option<Activity>,
    activity_after_read: Option<String>,
    method: CloseMethod,
    disconnected: u32,
}

impl Step {
    fn no_write(outcome: Outcome) -> Step {
        Step {
            outcome,
            reason: None,
            skip_reason: None,
            activity: None,
            activity_after_read: None,
            method: CloseMethod::None,
            disconnected: 0,
        }
    }

    fn not_found(disconnected: u32) -> Step {
        Step {
            disconnected,
            ..Step::no_write(Outcome::NotFound)
        }
    }

    fn closed(method: CloseMethod, disconnected: u32) -> Step {
        Step {
            method,
            disconnected,
            ..Step::no_write(Outcome::Closed)
        }
    }

    fn skipped(skip_reason: SkipReason, reason: String) -> Step {
        Step {
            reason: Some(reason),
            skip_reason: Some(skip_reason),
            ..Step::no_write(Outcome::Skipped)
        }
    }

    fn with_activity(self, activity: Option<Activity>) -> Step {
        Step { activity, ..self }
    }
}

/// A 403 although the token holds a permission that ends conversations
/// somewhere: when that somewhere is none of the conversation's divisions
/// (from the read we already made), say so and how to fix it. Where the
/// token holds its permissions is looked up once per client and shared.
async fn explain_division(
    t: &Transport,
    id: &str,
    conv: &MessageConversation,
    e: Error,
    call: &mut Call<'_>,
) -> Error {
    let divisions = conv.division_list();
    if divisions.is_empty() {
        return e;
    }
    let memo = t.holdings_memo();
    let held = memo
        .get_or_try_init(|| async {
            match crate::diagnose::holdings(t, call).await {
                // An abort is no answer: leave the memo for the next close.
                None if call.cancel.is_cancelled() => Err(()),
                h => Ok(h),
            }
        })
        .await;
    let Ok(Some(holdings)) = held else {
        return e;
    };
    match division_refusal(id, &divisions, holdings, e) {
        Ok(explained) => explained,
        Err(e) => e,
    }
}

/// The refusal explained by divisions, or handed back unchanged when the
/// divisions do not explain it (held nowhere: a plain missing permission;
/// held in one of them or in all: something else refused). Pure.
fn division_refusal(
    id: &str,
    divisions: &[Division],
    holdings: &Holdings,
    e: Error,
) -> Result<Error, Error> {
    let reach = holdings.reach(&END_PERMISSIONS);
    if reach.is_empty() || reach.reaches(divisions) {
        return Err(e);
    }
    let reach = reach.named_from(divisions);
    let said = match &e.genesys_code {
        Some(code) if !code.is_empty() => format!(" Genesys answered 403 {code}."),
        _ => " Genesys answered 403 without an error code.".to_string(),
    };
    Ok(Error {
        message: format!("{}{said}", divisions::out_of_reach(id, divisions, &reach)),
        conversation_divisions: divisions.to_vec(),
        permission_divisions: reach.as_list(),
        ..e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(parts: &[(&str, &str, &str, Option<bool>)]) -> MessageConversation {
        let participants = parts
            .iter()
            .enumerate()
            .map(|(i, (purpose, state, kind, wrapup))| {
                serde_json::json!({
                    "id": format!("00000000-0000-4000-8000-00000000000{i}"),
                    "purpose": purpose, "state": state, "type": kind, "wrapupRequired": wrapup
                })
            })
            .collect::<Vec<_>>();
        serde_json::from_value(serde_json::json!({"id": "c", "participants": participants}))
            .unwrap()
    }

    fn now() -> SystemTime {
        humantime::parse_rfc3339("2026-11-26T12:00:00Z").unwrap()
    }

    /// A web messaging chat connected at 10:00 whose last message is at `last`.
    fn chat(last: &str) -> MessageConversation {
        serde_json::from_value(serde_json::json!({"id": "c", "participants": [
            {"id": "00000000-0000-4000-8000-000000000001", "purpose": "customer", "state": "connected",
             "type": "webmessaging", "startTime": "2026-11-26T10:00:00Z", "connectedTime": "2026-11-26T10:00:00Z",
             "messages": [{"messageTime": "2026-11-26T10:00:01Z"}, {"messageTime": last}]},
            {"id": "00000000-0000-4000-8000-000000000002", "purpose": "agent", "state": "connected",
             "type": "webmessaging", "startTime": "2026-11-26T10:00:05Z", "connectedTime": "2026-11-26T10:00:09Z"}
        ]}))
        .unwrap()
    }

    #[test]
    fn the_idle_guard_spares_recent_chats_and_ends_old_ones() {
        let guard = |minutes: u64| CloseOptions {
            idle_for: Some(Duration::from_secs(minutes * 60)),
            ..Default::default()
        };
        // Connected two hours ago, last message a minute ago: active.
        match decide(&chat("2026-11-26T11:59:00Z"), &guard(30), now()) {
            Decision::Skip(SkipReason::Active, r) => {
                assert!(r.contains("2026-11-26T11:59:00Z"), "{r}")
            }
            d => panic!("{d:?}"),
        }
        // Last message an hour ago: ended.
        assert!(matches!(
            decide(&chat("2026-11-26T11:00:00Z"), &guard(30), now()),
            Decision::End { .. }
        ));
        // Without the guard nothing is checked (an explicit close).
        assert!(matches!(
            decide(
                &chat("2026-11-26T11:59:00Z"),
                &CloseOptions::default(),
                now()
            ),
            Decision::End { .. }
        ));
        // An ended conversation stays "already closed" whatever the guard says.
        let mut ended = chat("2026-11-26T11:59:00Z");
        for p in &mut ended.participants {
            p.state = Some("disconnected".into());
        }
        assert_eq!(decide(&ended, &guard(30), now()), Decision::AlreadyClosed);
        // No timestamp at all: never ended by the guard.
        let bare: MessageConversation =
            serde_json::from_value(serde_json::json!({"id": "c", "participants": [
            {"id": "p", "state": "connected", "type": "webmessaging"}]}))
            .unwrap();
        assert!(matches!(
            decide(&bare, &guard(30), now()),
            Decision::Skip(SkipReason::ActivityUnknown, _)
        ));
        // A running inactivity timer spares it too.
        let mut timed = chat("2026-11-26T09:00:00Z");
        timed.inactivity_timeout = Some("2026-11-26T12:05:00Z".into());
        assert!(matches!(
            decide(&timed, &guard(30), now()),
            Decision::Skip(SkipReason::Active, _)
        ));
    }

    #[test]
    fn ended_conversations_need_no_write() {
        let c = conv(&[
            ("customer", "disconnected", "webmessaging", None),
            ("agent", "terminated", "webmessaging", None),
        ]);
        assert_eq!(
            decide(&c, &CloseOptions::default(), now()),
            Decision::AlreadyClosed
        );
    }

    #[test]
    fn other_channels_are_skipped() {
        let c = conv(&[("customer", "connected", "whatsapp", None)]);
        match decide(&c, &CloseOptions::default(), now()) {
            Decision::Skip(SkipReason::MessageType, r) => assert!(r.contains("whatsapp"), "{r}"),
            d => panic!("{d:?}"),
        }
        let opts = CloseOptions {
            message_types: vec!["whatsapp".into()],
            ..Default::default()
        };
        assert!(matches!(decide(&c, &opts, now()), Decision::End { .. }));
    }

    #[test]
    fn open_participants_are_ended_and_agents_wrap_up_only_with_a_code() {
        let c = conv(&[
            ("customer", "connected", "webmessaging", None),
            ("agent", "connected", "webmessaging", Some(true)),
            ("acd", "disconnected", "webmessaging", None),
        ]);
        let plain = decide(&c, &CloseOptions::default(), now());
        assert_eq!(
            plain,
            Decision::End {
                wrapup: vec![],
                open: vec![
                    "00000000-0000-4000-8000-000000000000".into(),
                    "00000000-0000-4000-8000-000000000001".into()
                ]
            }
        );
        let with_code = CloseOptions {
            wrapup_code: Some("3fa85f64-5717-4562-b3fc-2c963f66afa6".into()),
            ..Default::default()
        };
        assert_eq!(
            decide(&c, &with_code, now()),
            Decision::End {
                wrapup: vec!["00000000-0000-4000-8000-000000000001".into()],
                open: vec!["00000000-0000-4000-8000-000000000000".into()]
            }
        );
    }

    #[test]
    fn wrapup_code_must_be_a_uuid() {
        let o = CloseOptions {
            wrapup_code: Some("Resolved".into()),
            ..Default::default()
        };
        assert_eq!(o.validated().unwrap_err().code, ErrorCode::InvalidArgument);
    }

    #[test]
    fn a_refusal_is_explained_by_divisions_only_when_they_explain_it() {
        use crate::divisions::HeldGrant;
        let home = Division::new("home-id", Some("Home"));
        let sales = Division::new("sales-id", Some("Sales"));
        let held = |d: &str, p: &str| HeldGrant {
            division: Division::new(d, None),
            permissions: vec![p.to_string()],
        };
        let disconnect = "conversation:communication:disconnect";
        let refusal = |code: Option<&str>| {
            let mut e = Error::new(
                if code.is_some_and(|c| c.starts_with("missing")) {
                    ErrorCode::MissingPermission
                } else {
                    ErrorCode::Forbidden
                },
                "Genesys refused ending message conversation c (403).",
            );
            e.status = Some(403);
            e.genesys_code = code.map(Into::into);
            e.correlation_id = Some("corr-1".into());
            e
        };
        let only_home = Holdings {
            grants: vec![held("home-id", disconnect)],
        };
        // The four 403 bodies are explained alike; the code stays the body's.
        for code in [
            Some("missing.permissions"),
            Some("missing.any.permissions"),
            Some("not.authorized"),
            None,
        ] {
            let before = refusal(code);
            let e = division_refusal(
                "c",
                std::slice::from_ref(&sales),
                &only_home,
                before.clone(),
            )
            .unwrap_or_else(|_| panic!("{code:?} not explained"));
            assert_eq!(e.code, before.code, "{code:?}");
            assert_eq!(e.correlation_id.as_deref(), Some("corr-1"));
            assert_eq!(e.conversation_divisions, std::slice::from_ref(&sales));
            // The held division is named from the conversation's when it can
            // be; here it cannot (Home is not the conversation's).
            assert_eq!(e.permission_divisions, [Division::new("home-id", None)]);
            assert!(
                e.message.contains("belongs to division Sales (sales-id)"),
                "{}",
                e.message
            );
            assert!(
                e.message.contains("only in division home-id"),
                "{}",
                e.message
            );
            assert!(
                e.message.contains("Admin > Integrations > OAuth"),
                "{}",
                e.message
            );
        }
        let unchanged = |divisions: &[Division], h: &Holdings| {
            division_refusal("c", divisions, h, refusal(Some("not.authorized"))).is_err()
        };
        assert!(
            unchanged(std::slice::from_ref(&home), &only_home),
            "held there"
        );
        assert!(
            unchanged(&[sales.clone(), home.clone()], &only_home),
            "one shared division"
        );
        let everywhere = Holdings {
            grants: vec![held("*", disconnect)],
        };
        assert!(
            unchanged(std::slice::from_ref(&sales), &everywhere),
            "held in all"
        );
        let nowhere = Holdings {
            grants: vec![held("home-id", "conversation:communication:view")],
        };
        assert!(
            unchanged(std::slice::from_ref(&sales), &nowhere),
            "held nowhere"
        );
    }
}
