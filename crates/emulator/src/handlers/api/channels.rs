//! `/api/v2/notifications/channels...`: creating channels and subscribing
//! topics (shared/genesys-notifications.md sections 1-2). All 8 operations
//! "require NO permissions"; a queue topic is checked against
//! `queueTopicPermissions` (UNCONFIRMED: Genesys's per-topic permissions are
//! only readable at runtime).

use super::answer::ApiResult;
use super::require::{NO_PERMISSIONS, NO_SCOPES};
use crate::app::App;
use crate::genesys::auth::{has_any_permission, Ctx};
use crate::genesys::errors::ApiError;
use crate::genesys::notify::{queue_of_topic, Channel, Notifications, MAX_TOPICS, MAX_TOPIC_LEN};
use crate::ground::clock::{format_iso, now_ms};
use crate::ground::ids::rand_uuid;
use crate::model::Queue;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

fn channel_json(c: &Channel, host: &str) -> Value {
    json!({
        "id": c.id,
        // Genesys: wss://streaming.{env}/channels/{id}; here plain ws on the emulator's own origin.
        "connectUri": format!("ws://{host}/channels/{}", c.id),
        "expires": format_iso(c.expires_at),
    })
}

fn channel_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Channel {id} was not found."))
}

/// `POST /api/v2/notifications/channels` (no body) -> `Channel`.
pub async fn create(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> ApiResult {
    ctx.require(NO_SCOPES, NO_PERMISSIONS)?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let now = now_ms();
    let mut st = app.lock();
    let st = &mut *st;
    let id = format!("streaming-0-{}", rand_uuid(&mut st.rng).replace('-', ""));
    let lifetime = st.config.channel_lifetime_ms;
    st.notify.expire(now);
    let ch = st
        .notify
        .create(id, ctx.caller.client_id.clone(), now, lifetime);
    Ok(Json(channel_json(ch, &host)).into_response())
}

/// A live channel of this caller: expired ones are gone first, and another
/// client's channel is not found (UNCONFIRMED).
fn own<'a>(
    notify: &'a mut Notifications,
    id: &str,
    ctx: &Ctx,
    now: i64,
) -> Result<&'a mut Channel, ApiError> {
    notify.expire(now);
    notify
        .channels
        .get_mut(id)
        .filter(|c| c.client_id == ctx.caller.client_id)
        .ok_or_else(|| channel_not_found(id))
}

fn topics_json(topics: &BTreeSet<String>) -> Value {
    let list: Vec<Value> = topics
        .iter()
        .map(|t| json!({"id": t, "state": "Permitted"}))
        .collect();
    json!({ "entities": list })
}

/// `GET .../channels/{id}/subscriptions`.
pub async fn list(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    let mut st = app.lock();
    let ch = own(&mut st.notify, &id, &ctx, now_ms())?;
    Ok(Json(topics_json(&ch.topics)).into_response())
}

/// `DELETE .../channels/{id}/subscriptions`: removes every topic.
pub async fn remove_all(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    let mut st = app.lock();
    own(&mut st.notify, &id, &ctx, now_ms())?.topics.clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The verdict on one topic.
fn judge(topic: &str, queues: &HashMap<String, Queue>, ctx: &Ctx, needed: &[String]) -> Value {
    let reject = |reason: &str, missing: &[&str]| json!({"id": topic, "state": "Rejected", "rejectionReason": reason, "missingPermissions": missing});
    if topic.len() > MAX_TOPIC_LEN {
        return reject("The topic name is longer than 200 characters.", &[]);
    }
    let Some(queue) = queue_of_topic(topic) else {
        return reject(
            "The emulator serves only v2.routing.queues.{id}.conversations.messages.",
            &[],
        );
    };
    if !queues.contains_key(queue) {
        return reject(&format!("Queue {queue} was not found."), &[]);
    }
    let needed: Vec<&str> = needed.iter().map(String::as_str).collect();
    if !needed.is_empty() && !has_any_permission(&ctx.caller.permissions, &needed) {
        return reject(
            "You are missing the permissions this topic requires.",
            &needed,
        );
    }
    json!({"id": topic, "state": "Permitted"})
}

/// `PUT` (replace) and `POST` (add) `.../channels/{id}/subscriptions`, body
/// `[{"id": topic}]`, query `ignoreErrors`. Without it one rejected topic
/// fails the whole batch (SC `doc/notifications.md`; the status, 400 here,
/// is UNCONFIRMED).
pub async fn subscribe(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    method: Method,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult {
    let replace = method == Method::PUT;
    let ignore_errors = query.get("ignoreErrors").is_some_and(|v| v == "true");
    let requested: Vec<Value> = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad_request("The request body must be an array of {\"id\": topic}.")
    })?;
    let mut topics = Vec::with_capacity(requested.len());
    for t in &requested {
        match t.get("id").and_then(Value::as_str) {
            Some(s) => topics.push(s.to_owned()),
            None => return Err(ApiError::bad_request("Every topic needs a string id.")),
        }
    }
    let now = now_ms();
    let mut st = app.lock();
    let st = &mut *st;
    st.notify.expire(now);
    let needed = st.config.queue_topic_permissions.clone();
    let verdicts: Vec<Value> = topics
        .iter()
        .map(|t| judge(t, &st.store.queues, &ctx, &needed))
        .collect();
    let rejected: Vec<&Value> = verdicts
        .iter()
        .filter(|v| v["state"] == "Rejected")
        .collect();
    if !rejected.is_empty() && !ignore_errors {
        let first = rejected[0];
        return Err(ApiError::bad_request(format!(
            "Topic {} was rejected: {}",
            first["id"].as_str().unwrap_or_default(),
            first["rejectionReason"].as_str().unwrap_or_default()
        )));
    }
    let ch = own(&mut st.notify, &id, &ctx, now)?;
    let mut next = if replace {
        BTreeSet::new()
    } else {
        ch.topics.clone()
    };
    for v in &verdicts {
        if v["state"] == "Permitted" {
            next.insert(v["id"].as_str().unwrap_or_default().to_owned());
        }
    }
    if next.len() > MAX_TOPICS {
        return Err(ApiError::bad_request(format!(
            "A channel is limited to {MAX_TOPICS} topics; this would make {}.",
            next.len()
        )));
    }
    ch.topics = next;
    Ok(Json(json!({ "entities": verdicts })).into_response())
}
