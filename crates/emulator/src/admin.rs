//! `/__emulator/...`: test control. No auth, never logged, plain
//! `{"error": "..."}` bodies on bad input.

use crate::app::App;
use crate::genesys::render;
use crate::ground::clock::{format_iso, now_ms};
use crate::ground::ids::{rand_uuid, random_token, HOME_DIVISION_ID};
use crate::model::{role_ids, Client, Division, Grant, Queue, Role, Token, User, ALL_DIVISIONS};
use crate::orgs::OrgSpec;
use crate::seed::{self, ConversationSpec, PostMessageSpec, SeedSpec};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::SeedableRng;
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
        .route("/orgs", post(post_org).get(list_orgs))
        .route("/orgs/{id}", delete(delete_org))
        .route("/config", get(get_config).patch(patch_config))
        .route("/divisions", post(post_division))
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
        .route("/conversations/{id}/transfer", post(post_transfer))
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

async fn post_org(State(app): State<App>, body: Bytes) -> AdminResult {
    let spec: OrgSpec = if body.is_empty() {
        OrgSpec::default()
    } else {
        parse(&body)?
    };
    let created = app.orgs().create(app.options(), spec).await.map_err(bad)?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list_orgs(State(app): State<App>) -> Json<Value> {
    Json(app.orgs().list())
}

async fn delete_org(State(app): State<App>, Path(id): Path<String>) -> AdminResult {
    if app.orgs().delete(&id).await {
        ok(json!({ "deleted": id }))
    } else {
        Err(error(StatusCode::NOT_FOUND, format!("no live org {id}")))
    }
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
struct DivisionBody {
    id: Option<String>,
    name: String,
}

async fn post_division(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: DivisionBody = parse(&body)?;
    let mut st = app.lock();
    let id = b.id.unwrap_or_else(|| rand_uuid(&mut st.rng));
    if id.is_empty() || id == ALL_DIVISIONS {
        return Err(bad("a division id must be non-empty and not `*`"));
    }
    let out = json!({ "id": id, "name": b.name });
    st.store
        .divisions
        .insert(id.clone(), Division { id, name: b.name });
    ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct QueueBody {
    id: Option<String>,
    name: String,
    division_id: Option<String>,
}

/// A routing queue in a division (default Home; same id replaces) -> `{id, name, divisionId}`.
async fn post_queue(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: QueueBody = parse(&body)?;
    if b.name.is_empty() {
        return Err(bad("name must not be empty"));
    }
    let mut st = app.lock();
    let division = b.division_id.unwrap_or_else(|| HOME_DIVISION_ID.into());
    if !st.store.divisions.contains_key(&division) {
        return Err(bad(format!("unknown division {division}")));
    }
    let id = b.id.unwrap_or_else(|| rand_uuid(&mut st.rng));
    if id.is_empty() || id.contains(['.', '/']) {
        return Err(bad("id must not be empty or contain '.' or '/'"));
    }
    let out = json!({ "id": id, "name": b.name, "divisionId": division });
    let queue = Queue {
        id: id.clone(),
        name: b.name,
        division_id: division,
    };
    st.store.queues.insert(id, queue);
    ok(out)
}

/// `{roleId, divisionId}` as in `roleDivisions`; `divisionId` `*` is every division.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GrantBody {
    role_id: String,
    division_id: String,
}

/// `roleIds` are granted in Home (as the Genesys admin UI does by
/// default); `roleDivisions` name the division of each grant.
fn grants(
    st: &crate::app::State,
    role_ids: Option<Vec<String>>,
    role_divisions: Option<Vec<GrantBody>>,
) -> Result<Vec<Grant>, AdminError> {
    let mut out = seed::home_grants(role_ids.unwrap_or_default());
    out.extend(
        role_divisions
            .unwrap_or_default()
            .into_iter()
            .map(|g| Grant {
                role_id: g.role_id,
                division_id: g.division_id,
            }),
    );
    for g in &out {
        if !st.store.roles.contains_key(&g.role_id) {
            return Err(bad(format!("unknown role {}", g.role_id)));
        }
        if g.division_id != ALL_DIVISIONS && !st.store.divisions.contains_key(&g.division_id) {
            return Err(bad(format!("unknown division {}", g.division_id)));
        }
    }
    Ok(out)
}

fn grants_json(grants: &[Grant]) -> Value {
    render::role_divisions(grants)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClientBody {
    id: Option<String>,
    name: Option<String>,
    secret: Option<String>,
    grant_type: Option<String>,
    role_ids: Option<Vec<String>>,
    role_divisions: Option<Vec<GrantBody>>,
    scopes: Option<Vec<String>>,
}

async fn post_client(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: ClientBody = parse(&body)?;
    let mut st = app.lock();
    let grants = grants(&st, b.role_ids, b.role_divisions)?;
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
        grants,
        scopes: b.scopes.unwrap_or_default(),
    };
    let out = json!({
        "id": client.id, "name": client.name, "secret": client.secret,
        "grantType": client.grant_type, "roleIds": role_ids(&client.grants),
        "roleDivisions": grants_json(&client.grants), "scopes": client.scopes,
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
    role_divisions: Option<Vec<GrantBody>>,
}

async fn post_user(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: UserBody = parse(&body)?;
    let mut st = app.lock();
    let grants = grants(&st, b.role_ids, b.role_divisions)?;
    let user = User {
        id: b.id.unwrap_or_else(|| rand_uuid(&mut st.rng)),
        name: b.name,
        grants,
    };
    let out = json!({
        "id": user.id, "name": user.name, "roleIds": role_ids(&user.grants),
        "roleDivisions": grants_json(&user.grants),
    });
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
        .unwrap_or_else(|| random_token(&mut rand::rng()));
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
    let divisions = spec.divisions(&st.store).map_err(bad)?;
    let queue = spec.queue_id(&st.store).map_err(bad)?;
    let mut conv = seed::from_spec(spec, &mut st.rng, now).map_err(bad)?;
    if let Some(q) = queue {
        for p in conv
            .participants
            .iter_mut()
            .filter(|p| p.queue_id.is_some())
        {
            p.queue_id = Some(q.clone());
        }
    }
    conv.division_ids = divisions.unwrap_or_else(|| st.store.divisions_of_queues(&conv));
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

/// Body of `POST /__emulator/conversations/{id}/transfer`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransferSpec {
    queue_id: String,
    /// Default: now.
    #[serde(default)]
    at: Option<seed::Stamp>,
}

/// Moves an open conversation onto a queue (a transfer, or a bot flow
/// handing over to ACD): published on the queues of its participants.
async fn post_transfer(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> AdminResult {
    let spec: TransferSpec = parse(&body)?;
    let now = now_ms();
    // The message spec reads a stamp the same way.
    let at = PostMessageSpec {
        from: None,
        at: spec.at,
    }
    .at_ms(now)
    .map_err(bad)?;
    let mut st = app.lock();
    let st = &mut *st;
    if !st.store.queues.contains_key(&spec.queue_id) {
        return Err(bad(format!("unknown queue {}", spec.queue_id)));
    }
    let ids = (rand_uuid(&mut st.rng), rand_uuid(&mut st.rng));
    let conv = st
        .store
        .conversation_mut(&id)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "unknown conversation"))?;
    conv.transfer(&spec.queue_id, at, ids)
        .map_err(|e| error(StatusCode::CONFLICT, e))?;
    let out = render::admin_conversation(conv);
    st.publish(&id, now);
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
    let n = app.lock().notify.each_socket(f.channel_id.as_deref(), |_| {
        crate::genesys::notify::Out::Drop
    });
    ok(json!({ "sockets": n }))
}

/// Sends `v2.system.socket_closing`, then closes after `graceMs` (default
/// config `socketClosingGraceMs`, "one minute" in F7423).
async fn socket_closing(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let mut st = app.lock();
    let grace_ms = f.grace_ms.unwrap_or(st.config.socket_closing_grace_ms);
    let n = st.notify.each_socket(f.channel_id.as_deref(), |ch| {
        crate::genesys::notify::Out::Closing {
            json: crate::genesys::notify::socket_closing(&ch.id),
            grace_ms,
        }
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
