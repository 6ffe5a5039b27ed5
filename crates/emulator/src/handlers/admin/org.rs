//! The org's entities: `POST /__emulator/divisions`, `/roles`, `/queues`,
//! `/clients`, `/users` and `/tokens`, and `DELETE /tokens/{token}`.

use super::answer::{bad, not_found, ok, parse, AdminError, AdminResult};
use crate::app::{App, State as AppState};
use crate::genesys::render;
use crate::ground::clock::{format_iso, now_ms};
use crate::ground::ids::{rand_uuid, random_token, HOME_DIVISION_ID};
use crate::model::{role_ids, Client, Division, Grant, Queue, Role, Token, User, ALL_DIVISIONS};
use crate::seed;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleBody {
    id: Option<String>,
    name: String,
    permissions: Vec<String>,
}

pub async fn post_role(State(app): State<App>, body: Bytes) -> AdminResult {
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

pub async fn post_division(State(app): State<App>, body: Bytes) -> AdminResult {
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
    /// Replaces the seeded `mediaSettings` whole.
    media_settings: Option<Value>,
}

/// A routing queue in a division (default Home; same id replaces), with
/// the extra fields of a real one -> `{id, name, divisionId}`.
pub async fn post_queue(State(app): State<App>, body: Bytes) -> AdminResult {
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
    let mut body = seed::queue_body(None);
    match b.media_settings {
        Some(Value::Object(m)) => {
            body.insert("mediaSettings".into(), Value::Object(m));
        }
        Some(_) => return Err(bad("mediaSettings must be an object")),
        None => {}
    }
    let out = json!({ "id": id, "name": b.name, "divisionId": division });
    st.store
        .queues
        .insert(id.clone(), Queue::new(id, b.name, division, body));
    ok(out)
}

/// The stored queue as `GET /api/v2/routing/queues/{id}` renders it, how
/// many PUTs it took and the last PUT's body as received.
pub async fn get_queue(State(app): State<App>, Path(id): Path<String>) -> AdminResult {
    let st = app.lock();
    let q = st
        .store
        .queues
        .get(&id)
        .ok_or_else(|| not_found("unknown queue"))?;
    ok(json!({
        "queue": render::queue(q, &st.store, true),
        "puts": q.puts,
        "lastPut": q.last_put,
    }))
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
    st: &AppState,
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

pub async fn post_client(State(app): State<App>, body: Bytes) -> AdminResult {
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

pub async fn post_user(State(app): State<App>, body: Bytes) -> AdminResult {
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

pub async fn post_token(State(app): State<App>, body: Bytes) -> AdminResult {
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

pub async fn delete_token(State(app): State<App>, Path(token): Path<String>) -> AdminResult {
    match app.lock().store.tokens.remove(&token) {
        Some(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        None => Err(not_found("unknown token")),
    }
}
