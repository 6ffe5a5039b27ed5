//! The Web Messaging Guest API ("Shyrka") frames, as Genesys's official
//! transport SDK writes and reads them (TRANSPORT: `shyrka/send/*.kt`,
//! `shyrka/receive/SessionResponse.kt`, the fixtures in `Response.kt`,
//! `ErrorCode.kt`). Pure: `encode_*` are the only places the guest token is
//! exposed, and `decode` redacts it from every server text it keeps.
//!
//! Client: `{"action", "token", "tracingId", ...}`. Server:
//! `{"type":"response"|"message","class","code","body","tracingId"?}`.

use crate::text::bound_text;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

/// The longest server text kept from a frame (after redaction).
pub const MAX_FRAME_TEXT: usize = 200;

/// `configureSession`, resuming the guest's session. No `journeyContext`:
/// TRANSPORT puts the token in `customer.id`, and we do not copy the secret.
pub fn encode_configure(token: &SecretString, deployment_id: &str, tracing_id: &str) -> String {
    json!({"action": "configureSession", "token": token.expose_secret(),
           "deploymentId": deployment_id, "startNew": false, "tracingId": tracing_id})
    .to_string()
}

/// Presence `Clear` (TRANSPORT `ClearConversationRequest.kt`).
pub fn encode_clear(token: &SecretString, tracing_id: &str) -> String {
    json!({"action": "onMessage", "token": token.expose_secret(), "tracingId": tracing_id,
           "message": {"type": "Event", "events": [{"eventType": "Presence", "presence": {"type": "Clear"}}]}})
    .to_string()
}

/// `closeSession` for every connection (TRANSPORT `CloseSessionRequest.kt`).
pub fn encode_close_session(token: &SecretString, tracing_id: &str) -> String {
    json!({"action": "closeSession", "token": token.expose_secret(),
           "closeAllConnections": true, "tracingId": tracing_id})
    .to_string()
}

/// A server frame, read. Texts are redacted and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// `SessionResponse` (code 200).
    Session {
        connected: bool,
        new_session: bool,
        read_only: bool,
        auto_started: bool,
    },
    SessionCleared,
    /// `ConnectionClosedEvent`; `reason` from `body.reason` (TRANSPORT) or `body.reasonCode` (WMJ).
    ConnectionClosed {
        reason: Option<String>,
    },
    /// Code 4006 or `SessionExpiredEvent`.
    Expired,
    /// 429 / `TooManyRequestsErrorMessage` / 4029.
    RateLimited {
        retry_after_s: Option<u64>,
    },
    /// Any other code than 200: the code and the body's text.
    Error {
        code: u32,
        text: String,
    },
    /// Any other 200 frame (the echo of our Clear, a StructuredMessage...).
    Other,
    /// Not a JSON object.
    Unreadable,
}

/// `text` with every occurrence of the token replaced, then bounded.
pub fn redact(text: &str, token: &SecretString) -> String {
    let secret = token.expose_secret();
    let cleaned = if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, "[redacted]")
    };
    bound_text(&cleaned, MAX_FRAME_TEXT)
}

fn text_of(body: &Value, token: &SecretString) -> String {
    let raw = match body {
        Value::String(s) => s.clone(),
        Value::Object(o) => match o.get("errorMessage").and_then(Value::as_str) {
            Some(m) => m.to_string(),
            None => body.to_string(),
        },
        Value::Null => String::new(),
        other => other.to_string(),
    };
    redact(&raw, token)
}

fn flag(body: &Value, name: &str) -> bool {
    body.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn closed_reason(body: &Value, token: &SecretString) -> Option<String> {
    let v = body.get("reason").or_else(|| body.get("reasonCode"))?;
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => return None,
        other => other.to_string(),
    };
    Some(redact(&s, token))
}

