//! Ending a web messaging conversation from the guest's side
//! (`endGuestConversation`): with the guest's session token, over the Web
//! Messaging Guest API socket, the way the Messenger's own "clear
//! conversation" does it (Presence `Clear`). No OAuth client, no permission;
//! the deployment must allow clearing.
//!
//! The parts (imports go down):
//! - this file: the options (validated once) and the result;
//! - `url`: where the socket is (a region, or `guestUrl`), pure;
//! - `machine`: what to send and what each answer means, a pure state
//!   machine with table tests; it never holds the token;
//! - `shell`: the I/O around it (the socket, the deadline, the signal).
//!
//! The guest token is a `SecretString`: it is exposed only in
//! `genesys::guest_frames::encode_*`, never in a URL, an error, an event or
//! a `Debug`, and server text that echoes it is redacted.

pub mod machine;
pub mod shell;
pub mod url;

use crate::error::Error;
use crate::observe::events::EventSink;
use crate::observe::operation::observed;
use crate::options::{millis, Validated};
use crate::CancellationToken;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The operation's name in `operationStart`/`operationEnd` events.
pub const OPERATION: &str = "endGuestConversation";

/// The longest guest token (Guest FAQ: any string up to 2,048 characters).
pub const MAX_TOKEN_CHARS: usize = 2048;

/// The options of `endGuestConversation` (`EndGuestOptions`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndGuestOptions {
    /// The Messenger deployment the guest's session belongs to.
    pub deployment_id: String,
    /// The guest's session token (1 to 2048 characters). A secret: never echoed.
    pub token: SecretString,
    /// A region name, domain or API host: the socket is `wss://webmessaging.{domain}/v1`. Exactly one of `region` and `guestUrl`.
    #[serde(default)]
    pub region: Option<String>,
    /// The socket URL itself: wss://, or ws:// to loopback only (an emulator). No path means `/v1`.
    #[serde(default)]
    pub guest_url: Option<String>,
    /// Sent as the `Origin` header (a deployment that allows only some domains).
    #[serde(default)]
    pub origin: Option<String>,
    /// The whole call, in ms, 1000 to 120000. Default 15000.
    #[serde(
        rename = "timeoutMs",
        default = "default_timeout",
        deserialize_with = "millis::<_, 1000, 120_000>"
    )]
    pub timeout: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_secs(15)
}

impl Validated for EndGuestOptions {
    fn validated(self) -> Result<Self, Error> {
        let id = &self.deployment_id;
        if id.is_empty()
            || id.len() > 128
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::invalid_argument(format!(
                "deploymentId {} must be a Messenger deployment id (letters, digits, - and _, at most 128).",
                crate::genesys::ids::describe(id)
            )));
        }
        let token = self.token.expose_secret();
        let chars = token.chars().count();
        if chars == 0 || chars > MAX_TOKEN_CHARS || token.chars().any(char::is_control) {
            return Err(Error::invalid_argument(format!(
                "token must be the guest's session token: 1 to {MAX_TOKEN_CHARS} characters without control characters (got {chars} characters)."
            )));
        }
        if self.region.is_some() == self.guest_url.is_some() {
            return Err(Error::invalid_argument(
                "Pass exactly one of region (Genesys Cloud) and guestUrl (the socket URL, e.g. an emulator's ws://127.0.0.1:PORT/v1).",
            ));
        }
        if let Some(origin) = &self.origin {
            if origin.is_empty() || !origin.bytes().all(|b| (0x21..0x7f).contains(&b)) {
                return Err(Error::invalid_argument(
                    "origin must be printable ASCII without spaces, e.g. https://shop.example.com.",
                ));
            }
        }
        // The URL rules (wss, loopback) are checked here too: one refusal, before any socket.
        self.socket_url()?;
        Ok(self)
    }
}

impl EndGuestOptions {
    /// The socket URL (the query carries the deployment id, never the token).
    pub fn socket_url(&self) -> Result<::url::Url, Error> {
        match (&self.region, &self.guest_url) {
            (_, Some(u)) => url::for_guest_url(u, &self.deployment_id),
            (Some(r), None) => url::for_region(r, &self.deployment_id),
            (None, None) => Err(Error::invalid_argument("region or guestUrl is required.")),
        }
    }
}

/// How the call ended (`GuestEndResult.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestOutcome {
    /// Cleared: the server sent `SessionClearedEvent`.
    Closed,
    /// The session is read-only (its conversation already ended): nothing sent.
    AlreadyClosed,
    /// The server did not know the token (a new session, closed again; or 4007).
    NotFound,
    /// The session expired (4006).
    Expired,
}

