//! Is a conversation idle? Decided from the conversation itself (the re-read
//! of `GET /api/v2/conversations/messages/{id}`), never from analytics:
//! analytics segments follow participant state changes, and a message in an
//! ongoing chat opens no segment, so a chat connected two hours ago with a
//! message a minute ago looks idle there.
//!
//! Evidence, newest wins: every participant's `messages[].messageTime`, and
//! every participant time we can see (`startTime`, `connectedTime`,
//! `endTime`, alerting, hold, park, resume, after-call work). An
//! `inactivityTimeout` still in the future (a queue's inactivity timer, which
//! resets on each message from either side) means active. With no timestamp
//! at all nothing can be confirmed, and nothing is closed.

use crate::genesys::model::MessageConversation;
use crate::time::parse_time;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// Where the last activity time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivitySource {
    /// At least one `messageTime` was present (the newest of them and of the
    /// participant times is used).
    Messages,
    /// No message carried a time: the newest participant time is used
    /// instead (the safest reading left).
    ParticipantTimes,
    /// No readable timestamp at all.
    None,
}

impl ActivitySource {
    pub const ALL: [ActivitySource; 3] = [
        ActivitySource::Messages,
        ActivitySource::ParticipantTimes,
        ActivitySource::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivitySource::Messages => "messages",
            ActivitySource::ParticipantTimes => "participantTimes",
            ActivitySource::None => "none",
        }
    }
}

serialize_as_str!(ActivitySource);

/// What the conversation shows about its last activity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// The newest timestamp, as the server wrote it.
    #[serde(rename = "lastActivityAt", skip_serializing_if = "Option::is_none")]
    pub last_at: Option<String>,
    #[serde(skip)]
    pub last: Option<SystemTime>,
    #[serde(rename = "activitySource")]
    pub source: ActivitySource,
    /// `inactivityTimeout`, when present and readable.
    #[serde(skip)]
    pub inactivity_timeout: Option<SystemTime>,
}

/// The idle guard's verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Idleness {
    /// Idle for at least the threshold: `idle` is how long.
    Idle { idle: Duration },
    /// Something happened less than the threshold ago.
    Active { idle: Duration },
    /// The queue's inactivity timer has not run out yet.
    TimerRunning,
    /// No timestamp at all: cannot be confirmed idle.
    Unknown,
}

/// Reads the evidence. Pure.
pub fn activity(conv: &MessageConversation) -> Activity {
    let mut newest: Option<(SystemTime, &str)> = None;
    let mut saw_message_time = false;
    for p in &conv.participants {
        if let Some((t, s)) = &p.messages.newest {
            saw_message_time = true;
            keep_newer(*t, s, &mut newest);
        }
    }
    for p in &conv.participants {
        for s in p.times().into_iter().flatten() {
            if let Some(t) = parse_time(s) {
                keep_newer(t, s, &mut newest);
            }
        }
    }
    let source = match (saw_message_time, newest.is_some()) {
        (true, _) => ActivitySource::Messages,
        (false, true) => ActivitySource::ParticipantTimes,
        (false, false) => ActivitySource::None,
    };
    Activity {
        last_at: newest.map(|(_, s)| s.to_string()),
        last: newest.map(|(t, _)| t),
        source,
        inactivity_timeout: conv.inactivity_timeout.as_deref().and_then(parse_time),
    }
}

/// Activity newer than what the deciding read showed, among `times` seen
/// after the decision: the newest such, as the server wrote it. Nothing
/// when the read had no time (such a conversation is never closed on an
/// idle guard anyway).
pub fn after_read<'a>(read: &Activity, times: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let last = read.last?;
    let mut newest: Option<(SystemTime, &str)> = None;
    for s in times {
        if let Some(t) = parse_time(s).filter(|t| *t > last) {
            keep_newer(t, s, &mut newest);
        }
    }
    newest.map(|(_, s)| s.to_string())
}

/// Keeps `(t, s)` when `t` is newer than `newest` (the first of equals wins).
fn keep_newer<'a>(t: SystemTime, s: &'a str, newest: &mut Option<(SystemTime, &'a str)>) {
    if newest.is_none_or(|(b, _)| t > b) {
        *newest = Some((t, s));
    }
}

