//! A routing queue, kept as its whole JSON object (so a PUT that drops a
//! field shows), and what its message media settings say about the
//! inactivity timer.
//!
//! Field names: the SDK models `MessageMediaSettings`,
//! `InactivityTimeoutSettings` and `MessageSubtypeSettings` (DOCUMENTED).
//! Which of the two switches makes the timer run is UNCONFIRMED: [`Switch`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A routing queue (`GET /api/v2/routing/queues[/{id}]`).
#[derive(Clone, Debug)]
pub struct Queue {
    pub id: String,
    pub name: String,
    /// The division the queue is in (Home unless created in another).
    pub division_id: String,
    /// Every other field of the `Queue` object, as stored: the seeded
    /// extras, `mediaSettings`, and whatever a PUT sent. Never holds `id`,
    /// `name`, `division` or `selfUri` (those are rendered from the above).
    pub body: Map<String, Value>,
    /// How many PUTs it took, and the last one's body as received.
    pub puts: u64,
    pub last_put: Option<Value>,
}

/// Fields rendered from the queue's own columns, never stored in `body`.
pub const RENDERED: [&str; 4] = ["id", "name", "division", "selfUri"];

/// Which switch makes the web messaging timer run (UNCONFIRMED).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    /// `subTypeSettings.webmessaging.enableInactivityTimeout` (the
    /// Terraform provider: the top-level one "is essentially a no-op").
    Subtype,
    /// Either the top-level or the webmessaging switch.
    Either,
}

/// What happens at the timeout (`actionType`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Disconnect,
    /// `SEND_TO_ARCHITECT_FLOW` with `flowId {id, name?}`.
    Flow {
        id: String,
        name: Option<String>,
    },
}

/// A live timer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    pub timeout_ms: i64,
    pub action: Action,
}

pub const ACTIONS: [&str; 2] = ["DISCONNECT", "SEND_TO_ARCHITECT_FLOW"];

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

impl Queue {
    pub fn new(id: String, name: String, division_id: String, body: Map<String, Value>) -> Queue {
        Queue {
            id,
            name,
            division_id,
            body,
            puts: 0,
            last_put: None,
        }
    }

    /// `mediaSettings.message`, if any.
    fn message_settings(&self) -> Option<&Value> {
        self.body.get("mediaSettings")?.get("message")
    }

