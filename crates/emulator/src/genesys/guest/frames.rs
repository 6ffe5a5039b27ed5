//! The server's frames on the Guest API socket. Envelope (WMJ swagger,
//! DOCUMENTED): `{"type":"response"|"message","class","code","body","tracingId"?}`;
//! a response echoes the request's `tracingId`. Bodies: the Messenger
//! transport SDK's fixtures (`Response.kt`), DOCUMENTED unless marked.

use serde_json::{json, Map, Value};

/// The 403 of a Clear on a deployment that disables it (DOCUMENTED: a
/// Genesys maintainer in transport SDK PR #194, and its fixture).
pub const CLEAR_DISABLED: &str = "Presence events Conversation Clear are not supported";
/// 409 on a send in a read-only session (DOCUMENTED).
pub const READ_ONLY: &str = "Session is read-only, no new messages allowed";
/// 4006 and 4007: codes DOCUMENTED, texts UNCONFIRMED.
pub const EXPIRED: &str = "Session has expired.";
pub const NOT_FOUND: &str = "Session not found.";
/// The generic failure (the fixture of a failed `closeSession`).
pub const FAILED: &str = "Request failed.";

fn frame(kind: &str, class: &str, code: u32, body: Value, tracing: Option<&str>) -> String {
    let mut m = Map::new();
    m.insert("type".into(), json!(kind));
    m.insert("class".into(), json!(class));
    m.insert("code".into(), json!(code));
    m.insert("body".into(), body);
    if let Some(t) = tracing {
        m.insert("tracingId".into(), json!(t));
    }
    Value::Object(m).to_string()
}

/// An error answer: `class:"string"`, the text as the body.
pub fn error(code: u32, text: &str, tracing: Option<&str>) -> String {
    frame("response", "string", code, json!(text), tracing)
}

/// An unsolicited event (`SessionClearedEvent`, `ConnectionClosedEvent`) with an empty body.
pub fn event(class: &str, body: Value) -> String {
    frame("message", class, 200, body, None)
}

/// `durationSeconds` and `expirationDate` (epoch seconds) of a session
/// with a duration.
pub struct Expiry {
    pub duration_s: u64,
    pub expires_at_s: i64,
}

/// `SessionResponse` (fields: WMJ swagger).
pub fn session(
    connected: bool,
    new_session: bool,
    read_only: bool,
    expiry: Option<&Expiry>,
    tracing: Option<&str>,
) -> String {
    let mut b = json!({
        "connected": connected,
        "newSession": new_session,
        "readOnly": read_only,
        "clearedExistingSession": false,
        "maxCustomDataBytes": 2048,
        "autoStarted": false,
    });
    if let Some(e) = expiry {
        b["durationSeconds"] = json!(e.duration_s);
        b["expirationDate"] = json!(e.expires_at_s);
    }
    frame("response", "SessionResponse", 200, b, tracing)
}

/// A `StructuredMessage` answer: the echo of a sent message or event.
/// With a session duration, `metadata {durationSeconds, expirationDate}`
/// as strings (the `healthCheckResponseWithSessionDuration` fixture).
pub fn structured(mut body: Value, expiry: Option<&Expiry>, tracing: Option<&str>) -> String {
    body["direction"] = json!("Inbound");
    if let Some(e) = expiry {
        body["metadata"] = json!({
            "durationSeconds": e.duration_s.to_string(),
            "expirationDate": e.expires_at_s.to_string(),
        });
    }
    frame("response", "StructuredMessage", 200, body, tracing)
}

/// The 200 answer to a Clear: an echo of the event (exact body UNCONFIRMED).
pub fn clear_echo(id: &str, tracing: Option<&str>) -> String {
    structured(
        json!({"id": id, "type": "Event", "events": [{"eventType": "Presence", "presence": {"type": "Clear"}}]}),
        None,
        tracing,
    )
}
