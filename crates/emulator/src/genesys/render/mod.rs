//! JSON shapes of the API answers (and of the admin view of a conversation).
//! Optional fields are omitted rather than null, as Genesys does.
//!
//! - this file: conversations (`MessageConversation`, `Conversation`, the
//!   queue event body, the admin view);
//! - `identity`: tokens, clients, roles, subjects, users;
//! - `queues`: `Queue`;
//! - `deployments`: deployments, configuration versions, `config.json`.

mod deployments;
mod identity;
mod queues;

pub use deployments::{config_json, configuration_version, deployment};
pub use identity::{oauth_client, role, role_divisions, subject, token_info, user_me};
pub use queues::queue;

use crate::ground::clock::format_iso;
use crate::model::inactivity::Timers;
use crate::model::{Conversation, Participant, Store, ALL_DIVISIONS};
use serde_json::{json, Map, Value};

fn put(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(key.into(), v);
    }
}

fn iso(ms: Option<i64>) -> Option<Value> {
    ms.map(|t| Value::String(format_iso(t)))
}

fn id_ref(id: &Option<String>) -> Option<Value> {
    id.as_ref().map(|id| json!({ "id": id }))
}

/// A division as a `DomainEntityRef` (`{id, name, selfUri}`).
pub(super) fn division_ref(store: &Store, id: &str) -> Value {
    let name = if id == ALL_DIVISIONS {
        // UNCONFIRMED: how Genesys names the all-divisions grant.
        Some("All divisions")
    } else {
        store.divisions.get(id).map(|d| d.name.as_str())
    };
    json!({
        "id": id,
        "name": name,
        "selfUri": format!("/api/v2/authorization/divisions/{id}"),
    })
}

/// `divisions[]` of a conversation (`ConversationDivisionMembership`:
/// `{division, entities}`): each division with the queues of the
/// conversation that are in it as its entities.
pub fn conversation_divisions(store: &Store, c: &Conversation) -> Value {
    Value::Array(
        c.division_ids
            .iter()
            .map(|d| {
                let mut entities: Vec<Value> = Vec::new();
                for q in c.participants.iter().filter_map(|p| p.queue_id.as_ref()) {
                    let queue =
                        json!({ "id": q, "selfUri": format!("/api/v2/routing/queues/{q}") });
                    if store
                        .queues
                        .get(q)
                        .is_some_and(|queue| &queue.division_id == d)
                        && !entities.contains(&queue)
                    {
                        entities.push(queue);
                    }
                }
                json!({ "division": division_ref(store, d), "entities": entities })
            })
            .collect(),
    )
}

/// `MessageConversation`. `inactivityTimeout` only while a queue's timer
/// (or an explicit one) applies.
pub fn message_conversation(store: &Store, c: &Conversation, timers: &Timers) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| message_participant(c, p))
        .collect();
    let mut m = message_conversation_head(c, participants, timers);
    m.insert("divisions".into(), conversation_divisions(store, c));
    m.insert(
        "selfUri".into(),
        json!(format!("/api/v2/conversations/messages/{}", c.id)),
    );
    Value::Object(m)
}

/// `id`, `participants` and, while one applies, `inactivityTimeout`: how a
/// `MessageConversation` and a queue event body begin.
fn message_conversation_head(
    c: &Conversation,
    participants: Vec<Value>,
    timers: &Timers,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert("participants".into(), Value::Array(participants));
    put(&mut m, "inactivityTimeout", iso(timers.timeout_of(c)));
    m
}

/// `MessageDetails` of one participant.
fn message_details(p: &Participant) -> Value {
    Value::Array(
        p.messages
            .iter()
            .map(|msg| {
                json!({
                    "messageId": msg.id,
                    "messageTime": format_iso(msg.time),
                    "messageStatus": msg.status,
                    "messageSegmentCount": 1,
                })
            })
            .collect(),
    )
}

/// The fields a message participant has both in `MessageMediaParticipant`
/// and in a notification's event body.
fn participant_fields(c: &Conversation, p: &Participant) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(p.id));
    put(&mut m, "name", p.name.as_ref().map(|n| json!(n)));
    m.insert("purpose".into(), json!(p.purpose));
    m.insert("state".into(), json!(p.state));
    m.insert("direction".into(), json!("inbound"));
    put(
        &mut m,
        "disconnectType",
        p.disconnect_type.as_ref().map(|d| json!(d)),
    );
    m.insert("startTime".into(), json!(format_iso(p.start_time)));
    put(&mut m, "connectedTime", iso(p.connected_time));
    put(&mut m, "endTime", iso(p.end_time));
    m.insert("wrapupRequired".into(), json!(p.wrapup_required));
    m.insert("type".into(), json!(c.media.as_str()));
    put(&mut m, "user", id_ref(&p.user_id));
    put(&mut m, "queue", id_ref(&p.queue_id));
    m
}

