//! The data model and the conversation state machine.
//!
//! Everything lives in one [`State`] behind one mutex (see `app.rs`): every
//! operation is a few hash lookups, so a single lock is simpler and faster
//! than finer-grained locking at the request rates we need.

use crate::config::Config;
use crate::log::RequestLog;
use crate::notify::Notifications;
use crate::ratelimit::Windows;
use crate::script::Scripts;
use rand::rngs::StdRng;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct State {
    pub config: Config,
    pub store: Store,
    /// Seedable, so faults, jitter and generated data repeat with `rngSeed`.
    pub rng: StdRng,
    /// `/api/v2` windows, keyed by token.
    pub api_limiter: Windows,
    /// `/oauth/token` windows, keyed by client id.
    pub token_limiter: Windows,
    pub scripts: Scripts,
    pub log: RequestLog,
    /// Notification channels and their sockets.
    pub notify: Notifications,
}

impl State {
    /// Tells the subscribed channels that conversation `id` changed.
    pub fn publish(&mut self, id: &str, now: i64) {
        let (timeout, delay) = (
            self.config.queue_inactivity_timeout_ms,
            self.config.notification_delay_ms,
        );
        if let Some(c) = self.store.conversations.get(id) {
            self.notify.publish(c, timeout, delay, now);
        }
    }
}

/// A routing queue (`GET /api/v2/routing/queues`).
#[derive(Clone, Debug)]
pub struct Queue {
    pub id: String,
    pub name: String,
    /// The division the queue is in (Home unless created in another).
    pub division_id: String,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub permissions: Vec<String>,
}

/// A division: conversations, queues and role grants live in one.
#[derive(Clone, Debug)]
pub struct Division {
    pub id: String,
    pub name: String,
}

/// A role granted in one division (`roleDivisions` entry); the division
/// [`ALL_DIVISIONS`] grants it everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role_id: String,
    pub division_id: String,
}

/// The division id of a grant in every division, present and future
/// (Genesys's `*`).
pub const ALL_DIVISIONS: &str = "*";

#[derive(Clone, Debug)]
pub struct Client {
    pub id: String,
    pub name: String,
    /// `None`: the client cannot authenticate at the token endpoint.
    pub secret: Option<String>,
    pub grant_type: String,
    pub grants: Vec<Grant>,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub name: String,
    pub grants: Vec<Grant>,
}

/// Role ids of a grant list, each once, in order.
pub fn role_ids(grants: &[Grant]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in grants {
        if !out.contains(&g.role_id) {
            out.push(g.role_id.clone());
        }
    }
    out
}

#[derive(Clone, Debug)]
pub struct Token {
    pub client_id: String,
    /// Set for user tokens (grant CODE etc.); `None` for client credentials.
    pub user_id: Option<String>,
    pub scopes: Vec<String>,
    /// Epoch ms; `None` never expires.
    pub expires_at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    WebMessaging,
    Open,
    WhatsApp,
    Sms,
    Facebook,
    Voice,
}

impl Media {
    pub const ALL: [Media; 6] = [
        Media::WebMessaging,
        Media::Open,
        Media::WhatsApp,
        Media::Sms,
        Media::Facebook,
        Media::Voice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Media::WebMessaging => "webmessaging",
            Media::Open => "open",
            Media::WhatsApp => "whatsapp",
            Media::Sms => "sms",
            Media::Facebook => "facebook",
            Media::Voice => "voice",
        }
    }

    pub fn parse(s: &str) -> Option<Media> {
        Media::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Message conversations are what `/conversations/messages` serves.
    pub fn is_message(self) -> bool {
        self != Media::Voice
    }

    /// The analytics `mediaType`.
    pub fn analytics_media_type(self) -> &'static str {
        if self.is_message() {
            "message"
        } else {
            "voice"
        }
    }
}

