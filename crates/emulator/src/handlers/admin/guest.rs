//! Messenger deployments and the Guest API from outside:
//! `POST /__emulator/deployments`, `POST /__emulator/guest/sessions`,
//! `POST /__emulator/guest/mute`, `GET /__emulator/guest/connections`.
//! Guest tokens are taken in, never answered back.

use super::answer::{bad, not_found, ok, parse, AdminResult};
use crate::app::App;
use crate::ground::clock::now_ms;
use crate::ground::ids::rand_uuid;
use crate::model::deployment::{Deployment, GuestSession, Settings};
use crate::seed::{self, ConversationSpec};
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeploymentBody {
    id: Option<String>,
    name: Option<String>,
    status: Option<String>,
    allowed_domains: Option<Vec<String>>,
    #[serde(default)]
    configuration: Settings,
    clear_forbidden_body: Option<String>,
}

const STATUSES: [&str; 5] = ["Pending", "Active", "Inactive", "Error", "Deleting"];

/// Creates a deployment with configuration version "1"; the same id again
/// publishes the next version (and updates what else is given).
pub async fn post_deployment(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: DeploymentBody = parse(&body)?;
    if let Some(s) = b.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(bad(format!("status must be one of {STATUSES:?}, not {s}")));
    }
    let now = now_ms();
    let mut st = app.lock();
    let st = &mut *st;
    let id = b.id.unwrap_or_else(|| rand_uuid(&mut st.rng));
    let config_id = rand_uuid(&mut st.rng);
    let d = st
        .store
        .deployments
        .entry(id.clone())
        .or_insert_with(|| Deployment {
            id: id.clone(),
            name: id.clone(),
            status: "Active".into(),
            allowed_domains: vec![],
            configuration_id: config_id,
            versions: vec![],
            created_at: now,
            modified_at: now,
            clear_forbidden_body: None,
        });
    d.versions.push(b.configuration);
    d.modified_at = now;
    d.name = b.name.unwrap_or_else(|| d.name.clone());
    d.status = b.status.unwrap_or_else(|| d.status.clone());
    d.allowed_domains = b
        .allowed_domains
        .unwrap_or_else(|| d.allowed_domains.clone());
    d.clear_forbidden_body = b.clear_forbidden_body.or(d.clear_forbidden_body.take());
    ok(json!({
        "id": d.id, "name": d.name, "status": d.status,
        "configuration": {"id": d.configuration_id, "version": d.version()},
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SessionBody {
    deployment_id: String,
    token: String,
    conversation_id: Option<String>,
    queue_id: Option<String>,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    expired: bool,
    #[serde(default)]
    forgotten: bool,
}

/// A guest session (same token replaces): on an existing conversation, or
/// on a new one (customer and agent) on `queueId`, or none yet -> its
/// state, without the token.
pub async fn post_session(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: SessionBody = parse(&body)?;
    if b.token.is_empty() || b.token.len() > 2048 {
        return Err(bad("token must be 1 to 2048 characters"));
    }
    let now = now_ms();
    let mut st = app.lock();
    let st = &mut *st;
    if !st.store.deployments.contains_key(&b.deployment_id) {
        return Err(bad(format!("unknown deployment {}", b.deployment_id)));
    }
    let conversation = match (b.conversation_id, b.queue_id) {
        (Some(_), Some(_)) => return Err(bad("give conversationId or queueId, not both")),
        (Some(c), None) if st.store.conversation(&c).is_none() => {
            return Err(not_found(format!("unknown conversation {c}")))
        }
        (Some(c), None) => Some(c),
        (None, Some(q)) => {
            let spec: ConversationSpec =
                serde_json::from_value(json!({ "queueId": q })).map_err(|e| bad(e.to_string()))?;
            spec.queue_id(&st.store).map_err(bad)?;
            let mut conv = seed::from_spec(spec, &mut st.rng, now).map_err(bad)?;
            conv.division_ids = st.store.divisions_of_queues(&conv);
            let id = conv.id.clone();
            st.store.insert_conversation(conv);
            st.publish(&id, now);
            Some(id)
        }
        (None, None) => None,
    };
    let session = GuestSession {
        conversation_id: conversation.clone(),
        read_only: b.read_only,
        expired: b.expired,
        forgotten: b.forgotten,
        ..GuestSession::new(b.deployment_id.clone(), now)
    };
    st.store.guest_sessions.insert(b.token, session);
    ok(json!({
        "deploymentId": b.deployment_id, "conversationId": conversation,
        "readOnly": b.read_only, "expired": b.expired, "forgotten": b.forgotten,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MuteBody {
    deployment_id: String,
    muted: bool,
}

/// Sockets on the deployment are accepted and never answered (a client's
/// timeout test) -> `{muted: [deployment ids]}`.
pub async fn post_mute(State(app): State<App>, body: Bytes) -> AdminResult {
    let b: MuteBody = parse(&body)?;
    let mut st = app.lock();
    if b.muted {
        st.guest.muted.insert(b.deployment_id);
    } else {
        st.guest.muted.remove(&b.deployment_id);
    }
    let mut muted: Vec<&String> = st.guest.muted.iter().collect();
    muted.sort();
    ok(json!({ "muted": muted }))
}

/// `?deploymentId=`: open sockets, configured ones, sessions they reach,
/// sockets ever opened, and every action received (no token, no text).
pub async fn get_connections(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult {
    let st = app.lock();
    let mut out = st.guest.to_json(q.get("deploymentId").map(String::as_str));
    let sessions = st
        .store
        .guest_sessions
        .values()
        .filter(|s| q.get("deploymentId").is_none_or(|d| *d == s.deployment_id))
        .count();
    out["storedSessions"] = json!(sessions);
    ok(out)
}
