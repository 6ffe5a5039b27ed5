//! The conversation calls: read a message conversation or a conversation,
//! PATCH one or a participant, a wrap-up, DELETE, and the full disconnect.
//! The gate has already done authorization, the rate limit, scripts and
//! random faults.

use super::answer::{conversation_not_found, json_object, ok, participant_not_found, ApiResult};
use super::require::{
    DISCONNECT, NO_PERMISSIONS, PATCH_CONVERSATION, PATCH_PARTICIPANT, READ_SCOPES, VIEW, WRAPUP,
    WRITE_SCOPES,
};
use crate::app::{App, State as AppState};
use crate::control::config::PatchEnded;
use crate::genesys::auth::Ctx;
use crate::genesys::errors::ApiError;
use crate::genesys::render;
use crate::ground::clock::now_ms;
use crate::ground::ids::rand_uuid;
use crate::model::{Conversation, Disconnect, Store};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde_json::{Map, Value};

/// The conversation `id` once the caller may act on it: 404 when there is
/// none (`messages_only`: a voice one is none either), then 403 unless one
/// of `permissions` is held in one of its divisions.
fn conversation_in<'a>(
    store: &'a mut Store,
    ctx: &Ctx,
    id: &str,
    messages_only: bool,
    permissions: &[&str],
) -> Result<&'a mut Conversation, ApiError> {
    let conv = store
        .conversation_mut(id)
        .filter(|c| !messages_only || c.media.is_message())
        .ok_or_else(|| conversation_not_found(id))?;
    ctx.require_in(permissions, &conv.division_ids)?;
    Ok(conv)
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

pub async fn get_message_conversation(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(READ_SCOPES, NO_PERMISSIONS)?;
    let mut st = app.lock();
    let timers = st.timers();
    let conv = st
        .store
        .conversation(&id)
        .filter(|c| c.media.is_message())
        .ok_or_else(|| conversation_not_found(&id))?;
    // No permission is listed for this read, so no division check either.
    let answer = render::message_conversation(&st.store, conv, &timers);
    if st.config.message_after_read && !conv.is_ended() {
        message_after_read(&mut st, &id);
    }
    ok(answer)
}

/// The `messageAfterRead` test knob: the customer speaks right after the read.
fn message_after_read(st: &mut AppState, id: &str) {
    let now = now_ms();
    let message_id = rand_uuid(&mut st.rng);
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
    let conv = conversation_in(&mut st.store, &ctx, &id, true, PATCH_CONVERSATION)?;
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

/// A participant PATCH body: at least one of the three.
struct ParticipantPatch {
    disconnect: bool,
    wrapup: Option<Value>,
    skipped: Option<bool>,
}

impl ParticipantPatch {
    fn parse(body: &[u8]) -> Result<ParticipantPatch, ApiError> {
        let o = json_object(body)?;
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
        Ok(ParticipantPatch {
            disconnect,
            wrapup,
            skipped,
        })
    }
}

pub async fn patch_participant(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path((id, pid)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    ctx.require(WRITE_SCOPES, PATCH_PARTICIPANT)?;
    let patch = ParticipantPatch::parse(&body)?;
    let now = now_ms();
    let mut st = app.lock();
    let conv = conversation_in(&mut st.store, &ctx, &id, true, PATCH_PARTICIPANT)?;
    let stuck = conv.stuck;
    let p = conv
        .participant_mut(&pid)
        .ok_or_else(|| participant_not_found(&pid))?;
    if !stuck {
        if patch.disconnect {
            p.disconnect(now, "client");
        }
        if let Some(w) = patch.wrapup {
            p.wrapup = Some(w);
        }
        if let Some(s) = patch.skipped {
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
    let conv = conversation_in(&mut st.store, &ctx, &id, true, WRAPUP)?;
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
    let mut st = app.lock();
    let conv = conversation_in(&mut st.store, &ctx, &id, false, VIEW)?;
    ok(render::conversation(conv))
}

pub async fn delete_conversation(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(WRITE_SCOPES, DISCONNECT)?;
    let now = now_ms();
    let mut st = app.lock();
    let conv = conversation_in(&mut st.store, &ctx, &id, false, DISCONNECT)?;
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
    ctx.require(WRITE_SCOPES, DISCONNECT)?;
    let now = now_ms();
    let mut st = app.lock();
    let conv = conversation_in(&mut st.store, &ctx, &id, false, DISCONNECT)?;
    conv.teardown(now);
    st.publish(&id, now);
    Ok((StatusCode::ACCEPTED, Json(Value::String(id))).into_response())
}