#[derive(Clone, Debug)]
pub struct Participant {
    pub id: String,
    pub purpose: String,
    pub name: Option<String>,
    pub state: String,
    pub start_time: i64,
    pub connected_time: Option<i64>,
    pub end_time: Option<i64>,
    pub disconnect_type: Option<String>,
    pub wrapup_required: bool,
    pub wrapup: Option<Value>,
    pub wrapup_skipped: bool,
    pub user_id: Option<String>,
    pub queue_id: Option<String>,
    /// The id of the participant's single message (or call) communication.
    pub communication_id: String,
    /// Messages this participant sent, oldest first (`MessageMediaParticipant.messages`).
    /// UNCONFIRMED: which participant lists a message in Genesys (we list it
    /// on its sender) and whether the list is complete for long chats.
    pub messages: Vec<Message>,
}

/// One `MessageDetails` entry.
#[derive(Clone, Debug)]
pub struct Message {
    pub id: String,
    /// Epoch ms (`messageTime`).
    pub time: i64,
    /// `messageStatus`: `received` for the customer's, `sent` for the agent's.
    pub status: &'static str,
}

impl Participant {
    pub fn is_ended(&self) -> bool {
        is_ended_state(&self.state)
    }

    pub fn disconnect(&mut self, now: i64, disconnect_type: &str) {
        if !self.is_ended() {
            self.state = "disconnected".into();
            self.end_time = Some(now);
            self.disconnect_type = Some(disconnect_type.into());
        }
    }
}

pub fn is_ended_state(state: &str) -> bool {
    state == "disconnected" || state == "terminated"
}

#[derive(Clone, Debug)]
pub struct Conversation {
    pub id: String,
    pub media: Media,
    pub started_at: i64,
    /// An explicit `inactivityTimeout` (epoch ms), as when a queue's
    /// inactivity timeout is on; see [`Conversation::inactivity_timeout`].
    pub inactivity_timeout: Option<i64>,
    /// Set when the last participant ends (derived; see [`Conversation::refresh_end`]).
    pub ended_at: Option<i64>,
    /// Ignores PATCH/DELETE disconnects; only `POST .../disconnect` ends it.
    pub stuck: bool,
    pub participants: Vec<Participant>,
    /// The divisions it belongs to (`MessageConversation.divisions[]`): set
    /// when it is created, from the spec, its queues' divisions, or Home.
    pub division_ids: Vec<String>,
}

/// What a disconnect request did.
#[derive(Debug, PartialEq, Eq)]
pub enum Disconnect {
    Done,
    AlreadyEnded,
    /// A stuck conversation: the caller answers as if it worked.
    Ignored,
}

impl Conversation {
    /// Genesys has no conversation state: it is ended when every participant is.
    pub fn is_ended(&self) -> bool {
        self.participants.iter().all(Participant::is_ended)
    }

    pub fn refresh_end(&mut self) {
        self.ended_at = if self.is_ended() {
            Some(
                self.participants
                    .iter()
                    .filter_map(|p| p.end_time)
                    .max()
                    .unwrap_or_else(|| self.last_activity_at()),
            )
        } else {
            None
        };
    }

    /// The newest message time of any participant.
    pub fn last_message_at(&self) -> Option<i64> {
        self.participants
            .iter()
            .flat_map(|p| p.messages.iter().map(|m| m.time))
            .max()
    }

    /// The newest thing that happened: a message, or a participant joining,
    /// connecting or ending (admin view and `endTime` fallback only; the API
    /// answers carry the raw times, never this summary).
    pub fn last_activity_at(&self) -> i64 {
        self.participants
            .iter()
            .flat_map(|p| [Some(p.start_time), p.connected_time, p.end_time])
            .flatten()
            .chain(self.last_message_at())
            .chain(Some(self.started_at))
            .max()
            .unwrap_or(self.started_at)
    }