/// `MessageMediaParticipant`.
fn message_participant(c: &Conversation, p: &Participant) -> Value {
    let mut m = participant_fields(c, p);
    put(&mut m, "wrapup", p.wrapup.clone());
    if !p.messages.is_empty() {
        m.insert("messages".into(), message_details(p));
    }
    Value::Object(m)
}

/// The state of a participant's communication in a `Conversation`.
fn communication_state(p: &Participant) -> &str {
    if p.is_ended() {
        return "disconnected";
    }
    match p.state.as_str() {
        s @ ("alerting" | "connected" | "parked") => s,
        _ => "connected",
    }
}

/// `Conversation` (GET/PATCH answers): media-agnostic, with `endTime` once ended.
pub fn conversation(c: &Conversation) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| {
            let mut m = Map::new();
            m.insert("id".into(), json!(p.id));
            put(&mut m, "name", p.name.as_ref().map(|n| json!(n)));
            m.insert("purpose".into(), json!(p.purpose));
            m.insert("state".into(), json!(p.state));
            put(&mut m, "userId", p.user_id.as_ref().map(|u| json!(u)));
            put(&mut m, "queueId", p.queue_id.as_ref().map(|q| json!(q)));
            m.insert("startTime".into(), json!(format_iso(p.start_time)));
            put(&mut m, "endTime", iso(p.end_time));
            m.insert("wrapupRequired".into(), json!(p.wrapup_required));
            put(&mut m, "wrapup", p.wrapup.clone());
            let state = communication_state(p);
            if c.media.is_message() {
                // `Message.messages` is `MessageDetails[]` in the SDK's
                // `Conversation` model; that the PATCH answer fills it is
                // UNCONFIRMED (the client reads it when present only).
                m.insert(
                    "messages".into(),
                    json!([{ "id": p.communication_id, "state": state, "type": c.media.as_str(), "messages": message_details(p) }]),
                );
            } else {
                m.insert(
                    "calls".into(),
                    json!([{ "id": p.communication_id, "state": state }]),
                );
            }
            Value::Object(m)
        })
        .collect();
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert("startTime".into(), json!(format_iso(c.started_at)));
    put(&mut m, "endTime", iso(c.ended_at));
    m.insert("participants".into(), Value::Array(participants));
    m.insert(
        "selfUri".into(),
        json!(format!("/api/v2/conversations/{}", c.id)),
    );
    Value::Object(m)
}

/// Everything the emulator stores about a conversation (admin API).
pub fn admin_conversation(c: &Conversation) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "purpose": p.purpose,
                "name": p.name,
                "state": p.state,
                "type": c.media.as_str(),
                "startTime": format_iso(p.start_time),
                "connectedTime": iso(p.connected_time),
                "endTime": iso(p.end_time),
                "disconnectType": p.disconnect_type,
                "wrapupRequired": p.wrapup_required,
                "wrapup": p.wrapup,
                "wrapupSkipped": p.wrapup_skipped,
                "user": id_ref(&p.user_id),
                "queue": id_ref(&p.queue_id),
                "communicationId": p.communication_id,
                "messages": message_details(p),
            })
        })
        .collect();
    json!({
        "id": c.id,
        "type": c.media.as_str(),
        "state": if c.is_ended() { "ended" } else { "active" },
        "stuck": c.stuck,
        "startedAt": format_iso(c.started_at),
        "lastActivityAt": format_iso(c.last_activity_at()),
        "inactivityTimeout": iso(c.inactivity_timeout),
        "endedAt": iso(c.ended_at),
        "divisionIds": c.division_ids,
        "participants": participants,
    })
}

/// The event body of `v2.routing.queues.{id}.conversations.messages`
/// (`QueueConversationMessageEventTopicMessageConversation`,
/// shared/genesys-notifications.md section 4): no conversation state or end
/// time; participants with their times, `queue`, `type` and `messages[]`
/// whose entries carry `message {id}` (not `messageId`), `messageTime` and
/// `messageStatus`. UNCONFIRMED: which participant lists a message (here,
/// as in the REST answer, its sender) and whether the list is complete.
pub fn queue_message_event(c: &Conversation, timers: &Timers) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| {
            let mut m = participant_fields(c, p);
            let messages: Vec<Value> = p
                .messages
                .iter()
                .map(|msg| {
                    json!({
                        "message": { "id": msg.id },
                        "messageTime": format_iso(msg.time),
                        "messageStatus": msg.status,
                        "messageSegmentCount": 1,
                    })
                })
                .collect();
            m.insert("messages".into(), Value::Array(messages));
            Value::Object(m)
        })
        .collect();
    Value::Object(message_conversation_head(c, participants, timers))
}