/// Reads one text frame from the server.
pub fn decode(raw: &str, token: &SecretString) -> Inbound {
    let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(raw) else {
        return Inbound::Unreadable;
    };
    let class = frame.get("class").and_then(Value::as_str).unwrap_or("");
    let code = frame.get("code").and_then(Value::as_u64).unwrap_or(200);
    let body = frame.get("body").cloned().unwrap_or(Value::Null);
    match (class, code) {
        ("SessionExpiredEvent", _) | (_, 4006) => Inbound::Expired,
        ("TooManyRequestsErrorMessage", _) | (_, 429) | (_, 4029) => Inbound::RateLimited {
            retry_after_s: body.get("retryAfter").and_then(Value::as_u64),
        },
        ("SessionResponse", 200) => Inbound::Session {
            connected: flag(&body, "connected"),
            new_session: flag(&body, "newSession"),
            read_only: flag(&body, "readOnly"),
            auto_started: flag(&body, "autoStarted"),
        },
        ("SessionClearedEvent", _) => Inbound::SessionCleared,
        ("ConnectionClosedEvent", _) => Inbound::ConnectionClosed {
            reason: closed_reason(&body, token),
        },
        (_, 200) => Inbound::Other,
        (_, code) => Inbound::Error {
            code: u32::try_from(code).unwrap_or(u32::MAX),
            text: text_of(&body, token),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok() -> SecretString {
        SecretString::from("tok-CANARY-1")
    }

    #[test]
    fn encodes_the_transport_shapes() {
        let c: Value = serde_json::from_str(&encode_configure(&tok(), "dep", "t1")).unwrap();
        assert_eq!(
            c,
            json!({"action":"configureSession","token":"tok-CANARY-1","deploymentId":"dep","startNew":false,"tracingId":"t1"})
        );
        let c: Value = serde_json::from_str(&encode_clear(&tok(), "t2")).unwrap();
        assert_eq!(c["message"]["events"][0]["presence"]["type"], "Clear");
        let c: Value = serde_json::from_str(&encode_close_session(&tok(), "t3")).unwrap();
        assert_eq!(c["closeAllConnections"], true);
    }

    #[test]
    fn decodes_the_fixtures() {
        let d = |s: &str| decode(s, &tok());
        assert_eq!(
            d(
                r#"{"type":"response","class":"SessionResponse","code":200,"body":{"connected":true,"newSession":true,"readOnly":false}}"#
            ),
            Inbound::Session {
                connected: true,
                new_session: true,
                read_only: false,
                auto_started: false
            }
        );
        assert_eq!(
            d(r#"{"type":"message","class":"SessionClearedEvent","code":200,"body":{}}"#),
            Inbound::SessionCleared
        );
        assert_eq!(
            d(
                r#"{"type":"message","class":"ConnectionClosedEvent","code":200,"body":{"reasonCode":7}}"#
            ),
            Inbound::ConnectionClosed {
                reason: Some("7".into())
            }
        );
        assert_eq!(
            d(r#"{"type":"response","class":"string","code":4006,"body":"x"}"#),
            Inbound::Expired
        );
        assert_eq!(
            d(
                r#"{"type":"response","class":"TooManyRequestsErrorMessage","code":429,"body":{"retryAfter":3,"errorCode":4029}}"#
            ),
            Inbound::RateLimited {
                retry_after_s: Some(3)
            }
        );
        assert_eq!(
            d(
                r#"{"type":"response","class":"string","code":403,"body":"Presence events Conversation Clear are not supported"}"#
            ),
            Inbound::Error {
                code: 403,
                text: "Presence events Conversation Clear are not supported".into()
            }
        );
        assert_eq!(
            d(r#"{"type":"response","class":"StructuredMessage","code":200,"body":{}}"#),
            Inbound::Other
        );
        assert_eq!(d("not json"), Inbound::Unreadable);
        assert_eq!(d("[1]"), Inbound::Unreadable);
    }

    #[test]
    fn server_text_never_keeps_the_token() {
        let i = decode(
            r#"{"type":"response","class":"string","code":403,"body":"no clear for tok-CANARY-1 sorry"}"#,
            &tok(),
        );
        let Inbound::Error { text, .. } = i else {
            panic!("{i:?}")
        };
        assert_eq!(text, "no clear for [redacted] sorry");
        let long = "x".repeat(5000);
        assert!(redact(&long, &tok()).len() <= MAX_FRAME_TEXT + 3);
    }
}
