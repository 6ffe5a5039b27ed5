//! Creating data: the fixed seeded organisation (roles, clients, users,
//! static tokens) and conversations, one from an admin spec or many at random.

use crate::clock::parse_iso;
use crate::state::{
    is_ended_state, Client, Conversation, Division, Grant, Media, Message, Participant, Queue,
    Role, Store, Token, User,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const ORG_ID: &str = "6f1f6b2e-0000-4000-8000-00000000000a";
pub const ORG_NAME: &str = "Emulated Org";
/// The default division ("Home"): where roles given as `roleIds` are
/// granted and where a conversation lands when nothing places it elsewhere.
pub const HOME_DIVISION_ID: &str = "d0000000-0000-4000-8000-000000000001";
pub const HOME_DIVISION_NAME: &str = "Home";
/// Queue of every generated agent participant (in Home, unless a spec names another).
pub const QUEUE_ID: &str = "c0000000-0000-4000-8000-000000000001";
/// The seeded queues: id, name.
pub const QUEUES: [(&str, &str); 3] = [
    (QUEUE_ID, "Support"),
    ("c0000000-0000-4000-8000-000000000002", "Sales"),
    ("c0000000-0000-4000-8000-000000000003", "Billing"),
];

pub const ROLE_CLEANUP: &str = "a0000000-0000-4000-8000-000000000001";
pub const ROLE_READONLY: &str = "a0000000-0000-4000-8000-000000000002";
pub const ROLE_WRAPUP: &str = "a0000000-0000-4000-8000-000000000003";
pub const ROLE_INSPECTOR: &str = "a0000000-0000-4000-8000-000000000004";
pub const USER_SMITH: &str = "b0000000-0000-4000-8000-000000000001";
pub const USER_JONES: &str = "b0000000-0000-4000-8000-000000000002";

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Each role granted in Home.
pub fn home_grants(role_ids: Vec<String>) -> Vec<Grant> {
    role_ids
        .into_iter()
        .map(|role_id| Grant {
            role_id,
            division_id: HOME_DIVISION_ID.into(),
        })
        .collect()
}

/// The organisation as the README's "Seeded data" tables describe it.
pub fn base_store() -> Store {
    let mut s = Store::default();
    s.divisions.insert(
        HOME_DIVISION_ID.into(),
        Division {
            id: HOME_DIVISION_ID.into(),
            name: HOME_DIVISION_NAME.into(),
        },
    );
    for (id, name, perms) in [
        (
            ROLE_CLEANUP,
            "Cleanup",
            &[
                "conversation:communication:disconnect",
                "conversation:communication:view",
                "analytics:conversationDetail:view",
                "routing:queue:view",
            ][..],
        ),
        (
            ROLE_READONLY,
            "Read only",
            &[
                "conversation:communication:view",
                "analytics:conversationDetail:view",
            ][..],
        ),
        (
            ROLE_WRAPUP,
            "Wrap-up only",
            &[
                "conversation:participant:wrapup",
                "conversation:communication:view",
            ][..],
        ),
        (
            ROLE_INSPECTOR,
            "Inspector",
            &["oauth:client:view", "authorization:role:view"][..],
        ),
    ] {
        s.roles.insert(
            id.into(),
            Role {
                id: id.into(),
                name: name.into(),
                permissions: strings(perms),
            },
        );
    }
    for (id, secret, grant, roles, scopes) in [
        (
            "cleanup-client",
            Some("cleanup-secret"),
            "CLIENT-CREDENTIALS",
            &[ROLE_CLEANUP, ROLE_INSPECTOR][..],
            &[][..],
        ),
        (
            "readonly-client",
            Some("readonly-secret"),
            "CLIENT-CREDENTIALS",
            &[ROLE_READONLY, ROLE_INSPECTOR][..],
            &[][..],
        ),
        (
            "wrapup-client",
            Some("wrapup-secret"),
            "CLIENT-CREDENTIALS",
            &[ROLE_WRAPUP][..],
            &[][..],
        ),
        (
            "bare-client",
            Some("bare-secret"),
            "CLIENT-CREDENTIALS",
            &[][..],
            &[][..],
        ),
        (
            "web-app",
            None,
            "CODE",
            &[][..],
            &["conversations", "conversations:readonly", "analytics"][..],
        ),
    ] {
        s.clients.insert(
            id.into(),
            Client {
                id: id.into(),
                name: id.into(),
                secret: secret.map(Into::into),
                grant_type: grant.into(),
                grants: home_grants(strings(roles)),
                scopes: strings(scopes),
            },
        );
    }
    for (id, name) in QUEUES {
        s.queues.insert(
            id.into(),
            Queue {
                id: id.into(),
                name: name.into(),
                division_id: HOME_DIVISION_ID.into(),
            },
        );
    }
    for (id, name, role) in [
        (USER_SMITH, "Agent Smith", ROLE_CLEANUP),
        (USER_JONES, "Viewer Jones", ROLE_READONLY),
    ] {
        s.users.insert(
            id.into(),
            User {
                id: id.into(),
                name: name.into(),
                grants: home_grants(strings(&[role])),
            },
        );
    }
    for (token, client, user, scopes) in [
        ("cc-cleanup-token", "cleanup-client", None, &[][..]),
        ("cc-readonly-token", "readonly-client", None, &[][..]),
        ("cc-wrapup-token", "wrapup-client", None, &[][..]),
        (
            "user-cleanup-token",
            "web-app",
            Some(USER_SMITH),
            &["conversations", "analytics"][..],
        ),
        (
            "user-noscope-token",
            "web-app",
            Some(USER_SMITH),
            &["conversations:readonly"][..],
        ),
        (
            "user-readonly-token",
            "web-app",
            Some(USER_JONES),
            &["conversations"][..],
        ),
    ] {
        s.tokens.insert(
            token.into(),
            Token {
                client_id: client.into(),
                user_id: user.map(Into::into),
                scopes: strings(scopes),
                expires_at: None,
            },
        );
    }
    s
}

/// The seeded credentials in a few lines, for the startup banner on stderr:
/// every OAuth client with its secret and every static token, read from
/// [`base_store`] so the banner cannot drift from what is seeded.
pub fn credentials_summary() -> String {
    let s = base_store();
    let mut clients: Vec<String> = s
        .clients
        .values()
        .map(|c| match &c.secret {
            Some(secret) => format!("{} / {secret}", c.id),
            None => format!("{} ({}, no secret)", c.id, c.grant_type),
        })
        .collect();
    clients.sort();
    let mut tokens: Vec<&str> = s.tokens.keys().map(String::as_str).collect();
    tokens.sort_unstable();
    format!(
        "seeded OAuth clients (id / secret): {}\nseeded static tokens: {}\n(cleanup-client and cc-cleanup-token may end conversations; each one's roles, scopes and users are in docs/emulator.md of the genesys-cleanup package, \"Seeded data\")",
        clients.join(", "),
        tokens.join(", ")
    )
}

/// A v4-shaped UUID from the (seedable) emulator RNG, so ids repeat with a seed.
pub fn rand_uuid(rng: &mut impl Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// The knobs of a generated conversation.
struct Shape {
    id: String,
    media: Media,
    ended: bool,
    started_at: i64,
    /// The last message (a customer message when there is no agent, else
    /// alternating back from the agent); equal to `started_at`: no message.
    last_activity_at: i64,
    agent: bool,
    agent_wrapup_required: bool,
    stuck: bool,
    /// The agent's queue.
    queue_id: String,
}

/// Default participants: a customer and (with `agent`) an agent, both
/// `connected`, or `disconnected` at `lastActivityAt` when ended.
fn build(shape: Shape, rng: &mut impl Rng) -> Conversation {
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
    let mut participants = Vec::with_capacity(custom.len());
    for p in custom {
        let state = p
            .state
            .unwrap_or_else(|| if ended { "disconnected" } else { "connected" }.into());
        let is_ended = is_ended_state(&state);
        participants.push(Participant {
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
        });
    }
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

/// Body of `POST /__emulator/seed` (and `--seed-conversations`).
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedSpec {
    pub count: usize,
    pub mix: Option<BTreeMap<String, f64>>,
    pub age_min_ms: Option<i64>,
    pub age_max_ms: Option<i64>,
    pub ended_fraction: Option<f64>,
    pub agent_fraction: Option<f64>,
    pub wrapup_required_fraction: Option<f64>,
    pub rng_seed: Option<u64>,
    /// Each conversation lands in one of these divisions, at random
    /// (default: Home).
    pub division_ids: Option<Vec<String>>,
}

pub const MAX_SEED: usize = 1_000_000;

impl SeedSpec {
    pub fn count(count: usize, rng_seed: Option<u64>) -> Self {
        SeedSpec {
            count,
            mix: None,
            age_min_ms: None,
            age_max_ms: None,
            ended_fraction: None,
            agent_fraction: None,
            wrapup_required_fraction: None,
            rng_seed,
            division_ids: None,
        }
    }
}

/// Creates `spec.count` random conversations; returns their ids.
/// With `rngSeed` the ids and shapes repeat (times are relative to now).
pub fn seed(
    store: &mut Store,
    rng: &mut StdRng,
    spec: &SeedSpec,
    now: i64,
) -> Result<Vec<String>, String> {
    if spec.count > MAX_SEED {
        return Err(format!("count must be at most {MAX_SEED}"));
    }
    let mix: Vec<(Media, f64)> = match &spec.mix {
        None => vec![
            (Media::WebMessaging, 0.7),
            (Media::Open, 0.1),
            (Media::WhatsApp, 0.1),
            (Media::Voice, 0.1),
        ],
        Some(m) => m
            .iter()
            .map(|(k, w)| match Media::parse(k) {
                Some(media) if w.is_finite() && *w >= 0.0 => Ok((media, *w)),
                Some(_) => Err(format!("mix weight for `{k}` must be >= 0")),
                None => Err(format!("unknown type `{k}` in mix")),
            })
            .collect::<Result<_, _>>()?,
    };
    let total: f64 = mix.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return Err("mix weights must not all be 0".into());
    }
    let age_min = spec.age_min_ms.unwrap_or(60_000);
    let age_max = spec.age_max_ms.unwrap_or(86_400_000);
    if age_min < 0 || age_max < age_min {
        return Err("need 0 <= ageMinMs <= ageMaxMs".into());
    }
    let fraction = |v: Option<f64>, default: f64, name: &str| -> Result<f64, String> {
        let f = v.unwrap_or(default);
        if (0.0..=1.0).contains(&f) {
            Ok(f)
        } else {
            Err(format!("{name} must be between 0 and 1"))
        }
    };
    let ended_fraction = fraction(spec.ended_fraction, 0.1, "endedFraction")?;
    let agent_fraction = fraction(spec.agent_fraction, 0.8, "agentFraction")?;
    let wrapup_fraction = fraction(
        spec.wrapup_required_fraction,
        0.25,
        "wrapupRequiredFraction",
    )?;

    let divisions = spec.division_ids.clone().unwrap_or_default();
    if let Some(d) = divisions.iter().find(|d| !store.divisions.contains_key(*d)) {
        return Err(format!("unknown division {d}"));
    }
    let mut own_rng = spec.rng_seed.map(StdRng::seed_from_u64);
    let rng: &mut StdRng = own_rng.as_mut().unwrap_or(rng);
    let mut ids = Vec::with_capacity(spec.count);
    for _ in 0..spec.count {
        let mut x = rng.random::<f64>() * total;
        let mut media = mix[0].0;
        for (m, w) in &mix {
            if *w > 0.0 {
                media = *m;
                if x < *w {
                    break;
                }
                x -= w;
            }
        }
        let started_at = now - rng.random_range(age_min..=age_max);
        let last_activity_at = rng.random_range(started_at..=now);
        let agent = rng.random_bool(agent_fraction);
        let shape = Shape {
            id: rand_uuid(rng),
            media,
            ended: rng.random_bool(ended_fraction),
            started_at,
            last_activity_at,
            agent,
            agent_wrapup_required: agent && rng.random_bool(wrapup_fraction),
            stuck: false,
            queue_id: QUEUE_ID.into(),
        };
        let mut conv = build(shape, rng);
        // Drawn only when asked for, so older seeds repeat unchanged.
        if !divisions.is_empty() {
            conv.division_ids = vec![divisions[rng.random_range(0..divisions.len())].clone()];
        }
        ids.push(conv.id.clone());
        store.insert_conversation(conv);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_org_matches_readme() {
        let s = base_store();
        assert_eq!(s.roles.len(), 4);
        assert_eq!(s.clients["web-app"].grant_type, "CODE");
        assert!(s.clients["web-app"].secret.is_none());
        assert_eq!(
            s.tokens["user-noscope-token"].scopes,
            ["conversations:readonly"]
        );
        assert_eq!(
            crate::state::role_ids(&s.users[USER_JONES].grants),
            [ROLE_READONLY]
        );
        assert_eq!(s.divisions[HOME_DIVISION_ID].name, "Home");
    }

    #[test]
    fn credentials_summary_names_every_seeded_client_and_token() {
        let text = credentials_summary();
        let store = base_store();
        for c in store.clients.values() {
            assert!(text.contains(&c.id), "{text}");
            if let Some(secret) = &c.secret {
                assert!(text.contains(&format!("{} / {secret}", c.id)), "{text}");
            }
        }
        for t in store.tokens.keys() {
            assert!(text.contains(t.as_str()), "{text}");
        }
        assert!(text.contains("docs/emulator.md"), "{text}");
    }

    #[test]
    fn seed_is_repeatable_with_rng_seed() {
        let run = || {
            let mut store = Store::default();
            let mut rng = StdRng::seed_from_u64(99);
            let mut spec = SeedSpec::count(200, Some(5));
            spec.ended_fraction = Some(0.5);
            let ids = seed(&mut store, &mut rng, &spec, 1_000_000_000_000).unwrap();
            let ended = store.all_conversations().filter(|c| c.is_ended()).count();
            let voice = store
                .all_conversations()
                .filter(|c| c.media == Media::Voice)
                .count();
            (ids, ended, voice)
        };
        let (a, ended, voice) = run();
        assert_eq!(a.len(), 200);
        assert_eq!(run().0, a);
        assert!((60..140).contains(&ended), "{ended}");
        assert!((5..45).contains(&voice), "{voice}");
    }

    #[test]
    fn spec_defaults_and_ended() {
        let mut rng = StdRng::seed_from_u64(1);
        let spec: ConversationSpec = serde_json::from_value(serde_json::json!({
            "type": "open", "state": "ended", "startedAt": "2026-01-01T00:00:00Z",
            "lastActivityAt": 1_767_225_660_000i64, "agentWrapupRequired": true
        }))
        .unwrap();
        let mut c = from_spec(spec, &mut rng, 5).unwrap();
        c.refresh_end();
        assert_eq!(c.media, Media::Open);
        assert_eq!(c.participants.len(), 2);
        assert!(c.is_ended());
        assert_eq!(c.ended_at, Some(1_767_225_660_000));
        assert!(c.participants[1].wrapup_required);
        // The chat runs from the start to lastActivityAt; the last message is the customer's.
        assert_eq!(c.last_message_at(), Some(1_767_225_660_000));
        let last_customer = c.participants[0].messages.last().unwrap();
        assert_eq!(last_customer.time, 1_767_225_660_000);
        assert!(from_spec(
            serde_json::from_value(serde_json::json!({"type":"fax"})).unwrap(),
            &mut rng,
            0
        )
        .is_err());
    }
}
