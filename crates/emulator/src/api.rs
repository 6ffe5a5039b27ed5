//! The `/api/v2` handlers. The gate has already done authorization, the
//! rate limit, scripts and random faults; each handler then checks, in the
//! README's order: scope -> permission -> body -> existence -> state.

use crate::app::App;
use crate::control::config::PatchEnded;
use crate::genesys::analytics;
use crate::genesys::auth::{Ctx, TokenKind};
use crate::genesys::errors::ApiError;
use crate::genesys::render;
use crate::ground::clock::now_ms;
use crate::model::Disconnect;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Map, Value};

type ApiResult = Result<Response, ApiError>;

// Scope lists are in the order Genesys names them in its 403 message.
const READ_SCOPES: &[&str] = &["conversations:readonly", "conversations"];
const WRITE_SCOPES: &[&str] = &["conversations"];
const ANALYTICS_SCOPES: &[&str] = &["analytics:readonly", "analytics"];
const NO_SCOPES: &[&str] = &[];

const DISCONNECT: &str = "conversation:communication:disconnect";
const PATCH_CONVERSATION: &[&str] = &[DISCONNECT, "conversation:message:park"];
const PATCH_PARTICIPANT: &[&str] = &[
    "conversation:participant:wrapup",
    "conversation:call:record",
    DISCONNECT,
];
const WRAPUP: &[&str] = &["conversation:participant:wrapup"];
const VIEW: &[&str] = &["conversation:communication:view"];
const ANALYTICS: &[&str] = &[
    "analytics:conversationDetail:view",
    "analytics:agentConversationDetail:view",
];
const NO_PERMISSIONS: &[&str] = &[];

fn ok(v: Value) -> ApiResult {
    Ok(Json(v).into_response())
}

fn conversation_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Conversation {id} was not found."))
}

fn participant_not_found(pid: &str) -> ApiError {
    ApiError::not_found(format!("Participant {pid} was not found."))
}

/// Any route or method not served here.
pub async fn not_found() -> ApiError {
    ApiError::not_found("The requested resource was not found.")
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("A request body is required."));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(_) => Err(ApiError::bad_request(
            "The request could not be understood by the server due to malformed syntax.",
        )),
    }
}

/// `state` absent -> false; `"disconnected"` -> true; anything else -> 400.
fn disconnect_requested(o: &Map<String, Value>) -> Result<bool, ApiError> {
    match o.get("state") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::String(s)) if s == "disconnected" => Ok(true),
        Some(v) => Err(ApiError::invalid_value(format!(
            "Value [{}] is not valid for field type [state]. Allowable values are: [disconnected]",
            v.as_str().map_or_else(|| v.to_string(), str::to_owned)
        ))),
    }
}

fn wrapup_input(v: &Value) -> Result<Value, ApiError> {
    match v.get("code") {
        Some(Value::String(c)) if !c.is_empty() => Ok(v.clone()),
        _ => Err(ApiError::bad_request("The wrap-up requires a [code].")),
    }
}

pub async fn tokens_me(State(app): State<App>, Extension(ctx): Extension<Ctx>) -> ApiResult {
    ctx.require(NO_SCOPES, NO_PERMISSIONS)?;
    let st = app.lock();
    let client = st
        .store
        .clients
        .get(&ctx.caller.client_id)
        .ok_or_else(ApiError::bad_credentials)?;
    let scopes: &[String] = match ctx.caller.kind {
        TokenKind::User => &ctx.caller.scopes,
        TokenKind::ClientCredentials => &[],
    };
    ok(render::token_info(
        client,
        scopes,
        st.config.token_info_role_divisions,
    ))
}

