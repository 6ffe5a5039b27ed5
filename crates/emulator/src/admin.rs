//! `/__emulator/...`: test control. No auth, never logged, plain
//! `{"error": "..."}` bodies on bad input.

use crate::app::App;
use crate::clock::{format_iso, now_ms};
use crate::render;
use crate::seed::{self, rand_uuid, ConversationSpec, PostMessageSpec, SeedSpec};
use crate::state::{Client, Role, Token, User};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

type AdminResult = Result<Response, AdminError>;

/// Rendered as `{"error": "..."}`.
struct AdminError(StatusCode, String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn error(status: StatusCode, msg: impl Into<String>) -> AdminError {
    AdminError(status, msg.into())
}

fn bad(msg: impl Into<String>) -> AdminError {
    error(StatusCode::BAD_REQUEST, msg)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| bad(format!("bad body: {e}")))
}

fn ok(v: Value) -> AdminResult {
    Ok(Json(v).into_response())
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "ok": true })) }))
        .route("/reset", post(reset))
        .route("/config", get(get_config).patch(patch_config))
        .route("/roles", post(post_role))
        .route("/clients", post(post_client))
        .route("/users", post(post_user))
        .route("/tokens", post(post_token))
        .route("/tokens/{token}", delete(delete_token))
        .route(
            "/conversations",
            post(post_conversation).get(list_conversations),
        )
        .route("/conversations/{id}", get(get_conversation))
        .route("/conversations/{id}/messages", post(post_message))
        .route("/seed", post(post_seed))
        .route("/queues", post(post_queue))
        .route("/notifications", get(get_notifications))
        .route("/notifications/drop-socket", post(drop_socket))
        .route("/notifications/socket-closing", post(socket_closing))
        .route("/notifications/drop-events", post(drop_events))
        .route("/notifications/expire", post(expire_channel))
        .route("/requests", get(get_requests).delete(delete_requests))
        .route("/stats", get(get_stats))
        .route(
            "/script",
            post(post_script).delete(delete_script).get(get_script),
        )
}

async fn reset(State(app): State<App>) -> Json<Value> {
    app.reset();
    Json(json!({ "ok": true }))
}

async fn get_config(State(app): State<App>) -> AdminResult {
    ok(serde_json::to_value(&app.lock().config).unwrap_or_default())
}

