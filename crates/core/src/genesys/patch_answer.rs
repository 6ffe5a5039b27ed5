//! The `Conversation` a `PATCH /api/v2/conversations/messages/{id}` answers
//! with, read for two things only: its end time, and the newest activity it
//! shows (`activityAfterRead`).
//!
//! It is read leniently and in one pass: a value of a shape we did not
//! expect is skipped, never a reason to lose the end time, and nothing is
//! kept but the newest readable time. (It was first read into
//! `serde_json::Value` trees and walked: a map per participant,
//! communication and message, allocated and freed on every close: 15% of
//! the samples of a 20 000-close profile, `bench/profile.js`.)

use super::model::NewestMessage;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// The part of the PATCH answer a close reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default, deserialize_with = "participants")]
    participants: Participants,
}

/// What the `participants` array showed.
#[derive(Debug, Clone, Default)]
struct Participants {
    /// Its elements (a fast close reports them as disconnected).
    count: u32,
    /// The newest of `participants[].startTime`, `.connectedTime`,
    /// `.messages[].connectedTime` and `.messages[].messages[].messageTime`
    /// (the `Message` communications' `MessageDetails`). Never an end: our
    /// own disconnect sets those.
    newest: NewestMessage,
}

impl ConversationSummary {
    /// The times in the answer that mean someone did something: the newest
    /// readable one, as the server wrote it (the only one a close compares
    /// with its read).
    pub fn activity_times(&self) -> impl Iterator<Item = &str> {
        let newest = &self.participants.newest.newest;
        newest.as_ref().map(|(_, s)| s.as_str()).into_iter()
    }

    /// How many participants the answer listed.
    pub fn participant_count(&self) -> u32 {
        self.participants.count
    }
}

fn participants<'de, D: Deserializer<'de>>(d: D) -> Result<Participants, D::Error> {
    let mut newest = NewestMessage::default();
    let count = Array {
        of: Level::Participant,
        newest: &mut newest,
    }
    .deserialize(d)?;
    Ok(Participants { count, newest })
}

/// The objects the answer nests: which of their keys hold activity times,
/// and what their `messages` array holds.
#[derive(Clone, Copy)]
enum Level {
    /// `participants[]`: `startTime`, `connectedTime`, `messages[]`.
    Participant,
    /// A participant's `Message` communication: `connectedTime`, `messages[]`.
    Communication,
    /// A communication's `MessageDetails`: `messageTime`.
    Details,
}

impl Level {
    fn times(self) -> &'static [&'static str] {
        match self {
            Level::Participant => &["startTime", "connectedTime"],
            Level::Communication => &["connectedTime"],
            Level::Details => &["messageTime"],
        }
    }

    fn messages(self) -> Option<Level> {
        match self {
            Level::Participant => Some(Level::Communication),
            Level::Communication => Some(Level::Details),
            Level::Details => None,
        }
    }
}

/// Skips every scalar: a value of the wrong shape counts as absent.
macro_rules! skip_scalars {
    ($absent:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($absent)
        }
    };
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// An array of objects at one level; its value is how many elements it had.
struct Array<'n> {
    of: Level,
    newest: &'n mut NewestMessage,
}

impl<'de> DeserializeSeed<'de> for Array<'_> {
    type Value = u32;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Array<'_> {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u32, A::Error> {
        let (level, newest) = (self.of, self.newest);
        let mut count = 0u32;
        while seq
            .next_element_seed(Object {
                level,
                newest: &mut *newest,
            })?
            .is_some()
        {
            count = count.saturating_add(1);
        }
        Ok(count)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<u32, A::Error> {
        skip_map(map).map(|()| 0)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<u32, E> {
        Ok(0)
    }
    skip_scalars!(0);
}

/// One object at `level`.
struct Object<'n> {
    level: Level,
    newest: &'n mut NewestMessage,
}