    /// `inactivityTimeout` while open: the explicit one, else (with a queue
    /// inactivity timeout of `queue_timeout_ms` > 0 and a participant on a
    /// queue) the last message (or the start) plus the timeout, since the
    /// queue's timer resets "on each message from either side".
    pub fn inactivity_timeout(&self, queue_timeout_ms: u64) -> Option<i64> {
        if self.is_ended() {
            return None;
        }
        if self.inactivity_timeout.is_some() {
            return self.inactivity_timeout;
        }
        let on_queue = self.participants.iter().any(|p| p.queue_id.is_some());
        (queue_timeout_ms > 0 && on_queue)
            .then(|| self.last_message_at().unwrap_or(self.started_at) + queue_timeout_ms as i64)
    }

    /// A message from the first open participant with this purpose (the
    /// admin API's "customer says something").
    pub fn post_message(&mut self, purpose: &str, at: i64, id: String) -> Result<(), String> {
        if self.is_ended() {
            return Err("the conversation has ended".into());
        }
        let p = self
            .participants
            .iter_mut()
            .find(|p| p.purpose == purpose && !p.is_ended())
            .ok_or_else(|| format!("no open participant with purpose `{purpose}`"))?;
        let status = if purpose == "customer" {
            "received"
        } else {
            "sent"
        };
        p.messages.push(Message {
            id,
            time: at,
            status,
        });
        p.messages.sort_by_key(|m| m.time);
        Ok(())
    }

    /// A blind transfer to a queue at `at` (the admin API's "moved into a
    /// queue"): every open participant on a queue ends with `disconnectType:
    /// "transfer"` and an `acd` participant joins on `queue_id`. What Genesys
    /// adds on a transfer (an `acd` participant, then an agent) follows the
    /// participant purposes of genesys-api.md section 3; the exact sequence is
    /// UNCONFIRMED.
    pub fn transfer(
        &mut self,
        queue_id: &str,
        at: i64,
        ids: (String, String),
    ) -> Result<(), String> {
        if self.is_ended() {
            return Err("the conversation has ended".into());
        }
        for p in self
            .participants
            .iter_mut()
            .filter(|p| p.queue_id.is_some())
        {
            p.disconnect(at, "transfer");
        }
        let (id, communication_id) = ids;
        self.participants.push(Participant {
            id,
            purpose: "acd".into(),
            name: None,
            state: "connected".into(),
            start_time: at,
            connected_time: Some(at),
            end_time: None,
            disconnect_type: None,
            wrapup_required: false,
            wrapup: None,
            wrapup_skipped: false,
            user_id: None,
            queue_id: Some(queue_id.to_string()),
            communication_id,
            messages: vec![],
        });
        Ok(())
    }

    pub fn participant_mut(&mut self, pid: &str) -> Option<&mut Participant> {
        self.participants.iter_mut().find(|p| p.id == pid)
    }

    /// PATCH `{"state":"disconnected"}` and DELETE: every participant not ended
    /// becomes `disconnected` with `endTime` and `disconnectType: "client"`.
    pub fn disconnect_all(&mut self, now: i64) -> Disconnect {
        if self.is_ended() {
            return Disconnect::AlreadyEnded;
        }
        if self.stuck {
            return Disconnect::Ignored;
        }
        for p in &mut self.participants {
            p.disconnect(now, "client");
        }
        self.refresh_end();
        Disconnect::Done
    }

    /// What a disconnect would have produced, for answering a stuck one.
    pub fn disconnected_preview(&self, now: i64) -> Conversation {
        let mut c = self.clone();
        for p in &mut c.participants {
            p.disconnect(now, "client");
        }
        c.refresh_end();
        c
    }

    /// `POST /api/v2/conversations/{id}/disconnect`: full teardown, even when
    /// stuck. Like Genesys, agents pending wrap-up get a system wrap-up code.
    pub fn teardown(&mut self, now: i64) {
        for p in &mut self.participants {
            p.disconnect(now, "system");
            if p.wrapup_required && p.wrapup.is_none() && !p.wrapup_skipped {
                p.wrapup =
                    Some(serde_json::json!({"code": "ININ-WRAP-UP-TIMEOUT", "name": "System"}));
            }
        }
        self.stuck = false;
        self.refresh_end();
    }
}

