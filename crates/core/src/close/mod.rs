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
use crate::model::{ConversationSummary, MessageConversation, MessageParticipant};
use crate::options::{self, Validated};
use crate::transport::{Call, CallStats, Parsed, Request, Transport};
use bytes::Bytes;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

pub const DISCONNECT_BODY: &[u8] = br#"{"state":"disconnected"}"#;
pub(crate) const ROUTE_MESSAGE_CONVERSATION: &str =
    "/api/v2/conversations/messages/{conversationId}";
const ROUTE_PARTICIPANT: &str =
    "/api/v2/conversations/messages/{conversationId}/participants/{participantId}";
const ROUTE_TEARDOWN: &str = "/api/v2/conversations/{conversationId}/disconnect";

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

enum Read {
    Found(MessageConversation),
    NotFound,
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
            fast_close(t, &id, opts, &mut call).await
        } else {
            full_close(t, &id, opts, &mut call).await
        };
    let stats = call.stats.clone();
    let step = step.map_err(|e| aborted_after_writes(e, &id, call.stats.writes));
    let result = step.map(|s| CloseResult {
        conversation_id: id,
        outcome: s.outcome,
        reason: s.reason,
        skip_reason: s.skip_reason,
        activity: s.activity,
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

async fn full_close(
    t: &Transport,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
) -> Result<Step, Error> {
    let conv = match read(t, id, call).await? {
        Read::NotFound => return Ok(Step::not_found(0)),
        Read::Found(c) => c,
    };
    let seen = activity::activity(&conv);
    match end_from_state(t, id, &conv, opts, call).await {
        Ok(step) => Ok(step.with_activity(Some(seen))),
        Err(e) if e.status == Some(403) && is_refusal(&e) => {
            Err(explain_division(t, id, &conv, e, call).await)
        }
        Err(e) => Err(e),
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

async fn end_from_state(
    t: &Transport,
    id: &str,
    conv: &MessageConversation,
    opts: &CloseOptions,
    call: &mut Call<'_>,
) -> Result<Step, Error> {
    let (wrapup, open) = match decide(conv, opts, SystemTime::now()) {
        Decision::AlreadyClosed => return Ok(Step::no_write(Outcome::AlreadyClosed)),
        Decision::Skip(why, reason) => return Ok(Step::skipped(why, reason)),
        Decision::End { .. } if opts.dry_run => return Ok(Step::no_write(Outcome::WouldClose)),
        Decision::End { wrapup, open } => (wrapup, open),
    };
    let mut disconnected = 0u32;
    let mut method = CloseMethod::Participants;
    for pid in &wrapup {
        if !patch_participant(t, id, pid, opts.wrapup_code.as_deref(), call).await? {
            return Ok(Step::not_found(disconnected));
        }
        disconnected += 1;
    }
    if !open.is_empty() {
        match patch_conversation(t, id, call).await {
            Ok(PatchAnswer::Done(_)) => {
                method = CloseMethod::Conversation;
                disconnected += open.len() as u32;
            }
            Ok(PatchAnswer::NotFound) => return Ok(Step::not_found(disconnected)),
            Err(e) if is_refusal(&e) => {
                // The whole-conversation PATCH needs disconnect or park; the
                // per-participant one also accepts wrapup or call:record.
                for pid in &open {
                    match patch_participant(t, id, pid, None, call).await {
                        Ok(true) => disconnected += 1,
                        Ok(false) => return Ok(Step::not_found(disconnected)),
                        Err(e2) => return Err(combine_refusals(e, e2, id)),
                    }
                }
            }
            Err(e) if is_state_conflict(&e) => {
                // Ended between our read and our write: that is success for us.
                return Ok(match read(t, id, call).await? {
                    Read::NotFound => Step::not_found(disconnected),
                    Read::Found(c) if c.participants.iter().all(MessageParticipant::is_ended) => {
                        if disconnected > 0 {
                            Step::closed(CloseMethod::Participants, disconnected)
                        } else {
                            Step::no_write(Outcome::AlreadyClosed)
                        }
                    }
                    Read::Found(_) => return Err(e),
                });
            }
            Err(e) => return Err(e),
        }
    }
    if opts.verify {
        return verify_after_close(t, id, opts, call, method, disconnected).await;
    }
    Ok(Step::closed(method, disconnected))
}

/// Verification after the disconnect was accepted. An abort here cuts the
/// verification short, not the close: the write was done, so it is `closed`.
async fn verify_after_close(
    t: &Transport,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
    method: CloseMethod,
    disconnected: u32,
) -> Result<Step, Error> {
    match verify(t, id, opts, call, method).await {
        Ok(method) => Ok(Step::closed(method, disconnected)),
        Err(e) if e.code == ErrorCode::Aborted => Ok(Step {
            reason: Some(
                "verification was cut short by the abort; the disconnect itself was accepted"
                    .into(),
            ),
            ..Step::closed(method, disconnected)
        }),
        Err(e) => Err(e),
    }
}

/// One PATCH, no read. 200 -> closed (or already closed, when the answer shows
/// the conversation ended before we asked); 404 -> not found; a refusal or a
/// state conflict falls back to the full path, which reads.
async fn fast_close(
    t: &Transport,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
) -> Result<Step, Error> {
    let asked_at = SystemTime::now();
    match patch_conversation(t, id, call).await {
        Ok(PatchAnswer::Done(Some((summary, date)))) => {
            if ended_before(&summary, date.unwrap_or(asked_at), call) {
                return Ok(Step::no_write(Outcome::AlreadyClosed));
            }
            let disconnected = summary.participants.len() as u32;
            if opts.verify {
                return verify_after_close(
                    t,
                    id,
                    opts,
                    call,
                    CloseMethod::Conversation,
                    disconnected,
                )
                .await;
            }
            Ok(Step::closed(CloseMethod::Conversation, disconnected))
        }
        Ok(PatchAnswer::Done(None)) => Ok(Step::closed(CloseMethod::Conversation, 0)),
        Ok(PatchAnswer::NotFound) => Ok(Step::not_found(0)),
        Err(e) if is_refusal(&e) || is_state_conflict(&e) => full_close(t, id, opts, call).await,
        Err(e) => Err(e),
    }
}

/// True when the PATCH answer shows a conversation that had ended well before
/// we asked (Genesys answers 200 without change for an ended conversation).
fn ended_before(summary: &ConversationSummary, server_now: SystemTime, call: &Call<'_>) -> bool {
    let Some(end) = summary
        .end_time
        .as_deref()
        .and_then(|s| humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok())
    else {
        return false;
    };
    // `Date` has one-second resolution and the request took a while: allow both.
    let slack = call.started.elapsed() + Duration::from_secs(2);
    server_now.checked_sub(slack).is_some_and(|t| end < t)
}

async fn verify(
    t: &Transport,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
    method: CloseMethod,
) -> Result<CloseMethod, Error> {
    if poll_until_ended(t, id, opts, call).await? {
        return Ok(method);
    }
    if opts.teardown_stuck {
        teardown(t, id, call).await?;
        if poll_until_ended(t, id, opts, call).await? {
            return Ok(CloseMethod::Teardown);
        }
    }
    Err(Error::new(
        ErrorCode::Conflict,
        format!(
            "Conversation {id} still has connected participants {} s after it was disconnected: it looks stuck.{}",
            opts.verify_timeout.as_secs_f64(),
            if opts.teardown_stuck {
                " Even the full teardown (POST /api/v2/conversations/{id}/disconnect) did not end it: contact Genesys support with the correlation ids."
            } else {
                " Pass teardownStuck: true to force a full teardown (POST /api/v2/conversations/{id}/disconnect)."
            }
        ),
    ))
}

/// Re-reads with growing pauses until every participant is ended.
async fn poll_until_ended(
    t: &Transport,
    id: &str,
    opts: &CloseOptions,
    call: &mut Call<'_>,
) -> Result<bool, Error> {
    let give_up = tokio::time::Instant::now() + opts.verify_timeout;
    let mut pause = Duration::from_millis(100);
    loop {
        match read(t, id, call).await? {
            Read::NotFound => return Ok(true),
            Read::Found(c) if c.participants.iter().all(MessageParticipant::is_ended) => {
                return Ok(true)
            }
            Read::Found(_) => {}
        }
        let now = tokio::time::Instant::now();
        if now >= give_up {
            return Ok(false);
        }
        t.sleep(pause.min(give_up - now), call).await?;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

fn is_refusal(e: &Error) -> bool {
    matches!(e.code, ErrorCode::MissingPermission | ErrorCode::Forbidden) || e.status == Some(405)
}

fn is_state_conflict(e: &Error) -> bool {
    e.code == ErrorCode::Conflict || (e.status == Some(400) && e.code == ErrorCode::InvalidArgument)
}

fn combine_refusals(whole: Error, per_participant: Error, id: &str) -> Error {
    if per_participant.code != ErrorCode::MissingPermission {
        return per_participant;
    }
    let mut perms = whole.missing_permissions.clone();
    for p in &per_participant.missing_permissions {
        if !perms.contains(p) {
            perms.push(p.clone());
        }
    }
    let mut e = per_participant;
    e.message = format!(
        "Cannot end conversation {id}: the token may neither disconnect the whole conversation nor its participants. Grant a role holding one of [{}] (conversation:communication:disconnect is the usual one). {}",
        perms.join(", "),
        e.message
    );
    e.missing_permissions = perms;
    e
}

async fn read(t: &Transport, id: &str, call: &mut Call<'_>) -> Result<Read, Error> {
    let action = format!("reading message conversation {id}");
    let req = Request {
        method: Method::GET,
        path: format!("/api/v2/conversations/messages/{id}"),
        route: ROUTE_MESSAGE_CONVERSATION,
        body: None,
        action: &action,
    };
    let reply = t
        .send(&req, call, |status, body| match status {
            200 => match serde_json::from_slice::<MessageConversation>(body) {
                Ok(c) => Parsed::Accept(Read::Found(c)),
                Err(_) => Parsed::Unreadable,
            },
            404 => Parsed::Accept(Read::NotFound),
            _ => Parsed::Reject,
        })
        .await?;
    if let Read::Found(c) = &reply.value {
        for p in &c.participants {
            ids::from_response("participant", &p.id)?;
        }
    }
    Ok(reply.value)
}

enum PatchAnswer {
    Done(Option<(ConversationSummary, Option<SystemTime>)>),
    NotFound,
}

async fn patch_conversation(
    t: &Transport,
    id: &str,
    call: &mut Call<'_>,
) -> Result<PatchAnswer, Error> {
    let action = format!("ending message conversation {id}");
    let req = Request {
        method: Method::PATCH,
        path: format!("/api/v2/conversations/messages/{id}"),
        route: ROUTE_MESSAGE_CONVERSATION,
        body: Some(Bytes::from_static(DISCONNECT_BODY)),
        action: &action,
    };
    let reply = t
        .send(&req, call, |status, body| match status {
            200..=299 => Parsed::Accept(serde_json::from_slice::<ConversationSummary>(body).ok()),
            404 => Parsed::Accept(None),
            _ => Parsed::Reject,
        })
        .await?;
    Ok(match (reply.status, reply.value) {
        (404, _) => PatchAnswer::NotFound,
        (_, summary) => PatchAnswer::Done(summary.map(|s| (s, reply.date))),
    })
}

/// Disconnects one participant; with a wrap-up code, applies it in the same call.
/// Returns false when the conversation or participant is gone (404).
async fn patch_participant(
    t: &Transport,
    id: &str,
    participant_id: &str,
    wrapup_code: Option<&str>,
    call: &mut Call<'_>,
) -> Result<bool, Error> {
    let pid = ids::from_response("participant", participant_id)?;
    let body = match wrapup_code {
        Some(code) => {
            serde_json::json!({"state": "disconnected", "wrapup": {"code": code}}).to_string()
        }
        None => String::from_utf8_lossy(DISCONNECT_BODY).into_owned(),
    };
    let action = format!("disconnecting participant {pid} of conversation {id}");
    let req = Request {
        method: Method::PATCH,
        path: format!("/api/v2/conversations/messages/{id}/participants/{pid}"),
        route: ROUTE_PARTICIPANT,
        body: Some(Bytes::from(body)),
        action: &action,
    };
    let reply = t
        .send(&req, call, |status, _| match status {
            200..=299 | 404 => Parsed::Accept(()),
            _ => Parsed::Reject,
        })
        .await?;
    Ok(reply.status != 404)
}

async fn teardown(t: &Transport, id: &str, call: &mut Call<'_>) -> Result<(), Error> {
    let action = format!("tearing down stuck conversation {id}");
    let req = Request {
        method: Method::POST,
        path: format!("/api/v2/conversations/{id}/disconnect"),
        route: ROUTE_TEARDOWN,
        body: None,
        action: &action,
    };
    t.send(&req, call, |status, _| match status {
        200..=299 | 404 => Parsed::Accept(()),
        _ => Parsed::Reject,
    })
    .await
    .map(|_| ())
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
