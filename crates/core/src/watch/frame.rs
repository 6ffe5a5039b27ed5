//! What a notification frame says (shared/genesys-notifications.md section
//! 3-4): the envelope `{topicName, version, eventBody, metadata}`, the
//! `channel.metadata` heartbeat and pong, the `v2.system.*` topics, and the
//! queue conversation event, whose body has the participants of a message
//! conversation (the same fields `GET /conversations/messages/{id}` has, so
//! it is read with the same model and the same activity rule). Pure; a
//! frame that is not what we expect is `Other`, never an error.

use crate::genesys::activity::{self};
use crate::genesys::model::MessageConversation;
use serde::Deserialize;
use std::time::UNIX_EPOCH;

/// One conversation's state as an event shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationEvent {
    /// Lower-cased UUID.
    pub id: String,
    /// Every participant ended (Genesys has no conversation state).
    pub ended: bool,
    /// Newest message or participant time, epoch ms.
    pub last_ms: Option<u64>,
    /// Newest `messageTime` alone, epoch ms: what a customer or an agent
    /// said, unlike participant times (our own close sets `endTime`).
    pub last_message_ms: Option<u64>,
    /// A participant's `type` is one of the wanted message types.
    pub wanted: bool,
    /// A participant ended with `disconnectType: inactivity` (a queue's own timer).
    pub ended_by_inactivity: bool,
    /// The queue the body shows (see `MessageConversation::queue_id`), else the topic's.
    pub queue_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Heartbeat,
    Pong,
    /// `v2.system.socket_closing`: the socket closes soon (maintenance).
    SocketClosing,
    /// `v2.system.no_longer_subscribed.*`, `v2.system.token_revoked.*`: the
    /// channel is of no more use.
    ChannelLost(String),
    Conversation(ConversationEvent),
    /// Anything else (another topic, an unreadable body): counted, ignored.
    Other,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    topic_name: String,
    #[serde(default)]
    event_body: Option<serde_json::Value>,
}

/// The queue topic of a queue id (validated before: see `channel`).
pub fn queue_topic(queue_id: &str) -> String {
    format!("v2.routing.queues.{queue_id}.conversations.messages")
}

fn is_queue_topic(topic: &str) -> bool {
    topic
        .strip_prefix("v2.routing.queues.")
        .and_then(|t| t.strip_suffix(".conversations.messages"))
        .is_some_and(|q| !q.is_empty())
}

/// Reads one text frame.
pub fn parse(text: &str, message_types: &[String]) -> Frame {
    let Ok(env) = serde_json::from_str::<Envelope>(text) else {
        return Frame::Other;
    };
    let topic = env.topic_name.as_str();
    if topic == "channel.metadata" {
        let message = env
            .event_body
            .as_ref()
            .and_then(|b| b.get("message"))
            .and_then(|m| m.as_str())
            .unwrap_or("");
        return match message {
            "pong" => Frame::Pong,
            _ => Frame::Heartbeat,
        };
    }
    if topic == "v2.system.socket_closing" {
        return Frame::SocketClosing;
    }
    if topic.starts_with("v2.system.no_longer_subscribed")
        || topic.starts_with("v2.system.token_revoked")
    {
        return Frame::ChannelLost(crate::text::bound_token(topic));
    }
    if !is_queue_topic(topic) {
        return Frame::Other;
    }
    let Some(body) = env.event_body else {
        return Frame::Other;
    };
    let Ok(conv) = serde_json::from_value::<MessageConversation>(body) else {
        return Frame::Other;
    };
    let topic_queue = topic
        .strip_prefix("v2.routing.queues.")
        .and_then(|t| t.strip_suffix(".conversations.messages"))
        .filter(|q| crate::genesys::ids::is_uuid(q));
    conversation_event(&conv, message_types).map_or(Frame::Other, |mut e| {
        if e.queue_id.is_none() {
            e.queue_id = topic_queue.map(str::to_ascii_lowercase);
        }
        Frame::Conversation(e)
    })
}

