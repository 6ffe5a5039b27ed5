//! The change `setQueueInactivity` makes, as a JSON patch of the whole
//! queue, and the check of the re-read after the PUT. Pure.
//!
//! PUT replaces the queue (UNCONFIRMED in the reference; the Terraform
//! provider re-reads before each PUT because a field left out is removed),
//! so the body is the queue exactly as read, with only our paths changed.

use crate::genesys::queue::{
    at, ACTION_TYPE, FLOW_ID, TIMEOUT_SECONDS, TOP_SWITCH, WEBMESSAGING_SWITCH,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The timer as the caller wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub enabled: bool,
    pub timeout_seconds: Option<u64>,
    /// `DISCONNECT` or `SEND_TO_ARCHITECT_FLOW`.
    pub action: &'static str,
    pub flow_id: Option<String>,
}

/// One path we change, and its value before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    pub from: Value,
    pub to: Value,
}

/// A path whose re-read value is not the one we PUT.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    pub path: String,
    pub expected: Value,
    pub got: Value,
}

/// Fields Genesys changes by itself: not a mismatch.
const VOLATILE: &[&str] = &[
    "dateModified",
    "modifiedBy",
    "version",
    "memberCount",
    "userMemberCount",
    "joinedMemberCount",
];
/// Mismatches reported at most.
const MAX_MISMATCHES: usize = 50;

/// The values we set, path by path. Switching off turns both switches off
/// and keeps the timeout settings; switching on sets both switches, so both
/// readings of them agree.
fn targets(d: &Desired) -> Vec<(&'static str, Value)> {
    if !d.enabled {
        return vec![
            (WEBMESSAGING_SWITCH, json!(false)),
            (TOP_SWITCH, json!(false)),
        ];
    }
    let mut out = vec![
        (WEBMESSAGING_SWITCH, json!(true)),
        (TOP_SWITCH, json!(true)),
        (ACTION_TYPE, json!(d.action)),
    ];
    if let Some(s) = d.timeout_seconds {
        out.push((TIMEOUT_SECONDS, json!(s)));
    }
    if let Some(f) = &d.flow_id {
        out.push((FLOW_ID, json!({ "id": f })));
    }
    out
}

/// The PUT body (the whole queue, our paths changed) and the changes.
/// No change: the queue already is as wanted (nothing to PUT).
pub fn plan(queue: &Value, d: &Desired) -> (Value, Vec<Change>) {
    let mut body = queue.clone();
    let mut changes = Vec::new();
    for (path, to) in targets(d) {
        let from = at(queue, path).cloned().unwrap_or(Value::Null);
        if from != to {
            set(&mut body, path, to.clone());
            changes.push(Change {
                path: path.to_string(),
                from,
                to,
            });
        }
    }
    (body, changes)
}

/// Sets `path` in `v`, making each missing (or non-object) step an object.
fn set(v: &mut Value, path: &str, to: Value) {
    let mut node = v;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().expect("made an object above");
        if keys.peek().is_none() {
            map.insert(key.to_string(), to);
            return;
        }
        node = map.entry(key.to_string()).or_insert(Value::Null);
    }
}

/// Every leaf of `v` by dotted path (arrays are leaves).
fn leaves<'a>(v: &'a Value, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(child, &path, out);
            }
        }
        _ => out.push((prefix.to_string(), v)),
    }
}

/// Where the re-read differs from the body we PUT (volatile fields aside).
pub fn verify(sent: &Value, reread: &Value) -> Vec<Mismatch> {
    let mut sent_leaves = Vec::new();
    leaves(sent, "", &mut sent_leaves);
    sent_leaves
        .into_iter()
        .filter(|(p, _)| !VOLATILE.contains(&p.split('.').next().unwrap_or("")))
        .filter_map(|(path, expected)| {
            let got = at(reread, &path).cloned().unwrap_or(Value::Null);
            (got != *expected).then(|| Mismatch {
                path,
                expected: expected.clone(),
                got,
            })
        })
        .take(MAX_MISMATCHES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> Value {
        json!({"id": "q", "name": "Billing", "memberCount": 3, "acwSettings": {"wrapupPrompt": "OPTIONAL"},
               "bullseye": {"rings": [{"expansionTimeoutSeconds": 15}]},
               "mediaSettings": {"message": {"enableAutoAnswer": false, "alertingTimeoutSeconds": 30,
                                              "subTypeSettings": {}}}})
    }

    fn on(secs: u64) -> Desired {
        Desired {
            enabled: true,
            timeout_seconds: Some(secs),
            action: "DISCONNECT",
            flow_id: None,
        }
    }

    #[test]
    fn only_our_paths_change() {
        let q = queue();
        let (body, changes) = plan(&q, &on(1800));
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                WEBMESSAGING_SWITCH,
                TOP_SWITCH,
                ACTION_TYPE,
                TIMEOUT_SECONDS
            ]
        );
        // Undo our paths: the rest is the queue as read.
        let mut back = body.clone();
        let m = back
            .pointer_mut("/mediaSettings/message")
            .unwrap()
            .as_object_mut()
            .unwrap();
        m.remove("enableInactivityTimeout");
        m.remove("inactivityTimeoutSettings");
        m["subTypeSettings"] = json!({});
        assert_eq!(back, q);
        // Applied again: nothing to do.
        assert!(plan(&body, &on(1800)).1.is_empty());
        assert_eq!(plan(&body, &on(600)).1.len(), 1);
    }

    #[test]
    fn off_keeps_the_settings_and_a_flow_is_an_object() {
        let (body, _) = plan(&queue(), &on(600));
        let off = Desired {
            enabled: false,
            timeout_seconds: None,
            action: "DISCONNECT",
            flow_id: None,
        };
        let (off_body, changes) = plan(&body, &off);
        assert_eq!(changes.len(), 2);
        assert_eq!(at(&off_body, TIMEOUT_SECONDS), Some(&json!(600)));
        let flow = Desired {
            action: "SEND_TO_ARCHITECT_FLOW",
            flow_id: Some("f1".into()),
            ..on(600)
        };
        let (b, _) = plan(&json!({"name": "X"}), &flow);
        assert_eq!(at(&b, FLOW_ID), Some(&json!({"id": "f1"})));
    }

    #[test]
    fn verify_finds_a_dropped_field_and_ignores_volatile_ones() {
        let (body, _) = plan(&queue(), &on(600));
        let mut reread = body.clone();
        reread["dateModified"] = json!("2026-01-01T00:00:00Z");
        reread["memberCount"] = json!(4);
        assert!(verify(&body, &reread).is_empty());
        reread.as_object_mut().unwrap().remove("acwSettings");
        let m = verify(&body, &reread);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].path, "acwSettings.wrapupPrompt");
        assert_eq!(m[0].got, Value::Null);
    }
}
