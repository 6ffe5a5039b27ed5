//! A queue's message media settings, and our reading of its web messaging
//! inactivity timer (shared/genesys-native-and-guest.md section 1). Pure:
//! read from the queue's raw JSON, whether it came from the listing or from
//! `GET /api/v2/routing/queues/{id}`.
//!
//! Which of the two switches counts is UNCONFIRMED: the SDK text says the
//! top-level `enableInactivityTimeout` is "enabled for all subtypes", the
//! Genesys-maintained Terraform provider calls it "essentially a no-op" and
//! drives the timer from `subTypeSettings.webmessaging`. Both readings are
//! computed; `live` says whether they agree.

use crate::text::{bound_text, bound_token, MAX_TEXT};
use serde::Serialize;
use serde_json::Value;

/// The top-level switch, under `mediaSettings.message`.
pub const TOP_SWITCH: &str = "mediaSettings.message.enableInactivityTimeout";
/// The web messaging switch (the one the Terraform provider says drives the timer).
pub const WEBMESSAGING_SWITCH: &str =
    "mediaSettings.message.subTypeSettings.webmessaging.enableInactivityTimeout";
/// The timeout, in seconds.
pub const TIMEOUT_SECONDS: &str = "mediaSettings.message.inactivityTimeoutSettings.timeoutSeconds";
/// `DISCONNECT` or `SEND_TO_ARCHITECT_FLOW`.
pub const ACTION_TYPE: &str = "mediaSettings.message.inactivityTimeoutSettings.actionType";
/// `{id, name?}`, with `SEND_TO_ARCHITECT_FLOW`.
pub const FLOW_ID: &str = "mediaSettings.message.inactivityTimeoutSettings.flowId";

/// Is the timer live? `unclear`: the two readings of the switches differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerLive {
    On,
    Off,
    Unclear,
}

impl TimerLive {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerLive::On => "on",
            TimerLive::Off => "off",
            TimerLive::Unclear => "unclear",
        }
    }
}

/// Where a queue's media settings were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsSource {
    /// `GET /api/v2/routing/queues` carried them.
    Listing,
    /// The per-queue `GET /api/v2/routing/queues/{id}` (the listing did not).
    Queue,
    /// Neither carried `mediaSettings`.
    None,
}

impl SettingsSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SettingsSource::Listing => "listing",
            SettingsSource::Queue => "queue",
            SettingsSource::None => "none",
        }
    }
}

serialize_as_str!(TimerLive, SettingsSource);

/// Live under each reading of the switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Readings {
    /// The webmessaging switch rules (the Terraform provider's reading).
    pub subtype: bool,
    /// Either switch is enough (the SDK text's reading).
    pub either: bool,
}

/// An Architect flow: `flowId` is a `DomainEntityRef`, not a bare string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowRef {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One queue's web messaging inactivity timer, as read from its settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueTimer {
    pub queue_id: String,
    pub queue_name: String,
    /// `mediaSettings.message.enableInactivityTimeout` (null: absent).
    pub top_level: Option<bool>,
    /// `mediaSettings.message.subTypeSettings.webmessaging.enableInactivityTimeout` (null: absent).
    pub webmessaging: Option<bool>,
    pub readings: Readings,
    /// `on`: both readings say live; `off`: neither; `unclear`: they differ.
    pub live: TimerLive,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// `DISCONNECT` or `SEND_TO_ARCHITECT_FLOW` (as Genesys wrote it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The flow of `SEND_TO_ARCHITECT_FLOW`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowRef>,
    pub source: SettingsSource,
}

impl QueueTimer {
    /// The timer may end conversations (`on`, or `unclear`).
    pub fn may_run(&self) -> bool {
        self.live != TimerLive::Off
    }
}

/// Who ended a conversation on a queue with Genesys's own timer (see
/// `native::attribute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeTimer {
    EndedByGenesys,
    EndedByUsFirst,
    MissedByTimer,
}

impl NativeTimer {
    pub fn as_str(self) -> &'static str {
        match self {
            NativeTimer::EndedByGenesys => "endedByGenesys",
            NativeTimer::EndedByUsFirst => "endedByUsFirst",
            NativeTimer::MissedByTimer => "missedByTimer",
        }
    }
}

serialize_as_str!(NativeTimer);

/// The fields a result gains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribution {
    pub native_timer: NativeTimer,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_timeout_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer_live: Option<TimerLive>,
}

/// The value at a dotted `path` of `v`, if every step is an object key.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |node, key| node.get(key))
}