/// Decides whether the conversation has been idle for `threshold` at `now`.
/// Pure: the whole rule, tested without HTTP. A timestamp in the future
/// (clock skew) counts as "just now".
pub fn idleness(a: &Activity, now: SystemTime, threshold: Duration) -> Idleness {
    if a.inactivity_timeout.is_some_and(|t| t > now) {
        return Idleness::TimerRunning;
    }
    let Some(last) = a.last else {
        return Idleness::Unknown;
    };
    let idle = now.duration_since(last).unwrap_or_default();
    if idle >= threshold {
        Idleness::Idle { idle }
    } else {
        Idleness::Active { idle }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: &str = "2026-11-26T12:00:00.000Z";

    fn conv(v: serde_json::Value) -> MessageConversation {
        serde_json::from_value(v).unwrap()
    }

    fn verdict(v: serde_json::Value, threshold_min: u64) -> (Idleness, Activity) {
        let a = activity(&conv(v));
        let now = parse_time(NOW).unwrap();
        (
            idleness(&a, now, Duration::from_secs(threshold_min * 60)),
            a,
        )
    }

    fn mins(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    #[test]
    fn decision_table() {
        // (case, conversation, threshold in minutes, expected verdict, expected source)
        let cases: Vec<(&str, serde_json::Value, u64, Idleness, ActivitySource)> = vec![
            (
                "connected 2 h ago, customer wrote 1 min ago: active",
                json!({"id":"c","participants":[
                    {"id":"p1","purpose":"customer","state":"connected","startTime":"2026-11-26T10:00:00.000Z","connectedTime":"2026-11-26T10:00:00.000Z",
                     "messages":[{"messageTime":"2026-11-26T10:00:05.000Z"},{"messageTime":"2026-11-26T11:59:00.000Z"}]},
                    {"id":"p2","purpose":"agent","state":"connected","startTime":"2026-11-26T10:00:10.000Z","connectedTime":"2026-11-26T10:00:20.000Z",
                     "messages":[{"messageTime":"2026-11-26T11:30:00.000Z"}]}]}),
                30,
                Idleness::Active { idle: mins(1) },
                ActivitySource::Messages,
            ),
            (
                "last message an hour ago: idle",
                json!({"id":"c","participants":[
                    {"id":"p1","purpose":"customer","state":"connected","startTime":"2026-11-26T10:00:00.000Z",
                     "messages":[{"messageTime":"2026-11-26T11:00:00.000Z"}]}]}),
                30,
                Idleness::Idle { idle: mins(60) },
                ActivitySource::Messages,
            ),
            (
                "the agent's message is the newest: it counts as much as the customer's",
                json!({"id":"c","participants":[
                    {"id":"p1","purpose":"customer","startTime":"2026-11-26T10:00:00.000Z","messages":[{"messageTime":"2026-11-26T10:05:00.000Z"}]},
                    {"id":"p2","purpose":"agent","startTime":"2026-11-26T10:00:00.000Z","messages":[{"messageTime":"2026-11-26T11:50:00.000Z"}]}]}),
                30,
                Idleness::Active { idle: mins(10) },
                ActivitySource::Messages,
            ),
            (
                "an agent joined 5 min ago (a state change) after an old message: active",
                json!({"id":"c","participants":[
                    {"id":"p1","purpose":"customer","startTime":"2026-11-26T10:00:00.000Z","messages":[{"messageTime":"2026-11-26T10:05:00.000Z"}]},
                    {"id":"p2","purpose":"agent","startTime":"2026-11-26T11:55:00.000Z","connectedTime":"2026-11-26T11:55:00.000Z"}]}),
                30,
                Idleness::Active { idle: mins(5) },
                ActivitySource::Messages,
            ),
            (
                "no message times: the newest participant time decides",
                json!({"id":"c","participants":[
                    {"id":"p1","purpose":"customer","startTime":"2026-11-26T10:00:00.000Z","connectedTime":"2026-11-26T10:00:01.000Z",
                     "messages":[{"messageId":"m1"}]}]}),
                30,
                Idleness::Idle {
                    idle: mins(120) - Duration::from_secs(1),
                },
                ActivitySource::ParticipantTimes,
            ),
            (
                "no timestamp at all: unknown, never idle",
                json!({"id":"c","participants":[{"id":"p1","purpose":"customer","startTime":"garbage"}]}),
                30,
                Idleness::Unknown,
                ActivitySource::None,
            ),
            (
                "inactivity timer still running: active even with old messages",
                json!({"id":"c","inactivityTimeout":"2026-11-26T12:10:00.000Z","participants":[
                    {"id":"p1","purpose":"customer","startTime":"2026-11-26T08:00:00.000Z","messages":[{"messageTime":"2026-11-26T09:00:00.000Z"}]}]}),
                30,
                Idleness::TimerRunning,
                ActivitySource::Messages,
            ),
            (
                "inactivity timer already run out: the messages decide",
                json!({"id":"c","inactivityTimeout":"2026-11-26T11:00:00.000Z","participants":[
                    {"id":"p1","purpose":"customer","startTime":"2026-11-26T08:00:00.000Z","messages":[{"messageTime":"2026-11-26T09:00:00.000Z"}]}]}),
                30,
                Idleness::Idle { idle: mins(180) },
                ActivitySource::Messages,
            ),
            (
                "a message time in the future (clock skew) counts as now",
                json!({"id":"c","participants":[
                    {"id":"p1","purpose":"customer","startTime":"2026-11-26T08:00:00.000Z","messages":[{"messageTime":"2026-11-26T12:05:00.000Z"}]}]}),
                30,
                Idleness::Active {
                    idle: Duration::ZERO,
                },
                ActivitySource::Messages,
            ),
            (
                "exactly at the threshold: idle",
                json!({"id":"c","participants":[
                    {"id":"p1","purpose":"customer","startTime":"2026-11-26T11:30:00.000Z"}]}),
                30,
                Idleness::Idle { idle: mins(30) },
                ActivitySource::ParticipantTimes,
            ),
            (
                "hold and after-call work are activity too",
                json!({"id":"c","participants":[
                    {"id":"p1","purpose":"customer","startTime":"2026-11-26T08:00:00.000Z","messages":[{"messageTime":"2026-11-26T09:00:00.000Z"}]},
                    {"id":"p2","purpose":"agent","startTime":"2026-11-26T08:00:00.000Z","startHoldTime":"2026-11-26T11:45:00.000Z"}]}),
                30,
                Idleness::Active { idle: mins(15) },
                ActivitySource::Messages,
            ),
        ];
        for (name, c, threshold, want, source) in cases {
            let (got, a) = verdict(c, threshold);
            assert_eq!(got, want, "{name}");
            assert_eq!(a.source, source, "{name}");
        }
    }

    #[test]
    fn last_at_is_the_servers_own_text() {
        let (_, a) = verdict(
            json!({"id":"c","participants":[{"id":"p","startTime":"2026-11-26T10:00:00Z",
                "messages":[{"messageTime":"2026-11-26T11:00:00.123Z"}]}]}),
            30,
        );
        assert_eq!(a.last_at.as_deref(), Some("2026-11-26T11:00:00.123Z"));
    }
}
