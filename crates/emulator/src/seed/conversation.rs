//! One conversation: generated from a `Shape` (a customer, an agent, a
//! chat between them), or built from an admin `ConversationSpec`.

use super::org::{QUEUE_ID, USER_SMITH};
use crate::ground::clock::parse_iso;
use crate::ground::ids::{rand_uuid, HOME_DIVISION_ID};
use crate::model::conversation::is_ended_state;
use crate::model::{Conversation, Media, Message, Participant, Store};
use rand::Rng;
use serde::Deserialize;
use serde_json::Value;

/// The knobs of a generated conversation.
pub(super) struct Shape {
    pub(super) id: String,
    pub(super) media: Media,
    pub(super) ended: bool,
    pub(super) started_at: i64,
    /// The last message (a customer message when there is no agent, else
    /// alternating back from the agent); equal to `started_at`: no message.
    pub(super) last_activity_at: i64,
    pub(super) agent: bool,
    pub(super) agent_wrapup_required: bool,
    pub(super) stuck: bool,
    /// The agent's queue.
    pub(super) queue_id: String,
}

/// Default participants: a customer and (with `agent`) an agent, both
/// `connected`, or `disconnected` at `lastActivityAt` when ended.
pub(super) fn build(shape: Shape, rng: &mut impl Rng) -> Conversation {
    let mut participants = vec![default_participant(&shape, "customer", rng)];
    if shape.agent {
        participants.push(default_participant(&shape, "agent", rng));
    }
    let chat = chat_times(shape.started_at, shape.last_activity_at, rng);
    let mut conv = Conversation {
        id: shape.id,
        media: shape.media,
        started_at: shape.started_at,
        inactivity_timeout: None,
        ended_at: None,
        stuck: shape.stuck,
        participants,
        division_ids: vec![HOME_DIVISION_ID.into()],
    };
    add_chat(&mut conv, &chat, rng);
    conv
}

/// Message times of a chat from `start` to `last` (none when they are equal):
/// the customer opens at `start`, a few replies follow, the last at `last`.
fn chat_times(start: i64, last: i64, rng: &mut impl Rng) -> Vec<i64> {
    if last <= start {
        return vec![];
    }
    let between = rng.random_range(0..=3);
    let mut times: Vec<i64> = (0..between)
        .map(|_| rng.random_range(start..=last))
        .collect();
    times.push(start);
    times.push(last);
    times.sort_unstable();
    times
}

/// Messages at these times, alternating customer / agent (customer only
/// without an agent); the last one is the customer's.
fn add_chat(conv: &mut Conversation, times: &[i64], rng: &mut impl Rng) {
    let has_agent = conv.participants.iter().any(|p| p.purpose == "agent");
    let n = times.len();
    for (i, t) in times.iter().enumerate() {
        let from_agent = has_agent && (n - 1 - i) % 2 == 1;
        let purpose = if from_agent { "agent" } else { "customer" };
        let status = if from_agent { "sent" } else { "received" };
        if let Some(p) = conv.participants.iter_mut().find(|p| p.purpose == purpose) {
            p.messages.push(Message {
                id: rand_uuid(rng),
                time: *t,
                status,
            });
        }
    }
}

fn default_participant(shape: &Shape, purpose: &str, rng: &mut impl Rng) -> Participant {
    let agent = purpose == "agent";
    Participant {
        id: rand_uuid(rng),
        purpose: purpose.into(),
        name: Some(if agent { "Agent Smith" } else { "Customer" }.into()),
        state: if shape.ended {
            "disconnected"
        } else {
            "connected"
        }
        .into(),
        start_time: shape.started_at,
        connected_time: Some(shape.started_at),
        end_time: shape.ended.then_some(shape.last_activity_at),
        disconnect_type: shape.ended.then(|| "endpoint".into()),
        wrapup_required: agent && shape.agent_wrapup_required,
        wrapup: None,
        wrapup_skipped: false,
        user_id: agent.then(|| USER_SMITH.into()),
        queue_id: agent.then(|| shape.queue_id.clone()),
        communication_id: rand_uuid(rng),
        messages: vec![],
    }
}

/// A time given as ISO 8601 or as epoch milliseconds.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum Stamp {
    Ms(i64),
    Iso(String),
}

impl Stamp {
    fn ms(&self) -> Result<i64, String> {
        match self {
            Stamp::Ms(ms) => Ok(*ms),
            Stamp::Iso(s) => parse_iso(s).ok_or_else(|| format!("bad timestamp `{s}`")),
        }
    }
}

fn opt_ms(s: &Option<Stamp>) -> Result<Option<i64>, String> {
    s.as_ref().map(Stamp::ms).transpose()
}

#[derive(Deserialize)]
struct IdRef {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParticipantSpec {
    id: Option<String>,
    purpose: String,
    name: Option<String>,
    state: Option<String>,
    start_time: Option<Stamp>,
    connected_time: Option<Stamp>,
    end_time: Option<Stamp>,
    disconnect_type: Option<String>,
    wrapup_required: Option<bool>,
    wrapup: Option<Value>,
    user: Option<IdRef>,
    queue: Option<IdRef>,
    communication_id: Option<String>,
    messages: Option<Vec<MessageSpec>>,
}

/// One message of a participant: `{id?, messageTime}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageSpec {
    id: Option<String>,
    message_time: Stamp,
}