/// Organisation data, tokens and conversations.
#[derive(Default)]
pub struct Store {
    /// By id, in id order (the Home division is seeded).
    pub divisions: BTreeMap<String, Division>,
    pub roles: HashMap<String, Role>,
    pub clients: HashMap<String, Client>,
    pub users: HashMap<String, User>,
    pub tokens: HashMap<String, Token>,
    /// By id; listed sorted by name.
    pub queues: HashMap<String, Queue>,
    conversations: HashMap<String, Conversation>,
    /// Conversations ordered by start time: analytics walks an interval of
    /// this without sorting.
    by_start: BTreeSet<(i64, String)>,
}

impl Store {
    pub fn conversation(&self, id: &str) -> Option<&Conversation> {
        self.conversations.get(id)
    }

    pub fn conversation_mut(&mut self, id: &str) -> Option<&mut Conversation> {
        self.conversations.get_mut(id)
    }

    /// Only message conversations: the `/conversations/messages` family 404s for voice.
    pub fn message_conversation_mut(&mut self, id: &str) -> Option<&mut Conversation> {
        self.conversations
            .get_mut(id)
            .filter(|c| c.media.is_message())
    }

    /// Inserts or replaces (by id).
    pub fn insert_conversation(&mut self, mut conv: Conversation) {
        conv.refresh_end();
        if let Some(old) = self.conversations.remove(&conv.id) {
            self.by_start.remove(&(old.started_at, old.id));
        }
        self.by_start.insert((conv.started_at, conv.id.clone()));
        self.conversations.insert(conv.id.clone(), conv);
    }

    pub fn conversation_count(&self) -> usize {
        self.conversations.len()
    }