async fn patch_config(State(app): State<App>, body: Bytes) -> AdminResult {
    let patch: Value = parse(&body)?;
    let mut st = app.lock();
    let cfg = st.config.merged(&patch).map_err(bad)?;
    // Giving rngSeed (re)starts the sequence, even with the same value.
    if patch.get("rngSeed").is_some() {
        st.rng = cfg
            .rng_seed
            .map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64);
    }
    st.log.set_limit(cfg.log_limit);
    st.config = cfg;
    ok(serde_json::to_value(&st.config).unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleBody {
    id: Option<String>,
    name: String,
    permissions: Vec<String>,
}

async fn post_role(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: RoleBody = parse(&body)?;
    let mut st = app.lock();
    let role = Role {
        id: b.id.unwrap_or_else(|| rand_uuid(&mut st.rng)),
        name: b.name,
        permissions: b.permissions,
    };
    let out = json!({ "id": role.id, "name": role.name, "permissions": role.permissions });
    st.store.roles.insert(role.id.clone(), role);
    ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClientBody {
    id: Option<String>,
    name: Option<String>,
    secret: Option<String>,
    grant_type: Option<String>,
    role_ids: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
}

async fn post_client(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: ClientBody = parse(&body)?;
    let mut st = app.lock();
    let role_ids = b.role_ids.unwrap_or_default();
    if let Some(r) = role_ids.iter().find(|r| !st.store.roles.contains_key(*r)) {
        return Err(bad(format!("unknown role {r}")));
    }
    let grant_type = b.grant_type.unwrap_or_else(|| "CLIENT-CREDENTIALS".into());
    // A client-credentials client without a secret could never get a token.
    let secret = b
        .secret
        .or_else(|| (grant_type == "CLIENT-CREDENTIALS").then(|| rand_uuid(&mut rand::rng())));
    let id = b.id.unwrap_or_else(|| rand_uuid(&mut st.rng));
    let client = Client {
        name: b.name.unwrap_or_else(|| id.clone()),
        id,
        secret,
        grant_type,
        role_ids,
        scopes: b.scopes.unwrap_or_default(),
    };
    let out = json!({
        "id": client.id, "name": client.name, "secret": client.secret,
        "grantType": client.grant_type, "roleIds": client.role_ids, "scopes": client.scopes,
    });
    st.store.clients.insert(client.id.clone(), client);
    ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserBody {
    id: Option<String>,
    name: String,
    role_ids: Option<Vec<String>>,
}

async fn post_user(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: UserBody = parse(&body)?;
    let mut st = app.lock();
    let role_ids = b.role_ids.unwrap_or_default();
    if let Some(r) = role_ids.iter().find(|r| !st.store.roles.contains_key(*r)) {
        return Err(bad(format!("unknown role {r}")));
    }
    let user = User {
        id: b.id.unwrap_or_else(|| rand_uuid(&mut st.rng)),
        name: b.name,
        role_ids,
    };
    let out = json!({ "id": user.id, "name": user.name, "roleIds": user.role_ids });
    st.store.users.insert(user.id.clone(), user);
    ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenBody {
    token: Option<String>,
    client_id: String,
    user_id: Option<String>,
    scopes: Option<Vec<String>>,
    ttl_sec: Option<i64>,
}

async fn post_token(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: TokenBody = parse(&body)?;
    let now = now_ms();
    let mut st = app.lock();
    let Some(client) = st.store.clients.get(&b.client_id) else {
        return Err(bad(format!("unknown client {}", b.client_id)));
    };
    if let Some(u) = b
        .user_id
        .as_ref()
        .filter(|u| !st.store.users.contains_key(*u))
    {
        return Err(bad(format!("unknown user {u}")));
    }
    // A user token defaults to everything its client may ask for.
    let scopes = b.scopes.unwrap_or_else(|| {
        if b.user_id.is_some() {
            client.scopes.clone()
        } else {
            Vec::new()
        }
    });
    let ttl = b.ttl_sec.unwrap_or(st.config.token_ttl_sec as i64);
    let expires_at = now.saturating_add(ttl.saturating_mul(1000));
    let token = b
        .token
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| base64_token(&mut rand::rng()));
    st.store.tokens.insert(
        token.clone(),
        Token {
            client_id: b.client_id,
            user_id: b.user_id,
            scopes,
            expires_at: Some(expires_at),
        },
    );
    ok(json!({ "accessToken": token, "expiresAt": format_iso(expires_at) }))
}

fn base64_token(rng: &mut impl Rng) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rng.random::<[u8; 32]>())
}

async fn delete_token(State(app): State<App>, Path(token): Path<String>) -> AdminResult {
    match app.lock().store.tokens.remove(&token) {
        Some(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        None => Err(error(StatusCode::NOT_FOUND, "unknown token")),
    }
}

async fn post_conversation(State(app): State<App>, body: Bytes) -> AdminResult {
    let spec: ConversationSpec = if body.is_empty() {
        ConversationSpec::default()
    } else {
        parse(&body)?
    };
    let now = now_ms();
    let mut st = app.lock();
    let conv = seed::from_spec(spec, &mut st.rng, now).map_err(bad)?;
    let id = conv.id.clone();
    st.store.insert_conversation(conv);
    let out = render::admin_conversation(st.store.conversation(&id).expect("just inserted"));
    st.publish(&id, now);
    ok(out)
}

async fn get_conversation(State(app): State<App>, Path(id): Path<String>) -> AdminResult {
    let st = app.lock();
    match st.store.conversation(&id) {
        Some(c) => ok(render::admin_conversation(c)),
        None => Err(error(StatusCode::NOT_FOUND, "unknown conversation")),
    }
}

/// A customer (or agent) message now or at `at`: the conversation's newest
/// activity, which resets a queue inactivity timeout.
async fn post_message(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> AdminResult {
    let spec: PostMessageSpec = if body.is_empty() {
        PostMessageSpec::default()
    } else {
        parse(&body)?
    };
    let at = spec.at_ms(now_ms()).map_err(bad)?;
    let purpose = spec.from.as_deref().unwrap_or("customer");
    let mut st = app.lock();
    let st = &mut *st;
    let message_id = rand_uuid(&mut st.rng);
    let conv = st
        .store
        .conversation_mut(&id)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "unknown conversation"))?;
    conv.post_message(purpose, at, message_id)
        .map_err(|e| error(StatusCode::CONFLICT, e))?;
    let out = render::admin_conversation(conv);
    st.publish(&id, now_ms());
    ok(out)
}

async fn list_conversations(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult {
    let want_ended = match q.get("state").map(String::as_str) {
        None | Some("") => None,
        Some("active") => Some(false),
        Some("ended") => Some(true),
        Some(s) => return Err(bad(format!("state must be active or ended, not {s}"))),
    };
    let st = app.lock();
    let ids: Vec<&str> = st
        .store
        .all_conversations()
        .filter(|c| want_ended.is_none_or(|e| c.is_ended() == e))
        .map(|c| c.id.as_str())
        .collect();
    ok(json!({ "ids": ids }))
}

async fn post_seed(State(app): State<App>, body: Bytes) -> AdminResult {
    let spec: SeedSpec = parse(&body)?;
    let now = now_ms();
    let mut st = app.lock();
    let st = &mut *st;
    let ids = seed::seed(&mut st.store, &mut st.rng, &spec, now).map_err(bad)?;
    ok(json!({ "created": ids.len(), "ids": ids }))
}

async fn get_requests(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult {
    let since = match q.get("since") {
        None => 0,
        Some(s) => s
            .parse()
            .map_err(|_| bad("since must be a sequence number"))?,
    };
    ok(app.lock().log.since_json(since))
}

async fn delete_requests(State(app): State<App>) -> StatusCode {
    app.lock().log.clear();
    StatusCode::NO_CONTENT
}

async fn get_stats(State(app): State<App>) -> AdminResult {
    ok(app.lock().log.stats_json())
}

async fn post_script(State(app): State<App>, body: Bytes) -> AdminResult {
    let v: Value = parse(&body)?;
    let n = app.lock().scripts.add(&v).map_err(bad)?;
    ok(json!({ "queued": n }))
}

async fn delete_script(State(app): State<App>) -> StatusCode {
    app.lock().scripts.clear();
    StatusCode::NO_CONTENT
}

async fn get_script(State(app): State<App>) -> AdminResult {
    ok(app.lock().scripts.to_json())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct QueueBody {
    id: Option<String>,
    name: String,
}

/// A routing queue (same id replaces) -> `{id, name}`.
async fn post_queue(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: QueueBody = parse(&body)?;
    if b.name.is_empty() {
        return Err(bad("name must not be empty"));
    }
    let mut st = app.lock();
    let id = b.id.unwrap_or_else(|| rand_uuid(&mut st.rng));
    if id.is_empty() || id.contains(['.', '/']) {
        return Err(bad("id must not be empty or contain '.' or '/'"));
    }
    let q = crate::state::Queue { id, name: b.name };
    let out = json!({ "id": q.id, "name": q.name });
    st.store.queues.insert(q.id.clone(), q);
    ok(out)
}

async fn get_notifications(State(app): State<App>) -> AdminResult {
    let mut st = app.lock();
    st.notify.expire(now_ms());
    ok(st.notify.to_json())
}

/// `{channelId?}`: which channel a fault hits (absent: every channel).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChannelFault {
    channel_id: Option<String>,
    grace_ms: Option<u64>,
    count: Option<u64>,
}

fn fault_body(body: &[u8]) -> Result<ChannelFault, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(ChannelFault::default())
    } else {
        parse(body)
    }
}

/// Ends the socket(s) without a close frame, as a network failure would.
async fn drop_socket(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let n = app
        .lock()
        .notify
        .each_socket(f.channel_id.as_deref(), |_| crate::notify::Out::Drop);
    ok(json!({ "sockets": n }))
}

/// Sends `v2.system.socket_closing`, then closes after `graceMs` (default
/// config `socketClosingGraceMs`, "one minute" in F7423).
async fn socket_closing(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let mut st = app.lock();
    let grace_ms = f.grace_ms.unwrap_or(st.config.socket_closing_grace_ms);
    let n = st
        .notify
        .each_socket(f.channel_id.as_deref(), |ch| crate::notify::Out::Closing {
            json: crate::notify::socket_closing(&ch.id),
            grace_ms,
        });
    ok(json!({ "sockets": n }))
}

/// The next `count` conversation events (on any channel) are lost.
async fn drop_events(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let count = f.count.ok_or_else(|| bad("count is required"))?;
    let mut st = app.lock();
    st.notify.drop_next = st.notify.drop_next.saturating_add(count);
    ok(json!({ "dropNext": st.notify.drop_next }))
}

/// The channel(s) expire now: sockets closed, later calls 404.
async fn expire_channel(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let now = now_ms();
    let mut st = app.lock();
    let mut n = 0;
    for ch in st.notify.channels.values_mut() {
        if f.channel_id.as_deref().is_none_or(|w| w == ch.id) {
            ch.expires_at = now;
            n += 1;
        }
    }
    st.notify.expire(now);
    ok(json!({ "expired": n }))
}