/// Body of `POST /__emulator/conversations/{id}/messages`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostMessageSpec {
    /// The sender's purpose (default `customer`).
    pub from: Option<String>,
    /// Default: now.
    pub at: Option<Stamp>,
}

impl PostMessageSpec {
    pub fn at_ms(&self, now: i64) -> Result<i64, String> {
        Ok(opt_ms(&self.at)?.unwrap_or(now))
    }
}

/// Body of `POST /__emulator/conversations`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationSpec {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    state: Option<String>,
    started_at: Option<Stamp>,
    last_activity_at: Option<Stamp>,
    agent: Option<bool>,
    agent_wrapup_required: Option<bool>,
    stuck: Option<bool>,
    inactivity_timeout: Option<Stamp>,
    /// The agent's queue (default the seeded Support queue).
    queue_id: Option<String>,
    participants: Option<Vec<ParticipantSpec>>,
    /// Division ids; by default those of its participants' queues, else Home.
    divisions: Option<Vec<String>>,
}

impl ConversationSpec {
    /// The divisions the spec names, checked against the store.
    pub fn divisions(&self, store: &Store) -> Result<Option<Vec<String>>, String> {
        let Some(ids) = &self.divisions else {
            return Ok(None);
        };
        if ids.is_empty() {
            return Err("divisions must not be empty".into());
        }
        if let Some(d) = ids.iter().find(|d| !store.divisions.contains_key(*d)) {
            return Err(format!("unknown division {d}"));
        }
        Ok(Some(ids.clone()))
    }

    pub fn queue_id(&self, store: &Store) -> Result<Option<String>, String> {
        match &self.queue_id {
            Some(q) if !store.queues.contains_key(q) => Err(format!("unknown queue {q}")),
            q => Ok(q.clone()),
        }
    }
}

pub fn from_spec(
    spec: ConversationSpec,
    rng: &mut impl Rng,
    now: i64,
) -> Result<Conversation, String> {
    let media = match spec.kind.as_deref() {
        None => Media::WebMessaging,
        Some(t) => Media::parse(t).ok_or_else(|| format!("unknown type `{t}`"))?,
    };
    let ended = match spec.state.as_deref() {
        None | Some("active") => false,
        Some("ended") => true,
        Some(s) => return Err(format!("state must be active or ended, not `{s}`")),
    };
    let started_at = opt_ms(&spec.started_at)?.unwrap_or(now);
    let last_activity_at = opt_ms(&spec.last_activity_at)?.unwrap_or(started_at);
    let shape = Shape {
        id: spec.id.unwrap_or_else(|| rand_uuid(rng)),
        media,
        ended,
        started_at,
        last_activity_at,
        agent: spec.agent.unwrap_or(true),
        agent_wrapup_required: spec.agent_wrapup_required.unwrap_or(false),
        stuck: spec.stuck.unwrap_or(false),
        queue_id: spec.queue_id.unwrap_or_else(|| QUEUE_ID.into()),
    };
    if shape.id.is_empty() {
        return Err("id must not be empty".into());
    }
    let inactivity_timeout = opt_ms(&spec.inactivity_timeout)?;
    let Some(custom) = spec.participants else {
        let mut conv = build(shape, rng);
        conv.inactivity_timeout = inactivity_timeout;
        return Ok(conv);
    };
    let participants = custom
        .into_iter()
        .map(|p| custom_participant(p, ended, started_at, last_activity_at, rng))
        .collect::<Result<Vec<_>, String>>()?;
    if participants.is_empty() {
        return Err("participants must not be empty".into());
    }
    // Custom participants carry their own messages: none are generated.
    let mut conv = build(
        Shape {
            last_activity_at: started_at,
            ..shape
        },
        rng,
    );
    conv.participants = participants;
    for p in &mut conv.participants {
        p.messages.sort_by_key(|m| m.time);
    }
    conv.inactivity_timeout = inactivity_timeout;
    Ok(conv)
}

/// A participant as the spec gives it; what it leaves out is filled in
/// like a generated one's (ended at the conversation's last activity).
fn custom_participant(
    p: ParticipantSpec,
    ended: bool,
    started_at: i64,
    last_activity_at: i64,
    rng: &mut impl Rng,
) -> Result<Participant, String> {
    let state = p
        .state
        .unwrap_or_else(|| if ended { "disconnected" } else { "connected" }.into());
    let is_ended = is_ended_state(&state);
    Ok(Participant {
        id: p.id.unwrap_or_else(|| rand_uuid(rng)),
        purpose: p.purpose,
        name: p.name,
        start_time: opt_ms(&p.start_time)?.unwrap_or(started_at),
        connected_time: opt_ms(&p.connected_time)?.or(Some(started_at)),
        end_time: opt_ms(&p.end_time)?.or(is_ended.then_some(last_activity_at)),
        disconnect_type: p.disconnect_type.or(is_ended.then(|| "endpoint".into())),
        state,
        wrapup_required: p.wrapup_required.unwrap_or(false),
        wrapup: p.wrapup,
        wrapup_skipped: false,
        user_id: p.user.map(|u| u.id),
        queue_id: p.queue.map(|q| q.id),
        communication_id: p.communication_id.unwrap_or_else(|| rand_uuid(rng)),
        messages: p
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                Ok(Message {
                    id: m.id.unwrap_or_else(|| rand_uuid(rng)),
                    time: m.message_time.ms()?,
                    status: "received",
                })
            })
            .collect::<Result<_, String>>()?,
    })
}