impl<'de> DeserializeSeed<'de> for Object<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Object<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (level, newest) = (self.level, self.newest);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if level.times().contains(&key.as_ref()) {
                map.next_value_seed(Time {
                    newest: &mut *newest,
                })?;
            } else if let (Some(of), "messages") = (level.messages(), key.as_ref()) {
                map.next_value_seed(Array {
                    of,
                    newest: &mut *newest,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        skip_seq(seq)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    skip_scalars!(());
}

/// A time, kept when it is readable and the newest so far.
struct Time<'n> {
    newest: &'n mut NewestMessage,
}

impl<'de> DeserializeSeed<'de> for Time<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Time<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a time")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.newest.consider(s);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        skip_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        skip_map(map)
    }
    skip_scalars!(());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: serde_json::Value) -> ConversationSummary {
        serde_json::from_str(&v.to_string()).expect("a lenient read never fails on a JSON object")
    }

    fn newest(v: serde_json::Value) -> Option<String> {
        read(v).activity_times().next().map(str::to_string)
    }

    #[test]
    fn the_newest_activity_at_every_level_and_never_an_end() {
        let answer = json!({
            "id": "c", "endTime": "2026-12-07T10:00:09Z",
            "participants": [
                {"startTime": "2026-12-07T10:00:01Z", "endTime": "2026-12-07T10:00:09Z",
                 "messages": [{"connectedTime": "2026-12-07T10:00:02Z", "disconnectedTime": "2026-12-07T10:00:09Z",
                               "messages": [{"messageTime": "2026-12-07T10:00:05Z", "messageId": "m"},
                                            {"messageTime": "2026-12-07T10:00:04Z"}]}]},
                {"connectedTime": "2026-12-07T10:00:03Z"}
            ]
        });
        let s = read(answer);
        assert_eq!(s.end_time.as_deref(), Some("2026-12-07T10:00:09Z"));
        assert_eq!(
            s.activity_times().collect::<Vec<_>>(),
            ["2026-12-07T10:00:05Z"]
        );
        // The same time one level up, or on the participant itself.
        assert_eq!(
            newest(
                json!({"participants": [{"connectedTime": "2026-12-07T11:00:00Z", "messages": []}]})
            )
            .as_deref(),
            Some("2026-12-07T11:00:00Z")
        );
        assert_eq!(
            newest(
                json!({"participants": [{"messages": [{"connectedTime": "2026-12-07T12:00:00Z"}]}]})
            )
            .as_deref(),
            Some("2026-12-07T12:00:00Z")
        );
    }

    #[test]
    fn a_shape_we_did_not_expect_is_skipped_and_the_end_time_kept() {
        let odd = [
            json!({"endTime": "E", "participants": {"not": "an array"}}),
            json!({"endTime": "E", "participants": "text"}),
            json!({"endTime": "E", "participants": null}),
            json!({"endTime": "E", "participants": [1, "x", null, [], {"startTime": 5}]}),
            json!({"endTime": "E", "participants": [{"messages": {"messageTime": "2026-12-07T10:00:00Z"}}]}),
            json!({"endTime": "E", "participants": [{"messages": [7, {"messages": "no", "connectedTime": ["x"]}]}]}),
            json!({"endTime": "E", "participants": [{"startTime": "not a time", "messageTime": "2026-12-07T10:00:00Z"}]}),
            json!({"endTime": "E"}),
        ];
        for v in odd {
            let s = read(v.clone());
            assert_eq!(s.end_time.as_deref(), Some("E"), "{v}");
            assert_eq!(s.activity_times().next(), None, "{v}");
        }
        // A readable time beside the odd ones is still found.
        assert_eq!(
            newest(json!({"participants": [3, {"messages": [{"messages": [null, {"messageTime": "2026-12-07T10:00:00Z"}]}]}]}))
                .as_deref(),
            Some("2026-12-07T10:00:00Z")
        );
    }

    #[test]
    fn escaped_text_is_read_too() {
        let body = r#"{"participants":[{"startTime":"2026-12-07T10:00:0\u0031Z"}]}"#;
        let s: ConversationSummary = serde_json::from_str(body).unwrap();
        assert_eq!(
            s.activity_times().collect::<Vec<_>>(),
            ["2026-12-07T10:00:01Z"]
        );
    }
}