/// The timer of a queue from its raw JSON (`queue`: the whole `Queue`).
/// `source` is where it came from; a queue without `mediaSettings` is read
/// with source `none`.
pub fn timer_of(queue: &Value, source: SettingsSource) -> QueueTimer {
    let text = |p: &str| at(queue, p).and_then(Value::as_str);
    let has_settings = queue.get("mediaSettings").is_some_and(Value::is_object);
    let top_level = at(queue, TOP_SWITCH).and_then(Value::as_bool);
    let webmessaging = at(queue, WEBMESSAGING_SWITCH).and_then(Value::as_bool);
    let timeout_seconds = at(queue, TIMEOUT_SECONDS)
        .and_then(Value::as_f64)
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| s.min(u32::MAX as f64) as u64);
    let timed = timeout_seconds.is_some();
    let readings = Readings {
        subtype: webmessaging == Some(true) && timed,
        either: (top_level == Some(true) || webmessaging == Some(true)) && timed,
    };
    let live = match (readings.subtype, readings.either) {
        (true, true) => TimerLive::On,
        (false, false) => TimerLive::Off,
        _ => TimerLive::Unclear,
    };
    let action = text(ACTION_TYPE).map(bound_token);
    let flow = at(queue, FLOW_ID)
        .and_then(flow_ref)
        .filter(|_| action.as_deref() == Some("SEND_TO_ARCHITECT_FLOW"));
    QueueTimer {
        queue_id: text("id").map(bound_token).unwrap_or_default(),
        queue_name: text("name")
            .map(|n| bound_text(n, MAX_TEXT))
            .unwrap_or_default(),
        top_level,
        webmessaging,
        readings,
        live,
        timeout_seconds,
        action,
        flow,
        source: if has_settings {
            source
        } else {
            SettingsSource::None
        },
    }
}

/// `{id, name?}`, or (leniently) a bare id string.
fn flow_ref(v: &Value) -> Option<FlowRef> {
    let (id, name) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Object(o) => (
            o.get("id")?.as_str()?,
            o.get("name").and_then(Value::as_str),
        ),
        _ => return None,
    };
    Some(FlowRef {
        id: bound_token(id),
        name: name.map(|n| bound_text(n, MAX_TEXT)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn queue(top: Value, sub: Value, settings: Value) -> Value {
        let mut message = json!({"enableAutoAnswer": false, "inactivityTimeoutSettings": settings});
        if !top.is_null() {
            message["enableInactivityTimeout"] = top;
        }
        if !sub.is_null() {
            message["subTypeSettings"] = json!({"webmessaging": {"enableInactivityTimeout": sub}});
        }
        json!({"id": "q1", "name": "Support", "mediaSettings": {"message": message}})
    }

    #[test]
    fn both_readings_of_the_switches() {
        let t = json!({"timeoutSeconds": 1800, "actionType": "DISCONNECT"});
        let n = Value::Null;
        // (top, sub, settings) -> (subtype, either, live)
        let table = [
            (
                json!(true),
                json!(true),
                t.clone(),
                (true, true, TimerLive::On),
            ),
            (
                json!(true),
                n.clone(),
                t.clone(),
                (false, true, TimerLive::Unclear),
            ),
            (
                n.clone(),
                json!(true),
                t.clone(),
                (true, true, TimerLive::On),
            ),
            (
                json!(false),
                json!(false),
                t.clone(),
                (false, false, TimerLive::Off),
            ),
            (
                json!(true),
                json!(true),
                json!({}),
                (false, false, TimerLive::Off),
            ),
            (
                json!(true),
                json!(false),
                t.clone(),
                (false, true, TimerLive::Unclear),
            ),
            (
                n.clone(),
                n.clone(),
                t.clone(),
                (false, false, TimerLive::Off),
            ),
        ];
        for (top, sub, settings, (subtype, either, live)) in table {
            let q = queue(top.clone(), sub.clone(), settings.clone());
            let got = timer_of(&q, SettingsSource::Listing);
            assert_eq!(
                (got.readings.subtype, got.readings.either, got.live),
                (subtype, either, live),
                "{top} {sub} {settings}"
            );
            assert_eq!(got.source, SettingsSource::Listing);
        }
    }

    #[test]
    fn timeout_action_and_flow() {
        let q = queue(
            json!(true),
            json!(true),
            json!({"timeoutSeconds": 600, "actionType": "SEND_TO_ARCHITECT_FLOW",
                   "flowId": {"id": "f1", "name": "Escalate"}}),
        );
        let t = timer_of(&q, SettingsSource::Queue);
        assert_eq!(t.timeout_seconds, Some(600));
        assert_eq!(t.action.as_deref(), Some("SEND_TO_ARCHITECT_FLOW"));
        assert_eq!(
            t.flow,
            Some(FlowRef {
                id: "f1".into(),
                name: Some("Escalate".into())
            })
        );
        assert_eq!(
            (t.queue_id.as_str(), t.queue_name.as_str()),
            ("q1", "Support")
        );
        // A flow with DISCONNECT is not shown.
        let q = queue(
            json!(true),
            json!(true),
            json!({"timeoutSeconds": 600, "actionType": "DISCONNECT", "flowId": {"id": "f1"}}),
        );
        assert_eq!(timer_of(&q, SettingsSource::Listing).flow, None);
    }

    #[test]
    fn no_media_settings_is_source_none() {
        let t = timer_of(&json!({"id": "q", "name": "B"}), SettingsSource::Listing);
        assert_eq!(t.source, SettingsSource::None);
        assert_eq!(t.live, TimerLive::Off);
        assert_eq!((t.top_level, t.webmessaging), (None, None));
        // Hostile values are read as absent.
        let q = json!({"mediaSettings": {"message": {"enableInactivityTimeout": "yes",
            "inactivityTimeoutSettings": {"timeoutSeconds": -5}}}});
        let t = timer_of(&q, SettingsSource::Listing);
        assert_eq!((t.top_level, t.timeout_seconds), (None, None));
    }
}
