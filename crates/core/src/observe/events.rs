//! Structured events for observability (`onEvent`, `logger`, the OpenTelemetry
//! entry point, `DEBUG=genesys-cleanup`). Events carry the path template,
//! never an id, a token or a secret. Request events carry the id of the
//! operation they belong to (see `operation`), so a listener can group them.

use crate::error::ErrorCode;
use crate::error::NetCause;
use crate::stats::Counts;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Request,
    Response,
    Retry,
    RateLimitWait,
    TokenRefresh,
    /// Events the listener was too slow to take were dropped (see `count`).
    Dropped,
    /// A request failed for good (not retried, or retries spent): `code`.
    GiveUp,
    /// An operation (a close, a bulk run, a sweep...) begins: `operation`, `name`.
    OperationStart,
    /// It ended: `durationMs`, and `outcome`/`counts` or the failure's `code`.
    OperationEnd,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Request => "request",
            EventKind::Response => "response",
            EventKind::Retry => "retry",
            EventKind::RateLimitWait => "rateLimitWait",
            EventKind::TokenRefresh => "tokenRefresh",
            EventKind::Dropped => "dropped",
            EventKind::GiveUp => "giveUp",
            EventKind::OperationStart => "operationStart",
            EventKind::OperationEnd => "operationEnd",
        }
    }

    /// Every kind, for the type test (`tests/dts.rs`); the match in `as_str`
    /// and this list are checked against each other by `all_is_complete`.
    pub const ALL: [EventKind; 9] = [
        EventKind::Request,
        EventKind::Response,
        EventKind::Retry,
        EventKind::RateLimitWait,
        EventKind::TokenRefresh,
        EventKind::Dropped,
        EventKind::GiveUp,
        EventKind::OperationStart,
        EventKind::OperationEnd,
    ];
}

serialize_as_str!(EventKind);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub kind: EventKind,
    /// The operation this event belongs to (an id unique in the process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<u64>,
    /// The operation's name (`operationStart`, `operationEnd`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
    /// HTTP method (request events; empty, and not serialized, for operation events).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub method: &'static str,
    /// Path template, e.g. `/api/v2/conversations/messages/{conversationId}`.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub route: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Why (for retry: the failure kind and status or transport error class).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a retry after a network failure: its class (as on the error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_cause: Option<NetCause>,
    /// For `dropped`: how many events were dropped since the last delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The error code of a give-up or of a failed operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    /// `operationEnd` of a single close: its outcome (`closed`, ...); of `checkScopes`: `canClose` or `cannotClose`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    /// `operationEnd` of a bulk run or a sweep: its counts by outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

impl Event {
    pub fn new(kind: EventKind, method: &'static str, route: &'static str, attempt: u32) -> Self {
        Event {
            attempt: Some(attempt),
            ..Event::operation(kind, None, None)
        }
        .at(method, route)
    }

    /// An operation-level event (no request).
    pub fn operation(kind: EventKind, operation: Option<u64>, name: Option<&'static str>) -> Self {
        Event {
            kind,
            operation,
            name,
            method: "",
            route: "",
            attempt: None,
            status: None,
            duration_ms: None,
            wait_ms: None,
            correlation_id: None,
            reason: None,
            network_cause: None,
            count: None,
            code: None,
            outcome: None,
            counts: None,
        }
    }

    /// Stands for `count` events that were dropped because the listener fell
    /// behind (it has no request of its own: empty method and route).
    pub fn dropped(count: u64) -> Self {
        let mut e = Event::new(EventKind::Dropped, "", "", 0);
        e.count = Some(count);
        e
    }

    fn at(mut self, method: &'static str, route: &'static str) -> Self {
        self.method = method;
        self.route = route;
        self
    }
}

/// Receives events; must be cheap and must not block.
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_complete() {
        // A new kind without a place in ALL fails to compile here.
        for k in EventKind::ALL {
            match k {
                EventKind::Request
                | EventKind::Response
                | EventKind::Retry
                | EventKind::RateLimitWait
                | EventKind::TokenRefresh
                | EventKind::Dropped
                | EventKind::GiveUp
                | EventKind::OperationStart
                | EventKind::OperationEnd => {}
            }
        }
        let names: std::collections::BTreeSet<_> =
            EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
    }
}
