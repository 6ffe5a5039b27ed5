//! Conversations: `POST/GET /__emulator/conversations`, one by id, a
//! message in one, a transfer to a queue, and `POST /__emulator/seed`.

use super::answer::{bad, error, not_found, ok, parse, parse_or_default, AdminResult};
use crate::app::App;
use crate::genesys::render;
use crate::ground::clock::now_ms;
use crate::ground::ids::rand_uuid;
use crate::seed::{self, ConversationSpec, PostMessageSpec, SeedSpec};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub async fn post_conversation(State(app): State<App>, body: Bytes) -> AdminResult {
    let spec: ConversationSpec = parse_or_default(&body)?;
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

pub async fn get_conversation(State(app): State<App>, Path(id): Path<String>) -> AdminResult {
    let mut st = app.lock();
    st.reap(now_ms());
    match st.store.conversation(&id) {
        Some(c) => ok(render::admin_conversation(c)),
        None => Err(not_found("unknown conversation")),
    }
}

/// A customer (or agent) message now or at `at`: the conversation's newest
/// activity, which resets a queue inactivity timeout.
pub async fn post_message(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> AdminResult {
    let spec: PostMessageSpec = parse_or_default(&body)?;
    let at = spec.at_ms(now_ms()).map_err(bad)?;
    let purpose = spec.from.as_deref().unwrap_or("customer");
    let mut st = app.lock();
    let st = &mut *st;
    let message_id = rand_uuid(&mut st.rng);
    let conv = st
        .store
        .conversation_mut(&id)
        .ok_or_else(|| not_found("unknown conversation"))?;
    conv.post_message(purpose, at, message_id)
        .map_err(|e| error(StatusCode::CONFLICT, e))?;
    let out = render::admin_conversation(conv);
    st.publish(&id, now_ms());
    ok(out)
}

/// Body of `POST /__emulator/conversations/{id}/transfer`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransferSpec {
    queue_id: String,
    /// Default: now.
    #[serde(default)]
    at: Option<seed::Stamp>,
}

/// Moves an open conversation onto a queue (a transfer, or a bot flow
/// handing over to ACD): published on the queues of its participants.
pub async fn post_transfer(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> AdminResult {
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
        .ok_or_else(|| not_found("unknown conversation"))?;
    conv.transfer(&spec.queue_id, at, ids)
        .map_err(|e| error(StatusCode::CONFLICT, e))?;
    let out = render::admin_conversation(conv);
    st.publish(&id, now);
    ok(out)
}

pub async fn list_conversations(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult {
    let want_ended = match q.get("state").map(String::as_str) {
        None | Some("") => None,
        Some("active") => Some(false),
        Some("ended") => Some(true),
        Some(s) => return Err(bad(format!("state must be active or ended, not {s}"))),
    };
    let mut st = app.lock();
    st.reap(now_ms());
    let ids: Vec<&str> = st
        .store
        .all_conversations()
        .filter(|c| want_ended.is_none_or(|e| c.is_ended() == e))
        .map(|c| c.id.as_str())
        .collect();
    ok(json!({ "ids": ids }))
}

pub async fn post_seed(State(app): State<App>, body: Bytes) -> AdminResult {
    let spec: SeedSpec = parse(&body)?;
    let now = now_ms();
    let mut st = app.lock();
    let st = &mut *st;
    let ids = seed::seed(&mut st.store, &mut st.rng, &spec, now).map_err(bad)?;
    ok(json!({ "created": ids.len(), "ids": ids }))
}