/// The event's conversation, when its id is a UUID.
pub fn conversation_event(
    conv: &MessageConversation,
    message_types: &[String],
) -> Option<ConversationEvent> {
    if !crate::genesys::ids::is_uuid(&conv.id) {
        return None;
    }
    let a = activity::activity(conv);
    let last_ms = a
        .last
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64);
    let last_message_ms = conv
        .participants
        .iter()
        .filter_map(|p| p.messages.newest.as_ref())
        .filter_map(|(t, _)| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .max();
    Some(ConversationEvent {
        id: conv.id.to_ascii_lowercase(),
        ended: !conv.participants.is_empty() && conv.participants.iter().all(|p| p.is_ended()),
        last_ms,
        last_message_ms,
        wanted: conv.participants.iter().any(|p| {
            p.message_type
                .as_deref()
                .is_some_and(|t| message_types.iter().any(|m| m == t))
        }),
        ended_by_inactivity: conv.ended_by_inactivity(),
        queue_id: conv.queue_id().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

    fn types() -> Vec<String> {
        vec!["webmessaging".into()]
    }

    fn event(participants: &str) -> String {
        format!(
            r#"{{"topicName":"v2.routing.queues.q1.conversations.messages","version":"2",
            "eventBody":{{"id":"{ID}","participants":{participants}}},"metadata":{{"CorrelationId":"x"}}}}"#
        )
    }

    #[test]
    fn frames_are_classified() {
        let cases: Vec<(String, Frame)> = vec![
            (
                r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#.into(),
                Frame::Heartbeat,
            ),
            (
                r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#.into(),
                Frame::Pong,
            ),
            (
                r#"{"topicName":"v2.system.socket_closing","eventBody":{}}"#.into(),
                Frame::SocketClosing,
            ),
            (
                r#"{"topicName":"v2.system.no_longer_subscribed.abc","eventBody":{}}"#.into(),
                Frame::ChannelLost("v2.system.no_longer_subscribed.abc".into()),
            ),
            (r#"{"topicName":"v2.users.u.presence"}"#.into(), Frame::Other),
            ("not json".into(), Frame::Other),
            ("[1,2]".into(), Frame::Other),
            (
                r#"{"topicName":"v2.routing.queues.q1.conversations.messages","eventBody":{"id":"../x","participants":[]}}"#.into(),
                Frame::Other,
            ),
            (
                r#"{"topicName":"v2.routing.queues.q1.conversations.messages","eventBody":"oops"}"#.into(),
                Frame::Other,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(&text, &types()), want, "{text}");
        }
    }

    #[test]
    fn a_conversation_event_gives_its_newest_activity() {
        let f = parse(
            &event(
                r#"[{"id":"p1","state":"connected","type":"webmessaging","startTime":"2026-11-26T00:00:00.000Z",
                "messages":[{"message":{"id":"m1"},"messageTime":"2026-11-26T00:05:00.000Z"}]},
                {"id":"p2","state":"connected","type":"webmessaging","connectedTime":"2026-11-26T00:01:00.000Z"}]"#,
            ),
            &types(),
        );
        let Frame::Conversation(e) = f else {
            panic!("{f:?}")
        };
        assert_eq!(e.id, ID);
        assert!(!e.ended && e.wanted);
        let five = humantime::parse_rfc3339("2026-11-26T00:05:00Z").unwrap();
        let five_ms = Some(five.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64);
        assert_eq!(e.last_ms, five_ms);
        assert_eq!(e.last_message_ms, five_ms);
    }

    #[test]
    fn participant_times_are_not_messages() {
        let Frame::Conversation(e) = parse(
            &event(
                r#"[{"id":"p1","state":"disconnected","type":"webmessaging","endTime":"2026-11-26T00:09:00.000Z",
                "messages":[{"message":{"id":"m1"},"messageTime":"2026-11-26T00:05:00.000Z"}]}]"#,
            ),
            &types(),
        ) else {
            panic!()
        };
        let ms = |s: &str| {
            humantime::parse_rfc3339(s)
                .unwrap()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        };
        assert_eq!(e.last_ms, Some(ms("2026-11-26T00:09:00Z")));
        assert_eq!(e.last_message_ms, Some(ms("2026-11-26T00:05:00Z")));
    }

    #[test]
    fn ended_and_unwanted_types_are_told() {
        let Frame::Conversation(e) = parse(
            &event(
                r#"[{"id":"p1","state":"disconnected","type":"whatsapp"},{"id":"p2","state":"terminated"}]"#,
            ),
            &types(),
        ) else {
            panic!()
        };
        assert!(e.ended && !e.wanted);
        assert_eq!((e.last_ms, e.last_message_ms), (None, None));
        let Frame::Conversation(e) = parse(&event("[]"), &types()) else {
            panic!()
        };
        assert!(!e.ended, "no participants: not known to be ended");
    }
}