pub async fn users_me(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult {
    ctx.require(NO_SCOPES, NO_PERMISSIONS)?;
    let Some(user_id) = &ctx.caller.user_id else {
        return Err(ApiError::bad_request(
            "This request requires a user context. Client credentials cannot be used for requests to this resource.",
        ));
    };
    // `expand` may repeat or list several values (`expand=a,b`).
    let expand = query
        .iter()
        .any(|(k, v)| k == "expand" && v.split(',').any(|e| e == "authorization"));
    let st = app.lock();
    let user = st
        .store
        .users
        .get(user_id)
        .ok_or_else(ApiError::bad_credentials)?;
    ok(render::user_me(&st.store, user, expand))
}

/// `GET /api/v2/authorization/subjects/me`: documented "Requires NO
/// permissions". The subject of a client-credentials token is its OAuth
/// client (UNCONFIRMED: what Genesys answers for one).
pub async fn subjects_me(State(app): State<App>, Extension(ctx): Extension<Ctx>) -> ApiResult {
    ctx.require(NO_SCOPES, NO_PERMISSIONS)?;
    let st = app.lock();
    let (id, name, grants) = match &ctx.caller.user_id {
        Some(uid) => {
            let u = st
                .store
                .users
                .get(uid)
                .ok_or_else(ApiError::bad_credentials)?;
            (&u.id, &u.name, &u.grants)
        }
        None => {
            let c = st
                .store
                .clients
                .get(&ctx.caller.client_id)
                .ok_or_else(ApiError::bad_credentials)?;
            (&c.id, &c.name, &c.grants)
        }
    };
    ok(render::subject(&st.store, id, name, grants))
}

pub async fn oauth_client(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(NO_SCOPES, &["oauth:client:view"])?;
    let st = app.lock();
    let client = st
        .store
        .clients
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("OAuth client {id} was not found.")))?;
    ok(render::oauth_client(client))
}

pub async fn role(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(NO_SCOPES, &["authorization:role:view"])?;
    let st = app.lock();
    let role = st
        .store
        .roles
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Role {id} was not found.")))?;
    ok(render::role(role))
}

pub async fn get_message_conversation(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(READ_SCOPES, NO_PERMISSIONS)?;
    let mut st = app.lock();
    let queue_timeout = st.config.queue_inactivity_timeout_ms;
    let conv = st
        .store
        .conversation(&id)
        .filter(|c| c.media.is_message())
        .ok_or_else(|| conversation_not_found(&id))?;
    // No permission is listed for this read, so no division check either.
    let answer = render::message_conversation(&st.store, conv, queue_timeout);
    if st.config.message_after_read && !conv.is_ended() {
        message_after_read(&mut st, &id);
    }
    ok(answer)
}

/// The `messageAfterRead` test knob: the customer speaks right after the read.
fn message_after_read(st: &mut crate::app::State, id: &str) {
    let now = now_ms();
    let message_id = crate::ground::ids::rand_uuid(&mut st.rng);
    if let Some(conv) = st.store.conversation_mut(id) {
        // A millisecond on: strictly newer than anything the read showed.
        if conv.post_message("customer", now + 1, message_id).is_ok() {
            st.publish(id, now);
        }
    }
}

pub async fn patch_message_conversation(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    ctx.require(WRITE_SCOPES, PATCH_CONVERSATION)?;
    if !disconnect_requested(&json_object(&body)?)? {
        return Err(ApiError::bad_request("Field [state] is required."));
    }
    let now = now_ms();
    let mut st = app.lock();
    let policy = st.config.patch_ended_conversation;
    let conv = st
        .store
        .message_conversation_mut(&id)
        .ok_or_else(|| conversation_not_found(&id))?;
    ctx.require_in(PATCH_CONVERSATION, &conv.division_ids)?;
    match conv.disconnect_all(now) {
        Disconnect::Done => {
            let answer = render::conversation(conv);
            st.publish(&id, now);
            ok(answer)
        }
        Disconnect::Ignored => ok(render::conversation(&conv.disconnected_preview(now))),
        Disconnect::AlreadyEnded if policy == PatchEnded::Conflict => Err(ApiError::new(
            409,
            "conversation.already.ended",
            format!("Conversation {id} has already ended."),
        )),
        Disconnect::AlreadyEnded => ok(render::conversation(conv)),
    }
}