    /// Conversations in start order (ties by id), optionally reversed,
    /// that started in `[from, to)`.
    pub fn conversations_started_in(
        &self,
        from: i64,
        to: i64,
        descending: bool,
    ) -> Box<dyn Iterator<Item = &Conversation> + '_> {
        use std::ops::Bound::{Excluded, Included};
        let range = self.by_start.range((
            Included((from, String::new())),
            Excluded((to, String::new())),
        ));
        let lookup = move |(_, id): &(i64, String)| &self.conversations[id];
        if descending {
            Box::new(range.rev().map(lookup))
        } else {
            Box::new(range.map(lookup))
        }
    }

    pub fn all_conversations(&self) -> impl Iterator<Item = &Conversation> + '_ {
        self.by_start.iter().map(|(_, id)| &self.conversations[id])
    }

    /// Each permission of these grants with the division it is held in
    /// (unknown roles are skipped; a permission held in several divisions
    /// appears once per division).
    pub fn permission_grants(&self, grants: &[Grant]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for g in grants {
            let Some(role) = self.roles.get(&g.role_id) else {
                continue;
            };
            for p in &role.permissions {
                let pair = (p.clone(), g.division_id.clone());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
        out
    }

    /// The divisions of a new conversation when its spec names none: those
    /// of the queues its participants were routed through, else Home.
    pub fn divisions_of_queues(&self, conv: &Conversation) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for q in conv.participants.iter().filter_map(|p| p.queue_id.as_ref()) {
            if let Some(d) = self.queues.get(q).map(|q| &q.division_id) {
                if !out.contains(d) {
                    out.push(d.clone());
                }
            }
        }
        if out.is_empty() {
            out.push(crate::seed::HOME_DIVISION_ID.to_string());
        }
        out
    }

    /// Union of the permissions of these roles (unknown role ids are skipped).
    pub fn permissions_of(&self, role_ids: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in role_ids
            .iter()
            .filter_map(|r| self.roles.get(r))
            .flat_map(|r| r.permissions.iter())
        {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn participant(id: &str, state: &str) -> Participant {
        Participant {
            id: id.into(),
            purpose: "customer".into(),
            name: None,
            state: state.into(),
            start_time: 0,
            connected_time: Some(0),
            end_time: None,
            disconnect_type: None,
            wrapup_required: false,
            wrapup: None,
            wrapup_skipped: false,
            user_id: None,
            queue_id: None,
            communication_id: format!("{id}-comm"),
            messages: vec![],
        }
    }

    fn conv(stuck: bool) -> Conversation {
        Conversation {
            id: "c".into(),
            media: Media::WebMessaging,
            started_at: 0,
            inactivity_timeout: None,
            ended_at: None,
            stuck,
            division_ids: vec![],
            participants: vec![
                participant("p1", "connected"),
                participant("p2", "connected"),
            ],
        }
    }

    #[test]
    fn messages_are_the_newest_activity_and_reset_the_queue_timer() {
        let mut c = conv(false);
        c.participants[0].queue_id = Some("q".into());
        assert_eq!(c.last_message_at(), None);
        assert_eq!(c.last_activity_at(), 0);
        assert_eq!(c.inactivity_timeout(0), None, "off by default");
        assert_eq!(c.inactivity_timeout(1000), Some(1000), "from the start");
        c.participants[1].purpose = "agent".into();
        c.post_message("agent", 500, "m1".into()).unwrap();
        c.post_message("customer", 300, "m0".into()).unwrap();
        assert_eq!(c.last_message_at(), Some(500));
        assert_eq!(c.last_activity_at(), 500);
        assert_eq!(c.inactivity_timeout(1000), Some(1500));
        assert_eq!(c.participants[0].messages[0].status, "received");
        assert_eq!(c.participants[1].messages[0].status, "sent");
        assert!(c.post_message("ivr", 600, "m2".into()).is_err());
        c.inactivity_timeout = Some(42);
        assert_eq!(c.inactivity_timeout(1000), Some(42), "explicit wins");
        c.disconnect_all(700);
        assert_eq!(c.inactivity_timeout(1000), None, "only while open");
        assert!(c.post_message("customer", 800, "m3".into()).is_err());
    }

    #[test]
    fn disconnect_all_state_machine() {
        let mut c = conv(false);
        assert_eq!(c.disconnect_all(100), Disconnect::Done);
        assert!(c.is_ended());
        assert_eq!(c.ended_at, Some(100));
        let p = &c.participants[0];
        assert_eq!(
            (p.state.as_str(), p.end_time, p.disconnect_type.as_deref()),
            ("disconnected", Some(100), Some("client"))
        );
        assert_eq!(c.disconnect_all(200), Disconnect::AlreadyEnded);
        assert_eq!(c.ended_at, Some(100));
    }

    #[test]
    fn stuck_ignores_disconnect_until_teardown() {
        let mut c = conv(true);
        assert_eq!(c.disconnect_all(100), Disconnect::Ignored);
        assert!(!c.is_ended());
        assert!(c.disconnected_preview(100).is_ended());
        c.teardown(150);
        assert!(c.is_ended());
        assert_eq!(c.participants[1].disconnect_type.as_deref(), Some("system"));
    }

    #[test]
    fn index_orders_by_start() {
        let mut s = Store::default();
        for (id, t) in [("b", 5), ("a", 5), ("c", 1), ("d", 9)] {
            let mut c = conv(false);
            c.id = id.into();
            c.started_at = t;
            s.insert_conversation(c);
        }
        let ids: Vec<_> = s
            .conversations_started_in(1, 9, false)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(ids, ["c", "a", "b"]);
        let ids: Vec<_> = s
            .conversations_started_in(0, 100, true)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(ids, ["d", "b", "a", "c"]);
        // Replacing keeps one index entry.
        let mut c = conv(false);
        c.id = "d".into();
        c.started_at = 0;
        s.insert_conversation(c);
        assert_eq!(s.all_conversations().count(), 4);
        assert_eq!(s.all_conversations().next().unwrap().id, "d");
    }
}
