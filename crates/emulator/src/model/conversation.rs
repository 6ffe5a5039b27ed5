//! A conversation and its state machine: media, participants, messages,
//! the disconnects and the teardown.

use serde_json::Value;

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
    /// A participant connected since `at`, with nothing else set: no name,
    /// user, queue, wrap-up or messages.
    pub fn new(
        id: String,
        purpose: &str,
        state: &str,
        at: i64,
        communication_id: String,
    ) -> Participant {
        Participant {
            id,
            purpose: purpose.into(),
            name: None,
            state: state.into(),
            start_time: at,
            connected_time: Some(at),
            end_time: None,
            disconnect_type: None,
            wrapup_required: false,
            wrapup: None,
            wrapup_skipped: false,
            user_id: None,
            queue_id: None,
            communication_id,
            messages: vec![],
        }
    }

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
            queue_id: Some(queue_id.to_string()),
            ..Participant::new(id, "acd", "connected", at, communication_id)
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

/// A test conversation: open web messaging since 0, in no division, with
/// one connected participant per purpose (ids `p1`, `p2`, ...).
#[cfg(test)]
pub fn sample(id: &str, purposes: &[&str]) -> Conversation {
    let participants = purposes
        .iter()
        .enumerate()
        .map(|(i, purpose)| {
            let pid = format!("p{}", i + 1);
            let comm = format!("{pid}-comm");
            Participant::new(pid, purpose, "connected", 0, comm)
        })
        .collect();
    Conversation {
        id: id.into(),
        media: Media::WebMessaging,
        started_at: 0,
        inactivity_timeout: None,
        ended_at: None,
        stuck: false,
        participants,
        division_ids: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(stuck: bool) -> Conversation {
        Conversation {
            stuck,
            ..sample("c", &["customer", "customer"])
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
}
