//! `setQueueInactivity`: switch a queue's web messaging inactivity timer on
//! or off. Dry unless `apply`; never without a named queue.
//!
//! The parts: this file (options and result), `plan` (the JSON patch of the
//! whole queue and the verify diff, pure), `apply` (GET, PUT, re-read).

mod apply;
pub mod plan;

pub use apply::set_queue_inactivity;

use crate::error::Error;
use crate::genesys::queue::QueueTimer;
use crate::options::{self, Validated};
use plan::{Change, Desired, Mismatch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// The action at the timeout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum InactivityAction {
    #[default]
    #[serde(rename = "DISCONNECT")]
    Disconnect,
    #[serde(rename = "SEND_TO_ARCHITECT_FLOW")]
    SendToArchitectFlow,
}

impl InactivityAction {
    pub fn as_str(self) -> &'static str {
        match self {
            InactivityAction::Disconnect => "DISCONNECT",
            InactivityAction::SendToArchitectFlow => "SEND_TO_ARCHITECT_FLOW",
        }
    }
}

/// Options of `setQueueInactivity`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetQueueInactivityOptions {
    /// The queue, by id or exact name. Required: nothing is written to an
    /// unnamed queue, and a name two queues share is refused.
    pub queue: Option<String>,
    /// The timeout (ms, whole seconds, 1000 to 2147483647000). Required
    /// unless `enabled` is false.
    #[serde(
        rename = "inactivityTimeoutMs",
        deserialize_with = "options::opt_millis::<_, 1000, 2_147_483_647_000>"
    )]
    pub timeout: Option<Duration>,
    /// Default true; false turns both switches off and keeps the settings.
    pub enabled: Option<bool>,
    /// Default `DISCONNECT`.
    pub action: InactivityAction,
    /// The Architect flow (a UUID), required with `SEND_TO_ARCHITECT_FLOW`.
    pub flow_id: Option<String>,
    /// Write the change (default false: a dry run, nothing written).
    pub apply: bool,
}

impl Validated for SetQueueInactivityOptions {
    fn validated(self) -> Result<Self, Error> {
        if self.queue.as_deref().is_none_or(|q| q.trim().is_empty()) {
            return Err(Error::invalid_argument(
                "queue is required: name the queue to change, by id or exact name.",
            ));
        }
        let enabled = self.enabled.unwrap_or(true);
        match self.timeout {
            None if enabled => {
                return Err(Error::invalid_argument(
                    "inactivityTimeoutMs is required to switch the timer on (for example 1800000 for 30 minutes).",
                ))
            }
            Some(t) if t.subsec_nanos() != 0 => {
                return Err(Error::invalid_argument(
                    "inactivityTimeoutMs must be whole seconds (Genesys stores timeoutSeconds).",
                ))
            }
            _ => {}
        }
        let flow = self.action == InactivityAction::SendToArchitectFlow;
        match &self.flow_id {
            None if flow && enabled => Err(Error::invalid_argument(
                "flowId is required with action SEND_TO_ARCHITECT_FLOW.",
            )),
            Some(f) if !crate::genesys::ids::is_uuid(f) => Err(Error::invalid_argument(format!(
                "flowId must be a flow id (a UUID), got {}.",
                crate::genesys::ids::describe(f)
            ))),
            Some(_) if !flow => Err(Error::invalid_argument(
                "flowId goes with action SEND_TO_ARCHITECT_FLOW only.",
            )),
            _ => Ok(self),
        }
    }
}

impl SetQueueInactivityOptions {
    pub fn desired(&self) -> Desired {
        Desired {
            enabled: self.enabled.unwrap_or(true),
            timeout_seconds: self.timeout.map(|t| t.as_secs()),
            action: self.action.as_str(),
            flow_id: self.flow_id.as_ref().map(|f| f.to_ascii_lowercase()),
        }
    }
}

/// What `setQueueInactivity` did, or (dry) would do.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueInactivityChange {
    pub queue_id: String,
    pub queue_name: String,
    /// The PUT was sent.
    pub applied: bool,
    pub before: QueueTimer,
    /// Planned (dry) or as re-read (applied).
    pub after: QueueTimer,
    /// Only our paths; empty: nothing to do (no PUT).
    pub changes: Vec<Change>,
    /// The exact PUT body: the whole queue as read, our paths changed.
    pub body: Value,
    /// Applied: the re-read matches the body (volatile fields aside).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<Mismatch>,
    pub warnings: Vec<String>,
    pub requests: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Result<SetQueueInactivityOptions, Error> {
        options::parse(v)
    }

    #[test]
    fn never_without_a_queue_and_the_rules() {
        assert!(read(json!({"inactivityTimeoutMs": 60000}))
            .unwrap_err()
            .message
            .contains("queue is required"));
        assert!(read(json!({"queue": "Q"}))
            .unwrap_err()
            .message
            .contains("inactivityTimeoutMs is required"));
        assert!(read(json!({"queue": "Q", "enabled": false})).is_ok());
        assert!(read(json!({"queue": "Q", "inactivityTimeoutMs": 1500})).is_err());
        assert!(read(json!({"queue": "Q", "inactivityTimeoutMs": 999})).is_err());
        let e = read(
            json!({"queue": "Q", "inactivityTimeoutMs": 60000, "action": "SEND_TO_ARCHITECT_FLOW"}),
        );
        assert!(e.unwrap_err().message.contains("flowId is required"));
        let o = read(json!({"queue": "Q", "inactivityTimeoutMs": 60000})).unwrap();
        assert!(!o.apply);
        assert_eq!(o.desired().timeout_seconds, Some(60));
        assert_eq!(o.desired().action, "DISCONNECT");
    }
}
