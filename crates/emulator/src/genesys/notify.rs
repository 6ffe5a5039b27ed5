//! The Notifications API's state: channels, their topics, the socket each
//! may have, and the fan-out of conversation events to them
//! (shared/genesys-notifications.md). Kept under the one state lock; the
//! socket tasks (`ws.rs`) only receive what is queued here.
//!
//! Documented: a channel lives 24 h (`channelLifetimeMs`); one socket per
//! channel, a second one disconnects the first; events while no socket is
//! open are not queued; `channel.metadata` heartbeats; `v2.system.*` topics
//! need no subscription; at most 1,000 topics per channel.
//! UNCONFIRMED (chosen here, see the README): the permission a queue topic
//! needs (`queueTopicPermissions`), the answer to an unknown queue's topic,
//! the status of a batch refused without `ignoreErrors` (400), the close
//! code at expiry, the heartbeat interval.

use crate::genesys::render;
use crate::ground::clock::format_iso;
use crate::model::inactivity::Timers;
use crate::model::Conversation;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use tokio::sync::mpsc::UnboundedSender;

/// "Each WebSocket connection is limited to 1,000 topics".
pub const MAX_TOPICS: usize = 1000;
/// "Max length of 200 in topic names".
pub const MAX_TOPIC_LEN: usize = 200;

