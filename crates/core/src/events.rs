//! Structured events for observability (`onEvent`, `DEBUG=genesys-cleanup`).
//! Events carry the path template, never an id, a token or a secret.

use crate::net_error::NetCause;
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
        }
    }
}

serialize_as_str!(EventKind);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub kind: EventKind,
    pub method: &'static str,
    /// Path template, e.g. `/api/v2/conversations/messages/{conversationId}`.
    pub route: &'static str,
    pub attempt: u32,
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
}

impl Event {
    pub fn new(kind: EventKind, method: &'static str, route: &'static str, attempt: u32) -> Self {
        Event {
            kind,
            method,
            route,
            attempt,
            status: None,
            duration_ms: None,
            wait_ms: None,
            correlation_id: None,
            reason: None,
            network_cause: None,
            count: None,
        }
    }

    /// Stands for `count` events that were dropped because the listener fell
    /// behind (it has no request of its own: empty method and route).
    pub fn dropped(count: u64) -> Self {
        let mut e = Event::new(EventKind::Dropped, "", "", 0);
        e.count = Some(count);
        e
    }
}

/// Receives events; must be cheap and must not block.
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;