    /// The web messaging timer, when it runs under `switch`.
    pub fn timer(&self, switch: Switch) -> Option<Timer> {
        let m = self.message_settings()?;
        let on = |path: &[&str]| at(m, path).and_then(Value::as_bool) == Some(true);
        let top = on(&["enableInactivityTimeout"]);
        let sub = on(&["subTypeSettings", "webmessaging", "enableInactivityTimeout"]);
        let live = match switch {
            Switch::Subtype => sub,
            Switch::Either => top || sub,
        };
        let settings = m.get("inactivityTimeoutSettings")?;
        let secs = settings
            .get("timeoutSeconds")?
            .as_i64()
            .filter(|s| *s > 0)?;
        let action = match settings.get("actionType").and_then(Value::as_str) {
            Some("SEND_TO_ARCHITECT_FLOW") => {
                let flow = settings.get("flowId");
                Action::Flow {
                    id: flow
                        .and_then(|f| f.get("id"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    name: flow
                        .and_then(|f| f.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                }
            }
            _ => Action::Disconnect,
        };
        live.then_some(Timer {
            timeout_ms: secs.saturating_mul(1000),
            action,
        })
    }
}

/// Why a queue object cannot be stored (the 400s of a PUT): `name`
/// required (DOCUMENTED, `QueueRequest`), `actionType` in its enum
/// (DOCUMENTED), `timeoutSeconds` a whole number from 1 (range UNCONFIRMED).
pub fn check_body(body: &Map<String, Value>) -> Result<(), String> {
    match body.get("name") {
        Some(Value::String(n)) if !n.trim().is_empty() => {}
        _ => return Err("The queue name is required.".into()),
    }
    let settings = body
        .get("mediaSettings")
        .and_then(|m| m.get("message"))
        .and_then(|m| m.get("inactivityTimeoutSettings"));
    let Some(settings) = settings else {
        return Ok(());
    };
    if let Some(a) = settings.get("actionType") {
        if !a.as_str().is_some_and(|a| ACTIONS.contains(&a)) {
            return Err(format!(
                "Value [{}] is not valid for field type [actionType]. Allowable values are: [{}]",
                a.as_str().map_or_else(|| a.to_string(), str::to_owned),
                ACTIONS.join(", ")
            ));
        }
    }
    if let Some(t) = settings.get("timeoutSeconds") {
        if t.as_i64().is_none_or(|t| t < 1) {
            return Err(format!(
                "Value [{t}] is not valid for field [timeoutSeconds]: a whole number of seconds from 1."
            ));
        }
    }
    Ok(())
}

/// Removes a dotted path (`mediaSettings.message.serviceLevel`) from an
/// object: the "a PUT drops a field" fault.
pub fn drop_path(body: &mut Map<String, Value>, path: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut cur = body;
    for p in parts {
        match cur.get_mut(p) {
            Some(Value::Object(o)) => cur = o,
            _ => return,
        }
    }
    cur.remove(last);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn queue(message: Value) -> Queue {
        let body = json!({ "mediaSettings": { "message": message } });
        Queue::new(
            "q".into(),
            "Q".into(),
            "d".into(),
            body.as_object().unwrap().clone(),
        )
    }

    #[test]
    fn the_two_readings_of_the_switches() {
        let settings = json!({"timeoutSeconds": 60, "actionType": "DISCONNECT"});
        let cases = [
            (json!(true), json!(true), true, true),
            (json!(true), Value::Null, false, true),
            (json!(false), json!(true), true, true),
            (Value::Null, Value::Null, false, false),
        ];
        for (top, sub, subtype, either) in cases {
            let mut m = json!({ "inactivityTimeoutSettings": settings });
            if !top.is_null() {
                m["enableInactivityTimeout"] = top.clone();
            }
            if !sub.is_null() {
                m["subTypeSettings"] = json!({"webmessaging": {"enableInactivityTimeout": sub}});
            }
            let q = queue(m);
            assert_eq!(q.timer(Switch::Subtype).is_some(), subtype, "{top} {sub}");
            assert_eq!(q.timer(Switch::Either).is_some(), either, "{top} {sub}");
        }
        let no_timeout = queue(json!({"enableInactivityTimeout": true}));
        assert_eq!(no_timeout.timer(Switch::Either), None);
    }

    #[test]
    fn flow_action_and_body_checks() {
        let q = queue(json!({
            "subTypeSettings": {"webmessaging": {"enableInactivityTimeout": true}},
            "inactivityTimeoutSettings": {"timeoutSeconds": 2, "actionType": "SEND_TO_ARCHITECT_FLOW",
                "flowId": {"id": "f1", "name": "Escalate"}},
        }));
        let t = q.timer(Switch::Subtype).unwrap();
        assert_eq!(t.timeout_ms, 2000);
        assert_eq!(
            t.action,
            Action::Flow {
                id: "f1".into(),
                name: Some("Escalate".into())
            }
        );
        let mut body = q.body.clone();
        assert!(check_body(&body).is_err(), "no name");
        body.insert("name".into(), json!("Q"));
        assert!(check_body(&body).is_ok());
        body["mediaSettings"]["message"]["inactivityTimeoutSettings"]["actionType"] = json!("X");
        assert!(check_body(&body).is_err());
        body["mediaSettings"]["message"]["inactivityTimeoutSettings"]["actionType"] =
            json!("DISCONNECT");
        body["mediaSettings"]["message"]["inactivityTimeoutSettings"]["timeoutSeconds"] = json!(0);
        assert!(check_body(&body).is_err());
        drop_path(&mut body, "mediaSettings.message.inactivityTimeoutSettings");
        assert!(check_body(&body).is_ok());
        assert!(body["mediaSettings"]["message"]
            .get("inactivityTimeoutSettings")
            .is_none());
    }
}