impl GuestOutcome {
    pub const ALL: [GuestOutcome; 4] = [
        GuestOutcome::Closed,
        GuestOutcome::AlreadyClosed,
        GuestOutcome::NotFound,
        GuestOutcome::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GuestOutcome::Closed => "closed",
            GuestOutcome::AlreadyClosed => "alreadyClosed",
            GuestOutcome::NotFound => "notFound",
            GuestOutcome::Expired => "expired",
        }
    }
}

serialize_as_str!(GuestOutcome);

/// What `endGuestConversation` resolves with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestEndResult {
    pub outcome: GuestOutcome,
    pub deployment_id: String,
    /// The server answered `newSession: true`: it did not know the token.
    pub new_session: bool,
    /// The server answered `readOnly: true`.
    pub read_only: bool,
    /// After a new session: `closeSession` answered `connected: false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_closed: Option<bool>,
    /// A new session the server said it `autoStarted` (meaning UNCONFIRMED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_started: Option<bool>,
    /// `ConnectionClosedEvent` was seen after `SessionClearedEvent`.
    pub connection_closed_event: bool,
    /// The frame code that decided the outcome (4006, 4007, 409).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_code: Option<u32>,
    pub elapsed_ms: f64,
}

/// Ends the guest's conversation (see the module doc and docs/guest.md).
pub async fn end_guest_conversation(
    options: &EndGuestOptions,
    sink: &Option<EventSink>,
    cancel: &CancellationToken,
) -> Result<GuestEndResult, Error> {
    observed(sink, OPERATION, shell::run(options, cancel), |r, e| {
        e.outcome = Some(r.outcome.as_str())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::options::parse;
    use serde_json::json;

    const CANARY: &str = "tok-CANARY-0f3e";

    fn read(v: serde_json::Value) -> Result<EndGuestOptions, Error> {
        parse(v)
    }

    #[test]
    fn options_are_validated_without_echoing_the_token() {
        let ok =
            read(json!({"deploymentId": "d-1", "token": CANARY, "guestUrl": "ws://127.0.0.1:1"}))
                .unwrap();
        assert_eq!(ok.timeout, Duration::from_secs(15));
        assert!(
            !format!("{ok:?}").contains(CANARY),
            "Debug never shows the token"
        );
        let cases = [
            (
                json!({"token": CANARY, "region": "eu_west_1"}),
                ErrorCode::InvalidArgument,
                "deploymentId is required",
            ),
            (
                json!({"deploymentId": "d", "region": "eu_west_1"}),
                ErrorCode::InvalidArgument,
                "token is required",
            ),
            (
                json!({"deploymentId": "d", "token": "", "region": "eu_west_1"}),
                ErrorCode::InvalidArgument,
                "got 0 characters",
            ),
            (
                json!({"deploymentId": "d", "token": format!("{CANARY}\n"), "region": "eu_west_1"}),
                ErrorCode::InvalidArgument,
                "control characters (got 16",
            ),
            (
                json!({"deploymentId": "d", "token": "x".repeat(2049), "region": "eu_west_1"}),
                ErrorCode::InvalidArgument,
                "got 2049",
            ),
            (
                json!({"deploymentId": "d", "token": CANARY}),
                ErrorCode::InvalidArgument,
                "exactly one",
            ),
            (
                json!({"deploymentId": "d", "token": CANARY, "region": "eu_west_1", "guestUrl": "wss://x"}),
                ErrorCode::InvalidArgument,
                "exactly one",
            ),
            (
                json!({"deploymentId": "d", "token": CANARY, "guestUrl": "ws://10.1.1.1/v1"}),
                ErrorCode::InsecureUrl,
                "wss://",
            ),
            (
                json!({"deploymentId": "a/b", "token": CANARY, "region": "eu_west_1"}),
                ErrorCode::InvalidArgument,
                "deploymentId",
            ),
            (
                json!({"deploymentId": "d", "token": CANARY, "region": "eu_west_1", "timeoutMs": 10}),
                ErrorCode::InvalidArgument,
                "timeoutMs must be",
            ),
            (
                json!({"deploymentId": "d", "token": 5, "region": "eu_west_1"}),
                ErrorCode::InvalidArgument,
                "token",
            ),
        ];
        for (input, code, words) in cases {
            let e = read(input.clone()).unwrap_err();
            assert_eq!(e.code, code, "{input}");
            assert!(e.message.contains(words), "{input}: {}", e.message);
            assert!(!e.message.contains(CANARY), "{}", e.message);
        }
    }
}