pub async fn patch_participant(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path((id, pid)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    ctx.require(WRITE_SCOPES, PATCH_PARTICIPANT)?;
    let o = json_object(&body)?;
    let disconnect = disconnect_requested(&o)?;
    let wrapup = match o.get("wrapup") {
        None | Some(Value::Null) => None,
        Some(w @ Value::Object(_)) => Some(wrapup_input(w)?),
        Some(_) => return Err(ApiError::bad_request("Field [wrapup] must be an object.")),
    };
    let skipped = match o.get("wrapupSkipped") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Field [wrapupSkipped] must be a boolean.",
            ))
        }
    };
    if !disconnect && wrapup.is_none() && skipped.is_none() {
        return Err(ApiError::bad_request(
            "Nothing to update: give state, wrapup or wrapupSkipped.",
        ));
    }
    let now = now_ms();
    let mut st = app.lock();
    let conv = st
        .store
        .message_conversation_mut(&id)
        .ok_or_else(|| conversation_not_found(&id))?;
    ctx.require_in(PATCH_PARTICIPANT, &conv.division_ids)?;
    let stuck = conv.stuck;
    let p = conv
        .participant_mut(&pid)
        .ok_or_else(|| participant_not_found(&pid))?;
    if !stuck {
        if disconnect {
            p.disconnect(now, "client");
        }
        if let Some(w) = wrapup {
            p.wrapup = Some(w);
        }
        if let Some(s) = skipped {
            p.wrapup_skipped = s;
        }
        conv.refresh_end();
        st.publish(&id, now);
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

pub async fn post_wrapup(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path((id, pid, comm)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    ctx.require(WRITE_SCOPES, WRAPUP)?;
    let wrapup = wrapup_input(&Value::Object(json_object(&body)?))?;
    let mut st = app.lock();
    let conv = st
        .store
        .message_conversation_mut(&id)
        .ok_or_else(|| conversation_not_found(&id))?;
    ctx.require_in(WRAPUP, &conv.division_ids)?;
    let p = conv
        .participant_mut(&pid)
        .ok_or_else(|| participant_not_found(&pid))?;
    if p.communication_id != comm {
        return Err(ApiError::not_found(format!(
            "Communication {comm} was not found."
        )));
    }
    p.wrapup = Some(wrapup);
    Ok(StatusCode::ACCEPTED.into_response())
}

pub async fn get_conversation(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(READ_SCOPES, VIEW)?;
    let st = app.lock();
    let conv = st
        .store
        .conversation(&id)
        .ok_or_else(|| conversation_not_found(&id))?;
    ctx.require_in(VIEW, &conv.division_ids)?;
    ok(render::conversation(conv))
}

pub async fn delete_conversation(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(WRITE_SCOPES, &[DISCONNECT])?;
    let now = now_ms();
    let mut st = app.lock();
    let conv = st
        .store
        .conversation_mut(&id)
        .ok_or_else(|| conversation_not_found(&id))?;
    ctx.require_in(&[DISCONNECT], &conv.division_ids)?;
    // Ended or stuck: nothing changes, the answer is the same.
    if conv.disconnect_all(now) == Disconnect::Done {
        st.publish(&id, now);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn post_disconnect(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(WRITE_SCOPES, &[DISCONNECT])?;
    let now = now_ms();
    let mut st = app.lock();
    let conv = st
        .store
        .conversation_mut(&id)
        .ok_or_else(|| conversation_not_found(&id))?;
    ctx.require_in(&[DISCONNECT], &conv.division_ids)?;
    conv.teardown(now);
    st.publish(&id, now);
    Ok((StatusCode::ACCEPTED, Json(Value::String(id))).into_response())
}

pub async fn analytics_query(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> ApiResult {
    ctx.require(ANALYTICS_SCOPES, ANALYTICS)?;
    let query = analytics::parse(&body)?;
    let now = now_ms();
    let st = app.lock();
    ok(analytics::run(
        &query,
        &st.store,
        now,
        st.config.analytics_lag_ms,
        st.config.queue_inactivity_timeout_ms,
    ))
}
