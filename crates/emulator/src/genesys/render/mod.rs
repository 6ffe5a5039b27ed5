//! JSON shapes of the API answers (and of the admin view of a conversation).
//! Optional fields are omitted rather than null, as Genesys does.

use crate::ground::clock::format_iso;
use crate::ground::ids::{ORG_ID, ORG_NAME};
use crate::model::{
    role_ids, Client, Conversation, Grant, Participant, Role, Store, User, ALL_DIVISIONS,
};
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
fn division_ref(store: &Store, id: &str) -> Value {
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

/// `MessageConversation`. `inactivityTimeout` only while a queue
/// inactivity timeout (`queue_timeout_ms`) or an explicit one applies.
pub fn message_conversation(store: &Store, c: &Conversation, queue_timeout_ms: u64) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| message_participant(c, p))
        .collect();
    let mut m = message_conversation_head(c, participants, queue_timeout_ms);
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
    queue_timeout_ms: u64,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert("participants".into(), Value::Array(participants));
    put(
        &mut m,
        "inactivityTimeout",
        iso(c.inactivity_timeout(queue_timeout_ms)),
    );
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

fn org() -> Value {
    json!({ "id": ORG_ID, "name": ORG_NAME, "selfUri": format!("/api/v2/organizations/{ORG_ID}") })
}

/// `roleDivisions`: one `{roleId, divisionId}` per grant (`*`: every division).
pub fn role_divisions(grants: &[Grant]) -> Value {
    Value::Array(
        grants
            .iter()
            .map(|g| json!({ "roleId": g.role_id, "divisionId": g.division_id }))
            .collect(),
    )
}

/// `TokenInfo`. `roleDivisions` only with config `tokenInfoRoleDivisions`.
pub fn token_info(
    client: &Client,
    authorized_scope: &[String],
    with_role_divisions: bool,
) -> Value {
    let mut oc = Map::new();
    oc.insert("id".into(), json!(client.id));
    oc.insert("name".into(), json!(client.name));
    oc.insert("authorizedGrantType".into(), json!(client.grant_type));
    oc.insert("scope".into(), json!(client.scopes));
    if with_role_divisions {
        oc.insert("roleDivisions".into(), role_divisions(&client.grants));
    }
    json!({
        "organization": org(),
        "homeOrganization": org(),
        "authorizedScope": authorized_scope,
        "OAuthClient": Value::Object(oc),
    })
}

/// `GET /api/v2/oauth/clients/{id}`.
pub fn oauth_client(client: &Client) -> Value {
    json!({
        "id": client.id,
        "name": client.name,
        "authorizedGrantType": client.grant_type,
        "scope": client.scopes,
        "roleDivisions": role_divisions(&client.grants),
        "selfUri": format!("/api/v2/oauth/clients/{}", client.id),
    })
}

/// `GET /api/v2/authorization/subjects/me` (`AuthzSubject`): one
/// `AuthzGrant` `{subjectId, division, role}` per grant, the role with its
/// `policies` (`AuthzGrantPolicy`: `{domain, entityName, actions}`).
pub fn subject(store: &Store, subject_id: &str, name: &str, grants: &[Grant]) -> Value {
    let grants: Vec<Value> = grants
        .iter()
        .filter_map(|g| {
            let role = store.roles.get(&g.role_id)?;
            let policies: Vec<Value> = policies(role)
                .into_iter()
                .map(|(domain, entity, actions)| {
                    json!({ "domain": domain, "entityName": entity, "actions": actions })
                })
                .collect();
            Some(json!({
                "subjectId": subject_id,
                "division": division_ref(store, &g.division_id),
                "role": { "id": role.id, "name": role.name, "policies": policies },
            }))
        })
        .collect();
    json!({
        "id": subject_id,
        "name": name,
        "grants": grants,
        "version": 1,
        "selfUri": format!("/api/v2/authorization/subjects/{subject_id}"),
    })
}

/// A role's permissions grouped as policies: one per `domain:entity`.
fn policies(role: &Role) -> Vec<(String, String, Vec<String>)> {
    let mut policies: Vec<(String, String, Vec<String>)> = Vec::new();
    for p in &role.permissions {
        let mut parts = p.splitn(3, ':');
        let (domain, entity, action) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or("*"),
            parts.next().unwrap_or("*"),
        );
        match policies
            .iter_mut()
            .find(|(d, e, _)| d == domain && e == entity)
        {
            Some((_, _, actions)) => actions.push(action.into()),
            None => policies.push((domain.into(), entity.into(), vec![action.into()])),
        }
    }
    policies
}

/// `GET /api/v2/authorization/roles/{id}`: permissions plus the same grouped
/// as `permissionPolicies` (one per `domain:entity`).
pub fn role(role: &Role) -> Value {
    let policies: Vec<Value> = policies(role)
        .into_iter()
        .map(|(domain, entity, actions)| json!({ "domain": domain, "entityName": entity, "actionSet": actions }))
        .collect();
    json!({
        "id": role.id,
        "name": role.name,
        "permissions": role.permissions,
        "permissionPolicies": policies,
        "selfUri": format!("/api/v2/authorization/roles/{}", role.id),
    })
}

/// `GET /api/v2/users/me`, with `authorization` when expanded.
pub fn user_me(store: &Store, user: &User, expand_authorization: bool) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(user.id));
    m.insert("name".into(), json!(user.name));
    if expand_authorization {
        let roles: Vec<Value> = role_ids(&user.grants)
            .iter()
            .filter_map(|r| store.roles.get(r))
            .map(|r| json!({ "id": r.id, "name": r.name }))
            .collect();
        m.insert(
            "authorization".into(),
            json!({ "roles": roles, "permissions": store.permissions_of(&role_ids(&user.grants)) }),
        );
    }
    m.insert(
        "selfUri".into(),
        json!(format!("/api/v2/users/{}", user.id)),
    );
    Value::Object(m)
}

/// The event body of `v2.routing.queues.{id}.conversations.messages`
/// (`QueueConversationMessageEventTopicMessageConversation`,
/// shared/genesys-notifications.md section 4): no conversation state or end
/// time; participants with their times, `queue`, `type` and `messages[]`
/// whose entries carry `message {id}` (not `messageId`), `messageTime` and
/// `messageStatus`. UNCONFIRMED: which participant lists a message (here,
/// as in the REST answer, its sender) and whether the list is complete.
pub fn queue_message_event(c: &Conversation, queue_timeout_ms: u64) -> Value {
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
    Value::Object(message_conversation_head(c, participants, queue_timeout_ms))
}

/// `Queue`, trimmed to what a listing needs, with its division.
pub fn queue(q: &crate::model::Queue, store: &Store) -> Value {
    let division = store.divisions.get(&q.division_id).map(|d| d.name.as_str());
    json!({
        "id": q.id,
        "name": q.name,
        "division": { "id": q.division_id, "name": division },
        "selfUri": format!("/api/v2/routing/queues/{}", q.id),
    })
}
