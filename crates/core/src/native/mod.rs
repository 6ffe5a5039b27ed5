//! Genesys's own timers: a queue's web messaging inactivity timeout and a
//! Messenger deployment's settings (issue 26). A floor under the jobs that
//! report them (`diagnose/`, `sweep/`, `watch/`), above `session`.
//!
//! The parts:
//! - this file: `queueTimers` (options, report, the reads in order);
//! - `list`: the queue listing kept raw, and the per-queue GET fallback;
//! - `deployment`: a deployment's settings, read with fallbacks down to the
//!   public `config.json`;
//! - `advice`: what to tell the admin, from the table alone (pure);
//! - `attribute`: who ended a conversation: Genesys, us first, or us
//!   because the timer missed it (pure);
//! - `set_inactivity/`: switching a queue's timer on or off (dry unless
//!   applied; the whole queue PUT back, re-read to verify).

pub mod advice;
pub mod attribute;
pub mod deployment;
pub mod list;
pub mod set_inactivity;

use crate::error::{Error, ErrorCode};
use crate::genesys::deployment::DeploymentSettings;
use crate::genesys::queue::QueueTimer;
use crate::http::transport::Transport;
use crate::options::{self, Validated};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// Options of `queueTimers` (and the timers section of `checkScopes`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimersOptions {
    /// A Messenger deployment id: read its `conversationDisconnect`,
    /// `conversationClear` and `sessionDurationSeconds` too.
    #[serde(default)]
    pub deployment_id: Option<String>,
    /// Only these queues, by id or exact name (default: every queue).
    #[serde(default)]
    pub queues: Option<Vec<String>>,
    /// When the listing carries no media settings: the most queues read one
    /// by one (default 500, 0 to 100000).
    #[serde(
        default = "default_max_queue_reads",
        deserialize_with = "options::whole::<_, 0, 100_000>"
    )]
    pub max_queue_reads: u32,
}

fn default_max_queue_reads() -> u32 {
    500
}

impl Default for TimersOptions {
    fn default() -> Self {
        TimersOptions {
            deployment_id: None,
            queues: None,
            max_queue_reads: default_max_queue_reads(),
        }
    }
}

impl Validated for TimersOptions {
    fn validated(self) -> Result<Self, Error> {
        if let Some(d) = &self.deployment_id {
            if !crate::genesys::ids::is_uuid(d) {
                return Err(Error::invalid_argument(format!(
                    "deploymentId must be a Messenger deployment id (a UUID), got {}.",
                    crate::genesys::ids::describe(d)
                )));
            }
        }
        Ok(self)
    }
}

/// Genesys's own timers: the queue table, the deployment, and the advice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimersReport {
    /// The queues could be listed (`routing:queue:view`).
    pub queues_read: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queues_error: Option<Error>,
    /// Sorted by name.
    pub queues: Vec<QueueTimer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<DeploymentSettings>,
    /// Built from `queues` and `deployment` only: it never contradicts them.
    pub advice: Vec<String>,
    pub requests: u32,
}

/// The queue table (a 403 on the listing is `queuesRead: false`, never an
/// error) and, with a deployment id, its settings. Only an abort, or an
/// unknown queue named in `queues`, fails.
pub async fn queue_timers(
    t: &Transport,
    o: &TimersOptions,
    cancel: &CancellationToken,
) -> Result<TimersReport, Error> {
    let mut requests = 0;
    let (queues_read, queues_error, mut queues) = match list::list_raw(t, cancel).await {
        Ok(listed) => {
            requests += listed.requests;
            let chosen = list::select(&listed.queues, o.queues.as_deref())?;
            let chosen = chosen.into_iter().cloned().collect();
            let (timers, n) = list::timers(t, chosen, o.max_queue_reads as usize, cancel).await?;
            requests += n;
            (true, None, timers)
        }
        Err(e) if e.code == ErrorCode::Aborted => return Err(e),
        Err(e) => (false, Some(e), Vec::new()),
    };
    queues.sort_by(|a, b| {
        a.queue_name
            .cmp(&b.queue_name)
            .then(a.queue_id.cmp(&b.queue_id))
    });
    let mut advice = advice::queue_advice(queues_read, &queues);
    let deployment = match &o.deployment_id {
        Some(id) => {
            let (d, n) = deployment::read(t, &id.to_ascii_lowercase(), cancel).await?;
            requests += n;
            advice.extend(advice::deployment_advice(&d));
            Some(d)
        }
        None => None,
    };
    Ok(TimersReport {
        queues_read,
        queues_error,
        queues,
        deployment,
        advice,
        requests,
    })
}

/// The queues' timers by queue id, as a sweep or watch attributes against
/// them: listed once (a sweep) or on each reconcile (watch). A listing that
/// fails (a 403 above all) leaves it empty and unavailable, never fatal.
#[derive(Debug, Clone, Default)]
pub struct TimerTable {
    pub by_id: std::collections::HashMap<String, QueueTimer>,
    pub available: bool,
    pub reason: Option<String>,
    pub requests: u32,
}

impl TimerTable {
    /// Every queue and its timer. Only an abort fails.
    pub async fn read(t: &Transport, cancel: &CancellationToken) -> Result<TimerTable, Error> {
        let listed = match list::list_raw(t, cancel).await {
            Ok(l) => l,
            Err(e) if e.code == ErrorCode::Aborted => return Err(e),
            Err(e) => return Ok(TimerTable::unavailable(&e)),
        };
        let max = default_max_queue_reads() as usize;
        match list::timers(t, listed.queues, max, cancel).await {
            Ok((timers, n)) => Ok(TimerTable {
                by_id: timers
                    .into_iter()
                    .map(|q| (q.queue_id.to_ascii_lowercase(), q))
                    .collect(),
                available: true,
                reason: None,
                requests: listed.requests + n,
            }),
            Err(e) if e.code == ErrorCode::Aborted => Err(e),
            Err(e) => Ok(TimerTable {
                requests: listed.requests,
                ..TimerTable::unavailable(&e)
            }),
        }
    }

    fn unavailable(e: &Error) -> TimerTable {
        TimerTable {
            reason: Some(format!(
                "The queues could not be read, so Genesys's own timers are not attributed: {} (grant routing:queue:view to see them).",
                e.message
            )),
            ..TimerTable::default()
        }
    }

    /// The counts this table starts a report with.
    pub fn counts(&self) -> attribute::NativeTimerCounts {
        attribute::NativeTimerCounts {
            queues_with_timer: self.by_id.values().filter(|q| q.may_run()).count() as u32,
            available: self.available,
            reason: self.reason.clone(),
            ..Default::default()
        }
    }

    /// The timer of a queue, by id.
    pub fn timer(&self, queue_id: &str) -> Option<&QueueTimer> {
        self.by_id.get(&queue_id.to_ascii_lowercase())
    }
}