/// What a socket task is told to do.
#[derive(Debug)]
pub enum Out {
    /// A text frame, sent `delay_ms` after it was queued.
    Text { json: String, delay_ms: u64 },
    /// `v2.system.socket_closing`, then a close after `grace_ms`.
    Closing { json: String, grace_ms: u64 },
    /// A close frame (expiry, replaced by a second socket).
    Close { code: u16, reason: &'static str },
    /// Drop the TCP connection without a close frame (a network failure).
    Drop,
}

pub struct Socket {
    /// Tells the socket task apart from a later one on the same channel.
    pub conn: u64,
    pub tx: UnboundedSender<Out>,
}

pub struct Channel {
    pub id: String,
    /// The OAuth client whose token created it.
    pub client_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub topics: BTreeSet<String>,
    pub socket: Option<Socket>,
    pub events_sent: u64,
    pub events_dropped: u64,
    pub connects: u64,
}

#[derive(Default)]
pub struct Notifications {
    pub channels: HashMap<String, Channel>,
    /// `POST /__emulator/notifications/drop-events`: the next N events are lost.
    pub drop_next: u64,
    next_conn: u64,
}

/// The queue topic of a queue id.
pub fn queue_topic(queue_id: &str) -> String {
    format!("v2.routing.queues.{queue_id}.conversations.messages")
}

/// The queue id of a queue topic, if it is one.
pub fn queue_of_topic(topic: &str) -> Option<&str> {
    topic
        .strip_prefix("v2.routing.queues.")?
        .strip_suffix(".conversations.messages")
        .filter(|q| !q.is_empty() && !q.contains('.'))
}

/// The documented envelope (NET `NotificationData.cs`, B-CLI sample).
pub fn envelope(topic: &str, body: Value) -> String {
    json!({
        "topicName": topic,
        "version": "2",
        "eventBody": body,
        "metadata": { "CorrelationId": uuid::Uuid::new_v4().to_string() },
    })
    .to_string()
}

pub fn heartbeat() -> String {
    json!({"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}})
        .to_string()
}

/// The answer to a client's `{"message":"ping"}` (text `pong`: UNCONFIRMED).
pub fn pong() -> String {
    json!({"topicName": "channel.metadata", "eventBody": {"message": "pong"}}).to_string()
}

pub fn socket_closing(channel_id: &str) -> String {
    envelope(
        "v2.system.socket_closing",
        json!({"channelId": channel_id, "message": "The socket will close in one minute for maintenance."}),
    )
}

impl Notifications {
    pub fn create(
        &mut self,
        id: String,
        client_id: String,
        now: i64,
        lifetime_ms: u64,
    ) -> &Channel {
        let ch = Channel {
            id: id.clone(),
            client_id,
            created_at: now,
            expires_at: now.saturating_add(lifetime_ms as i64),
            topics: BTreeSet::new(),
            socket: None,
            events_sent: 0,
            events_dropped: 0,
            connects: 0,
        };
        self.channels.entry(id).or_insert(ch)
    }

    /// Removes expired channels, closing their sockets.
    pub fn expire(&mut self, now: i64) {
        self.channels.retain(|_, ch| {
            let alive = ch.expires_at > now;
            if !alive {
                if let Some(s) = ch.socket.take() {
                    let _ = s.tx.send(Out::Close {
                        code: 1000,
                        reason: "channel expired",
                    });
                }
            }
            alive
        });
    }

    /// A live channel (expired ones are gone first).
    pub fn live(&mut self, id: &str, now: i64) -> Option<&mut Channel> {
        self.expire(now);
        self.channels.get_mut(id)
    }

    /// Attaches a socket; a socket already there is closed ("a 2nd socket on
    /// the same id disconnects the 1st"). Returns the connection number.
    pub fn attach(&mut self, id: &str, tx: UnboundedSender<Out>, now: i64) -> Option<u64> {
        self.next_conn += 1;
        let conn = self.next_conn;
        let ch = self.live(id, now)?;
        if let Some(old) = ch.socket.replace(Socket { conn, tx }) {
            let _ = old.tx.send(Out::Close {
                code: 1000,
                reason: "another socket connected to this channel",
            });
        }
        ch.connects += 1;
        Some(conn)
    }

    /// Forgets a socket that ended (only if it is still the current one).
    pub fn detach(&mut self, id: &str, conn: u64) {
        if let Some(ch) = self.channels.get_mut(id) {
            if ch.socket.as_ref().is_some_and(|s| s.conn == conn) {
                ch.socket = None;
            }
        }
    }

    /// Sends to the sockets of the channels selected by `which` (all when None).
    pub fn each_socket(&mut self, which: Option<&str>, mut f: impl FnMut(&Channel) -> Out) -> u32 {
        let mut n = 0;
        for ch in self.channels.values_mut() {
            if which.is_some_and(|w| w != ch.id) {
                continue;
            }
            if let Some(s) = &ch.socket {
                let _ = s.tx.send(f(ch));
                n += 1;
            }
        }
        n
    }

    /// Publishes a change of a message conversation to every channel
    /// subscribed to one of its queues (`v2.routing.queues.{id}.conversations.messages`).
    /// A conversation on no queue (a bot flow) is published nowhere.
    pub fn publish(&mut self, conv: &Conversation, timers: &Timers, delay_ms: u64, now: i64) {
        if !conv.media.is_message() {
            return;
        }
        let queues: BTreeSet<&str> = conv
            .participants
            .iter()
            .filter_map(|p| p.queue_id.as_deref())
            .collect();
        if queues.is_empty() {
            return;
        }
        self.expire(now);
        let mut body: Option<Value> = None;
        for q in queues {
            let topic = queue_topic(q);
            for ch in self.channels.values_mut() {
                if !ch.topics.contains(&topic) {
                    continue;
                }
                // Not queued while no socket is open (B-ES, B-EB).
                let Some(s) = &ch.socket else { continue };
                if self.drop_next > 0 {
                    self.drop_next -= 1;
                    ch.events_dropped += 1;
                    continue;
                }
                let b = body.get_or_insert_with(|| render::queue_message_event(conv, timers));
                let _ = s.tx.send(Out::Text {
                    json: envelope(&topic, b.clone()),
                    delay_ms,
                });
                ch.events_sent += 1;
            }
        }
    }

    pub fn to_json(&self) -> Value {
        let mut list: Vec<&Channel> = self.channels.values().collect();
        list.sort_by_key(|c| (c.created_at, c.id.clone()));
        json!({
            "channels": list.iter().map(|c| json!({
                "id": c.id,
                "clientId": c.client_id,
                "createdAt": format_iso(c.created_at),
                "expires": format_iso(c.expires_at),
                "topics": c.topics,
                "connected": c.socket.is_some(),
                "connects": c.connects,
                "eventsSent": c.events_sent,
                "eventsDropped": c.events_dropped,
            })).collect::<Vec<_>>(),
            "dropNext": self.drop_next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conversation::sample;
    use tokio::sync::mpsc::unbounded_channel;

    fn conv(queue: Option<&str>) -> Conversation {
        let mut c = sample("c1", &["agent"]);
        c.participants[0].queue_id = queue.map(Into::into);
        c
    }

    #[test]
    fn topics_parse() {
        assert_eq!(queue_of_topic(&queue_topic("q1")), Some("q1"));
        assert_eq!(
            queue_of_topic("v2.routing.queues..conversations.messages"),
            None
        );
        assert_eq!(queue_of_topic("v2.users.u.conversations.messages"), None);
    }

    #[test]
    fn publish_reaches_subscribed_sockets_only_and_drops_on_request() {
        let mut n = Notifications::default();
        n.create("a".into(), "c".into(), 0, 1000);
        n.create("b".into(), "c".into(), 0, 1000);
        n.channels
            .get_mut("a")
            .unwrap()
            .topics
            .insert(queue_topic("q1"));
        n.channels
            .get_mut("b")
            .unwrap()
            .topics
            .insert(queue_topic("q2"));
        let (ta, mut ra) = unbounded_channel();
        let (tb, mut rb) = unbounded_channel();
        n.attach("a", ta, 0).unwrap();
        n.attach("b", tb, 0).unwrap();
        n.publish(&conv(Some("q1")), &Timers::none(), 0, 1);
        assert!(matches!(ra.try_recv(), Ok(Out::Text { .. })));
        assert!(rb.try_recv().is_err());
        n.publish(&conv(None), &Timers::none(), 0, 1);
        assert!(
            ra.try_recv().is_err(),
            "a bot-flow conversation is on no topic"
        );
        n.drop_next = 1;
        n.publish(&conv(Some("q1")), &Timers::none(), 0, 1);
        assert!(ra.try_recv().is_err());
        assert_eq!(n.channels["a"].events_dropped, 1);
        // Expiry closes the socket and removes the channel.
        n.publish(&conv(Some("q1")), &Timers::none(), 0, 1000);
        assert!(matches!(ra.try_recv(), Ok(Out::Close { .. })));
        assert!(n.channels.is_empty());
    }

    #[test]
    fn a_second_socket_replaces_the_first() {
        let mut n = Notifications::default();
        n.create("a".into(), "c".into(), 0, 1000);
        let (t1, mut r1) = unbounded_channel();
        let (t2, _r2) = unbounded_channel();
        let c1 = n.attach("a", t1, 0).unwrap();
        n.attach("a", t2, 0).unwrap();
        assert!(matches!(r1.try_recv(), Ok(Out::Close { .. })));
        n.detach("a", c1);
        assert!(
            n.channels["a"].socket.is_some(),
            "the old socket's end leaves the new one"
        );
        assert!(n.attach("zz", unbounded_channel().0, 0).is_none());
    }
}
