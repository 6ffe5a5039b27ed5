//! Watch mode: ends web messaging conversations the moment they have been
//! idle for `idleMs`, from the Notifications API's queue topics, with
//! reconciliation sweeps wherever the stream cannot be trusted.
//!
//! The parts: `table` (who is tracked and who is due: a bounded table and
//! one deadline heap), `after_read` (recent closes, to tell a message that
//! slipped in between a close's read and its write), `frame` (what a frame
//! says), `policy` (backoff, liveness, renewal), `channel` (queues, channels,
//! subscriptions over REST, and which queues a watch subscribes to),
//! `socket` (the WebSocket), `stream` (one channel kept alive, reporting
//! events and gaps), `settle` (what a close's result means for the table,
//! the report and the events), `reconcile` (one sweep over analytics),
//! `driver` (the loop that decides: closes due conversations through the
//! guarded close, runs the sweeps, stops on cancellation). The pure parts
//! have table tests.
//!
//! What is guaranteed, and what is not: events are not durable (Genesys
//! does not queue them while no socket is open), so after every span
//! without a healthy socket the whole lookback is swept over analytics when
//! the socket is back (a conversation that started long before the gap can
//! have been moved onto a watched queue during it; several gaps waiting for
//! a sweep share one), and a
//! periodic sweep finds conversations no watched queue ever showed (a bot
//! flow). Nothing is ended on the stream's word alone: each close re-reads
//! the conversation and applies the idle guard, as
//! `closeConversation({idleForMs})` does.

pub mod after_read;
pub mod channel;
mod driver;
pub mod frame;
mod native;
pub mod policy;
mod reconcile;
mod settle;
mod socket;
mod stream;
pub mod table;

pub use channel::RejectedTopic;
pub use driver::watch;

use crate::error::Error;
use crate::genesys::message_types::{check_message_types, default_message_types};
use crate::genesys::queue::NativeTimer;
use crate::native::attribute::NativeTimerCounts;
use crate::options::{self, Concurrency, Lookback, Validated};
use crate::stats::Totals;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Options of `CleanupClient.watch`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchOptions {
    /// End a conversation once nothing happened in it for this long (ms,
    /// 1000 to 31536000000). Required.
    #[serde(
        rename = "idleMs",
        deserialize_with = "options::millis::<_, 1000, 31_536_000_000>"
    )]
    pub idle: Duration,
    /// Queues to watch, by id or exact name (default: every queue).
    #[serde(default)]
    pub queues: Option<Vec<String>>,
    /// Message types to end (default `['webmessaging']`).
    #[serde(default = "default_message_types")]
    pub message_types: Vec<String>,
    /// Let `messageTypes` hold types this version does not know.
    #[serde(default)]
    pub allow_unknown_message_types: bool,
    /// The periodic reconciliation sweep's interval (ms, 1000 to 86400000;
    /// default 300000): it finds conversations no watched queue showed.
    #[serde(
        rename = "reconcileEveryMs",
        default = "default_reconcile",
        deserialize_with = "options::millis::<_, 1000, 86_400_000>"
    )]
    pub reconcile_every: Duration,
    /// How far back the sweeps look for open conversations.
    #[serde(rename = "lookbackMs", default)]
    pub lookback: Lookback,
    /// Read and decide, write nothing: due conversations are reported `wouldClose`.
    #[serde(default)]
    pub dry_run: bool,
    /// Closes run at once.
    #[serde(default)]
    pub concurrency: Concurrency,
    /// The most conversations tracked in memory (default 100000, 1 to 10000000);
    /// more are left to the sweeps.
    #[serde(
        default = "default_max_tracked",
        deserialize_with = "options::whole::<_, 1, 10_000_000>"
    )]
    pub max_tracked: u32,
}

fn default_reconcile() -> Duration {
    Duration::from_secs(300)
}
fn default_max_tracked() -> u32 {
    100_000
}

impl Validated for WatchOptions {
    fn validated(self) -> Result<Self, Error> {
        check_message_types(&self.message_types, self.allow_unknown_message_types)?;
        if self.queues.as_ref().is_some_and(|q| q.is_empty()) {
            return Err(Error::invalid_argument(
                "queues must name at least one queue (by id or name), or be left out to watch every queue.",
            ));
        }
        Ok(self)
    }
}

/// What a watch did, returned when it stops.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchReport {
    pub dry_run: bool,
    /// Conversations ended.
    pub closed: u32,
    /// Dry run: conversations that would have been ended.
    pub would_close: u32,
    /// Due conversations the re-read showed active (a message the stream
    /// did not show, or a running inactivity timer): left open, watched on.
    pub spared_active: u32,
    /// Due conversations left alone for another reason (not an allowed
    /// message type, no timestamp at all).
    pub skipped: u32,
    /// Due conversations that had already ended or were gone.
    pub already_closed: u32,
    /// Closes that failed (a later sweep tries again).
    pub failed: u32,
    /// Conversation events received.
    pub events_seen: u64,
    /// Sockets opened again after a drop, a `socket_closing` or a dead socket.
    pub reconnects: u32,
    /// Channels replaced ahead of their expiry.
    pub renewals: u32,
    /// Spans without a healthy socket reconciled (each by a sweep over the
    /// whole lookback; gaps that wait for the same sweep share it).
    pub gaps_reconciled: u32,
    /// Periodic reconciliation sweeps (the first runs at the start).
    pub periodic_sweeps: u32,
    /// Notification channels used at once.
    pub channels: u32,
    /// Queue topics asked for.
    pub topics: u32,
    /// Topics Genesys refused, with the permissions it named.
    pub rejected_topics: Vec<RejectedTopic>,
    /// Conversations tracked when it stopped.
    pub tracked: u32,
    /// Conversations not tracked because `maxTracked` was reached (left to the sweeps).
    pub untracked: u32,
    /// Closes after which something showed activity newer than the read the
    /// close was decided on: the close's own answer (`activityAfterRead` on
    /// its result) or a notification arriving within a minute of the close
    /// with a message between that read and the close. Each also emits an
    /// `activityAfterRead` event.
    pub activity_after_read: u32,
    /// Genesys's own timers: who ended what on queues with a live timer
    /// (each conversation counted once; a dry run counts `wouldClose`).
    pub native_timer: Option<NativeTimerCounts>,
    /// Requests of the whole watch (closes and sweeps; channel calls not included).
    #[serde(flatten)]
    pub totals: Totals,
    pub elapsed_ms: f64,
}

/// What `onEvent` of a watch receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEventKind {
    Connected,
    Disconnected,
    Reconciled,
    Closed,
    WouldClose,
    Spared,
    Failed,
    RejectedTopic,
    ActivityAfterRead,
    EndedByGenesys,
}

impl WatchEventKind {
    pub const ALL: [WatchEventKind; 10] = [
        WatchEventKind::Connected,
        WatchEventKind::Disconnected,
        WatchEventKind::Reconciled,
        WatchEventKind::Closed,
        WatchEventKind::WouldClose,
        WatchEventKind::Spared,
        WatchEventKind::Failed,
        WatchEventKind::RejectedTopic,
        WatchEventKind::ActivityAfterRead,
        WatchEventKind::EndedByGenesys,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventKind::Connected => "connected",
            WatchEventKind::Disconnected => "disconnected",
            WatchEventKind::Reconciled => "reconciled",
            WatchEventKind::Closed => "closed",
            WatchEventKind::WouldClose => "wouldClose",
            WatchEventKind::Spared => "spared",
            WatchEventKind::Failed => "failed",
            WatchEventKind::RejectedTopic => "rejectedTopic",
            WatchEventKind::ActivityAfterRead => "activityAfterRead",
            WatchEventKind::EndedByGenesys => "endedByGenesys",
        }
    }
}

serialize_as_str!(WatchEventKind);

/// One thing a watch did or saw (never a token or a secret).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchEvent {
    pub kind: WatchEventKind,
    /// `closed`, `wouldClose`, `spared`, `failed`, `activityAfterRead`: the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// Its last activity as the re-read showed it (`closed`, `wouldClose`,
    /// `spared`); `activityAfterRead`: the newer activity seen after the read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity_at: Option<String>,
    /// `connected`, `disconnected`: the channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// `disconnected`, `failed`, `rejectedTopic`, `reconciled`,
    /// `activityAfterRead`: why, or what.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `reconciled`: open conversations the sweep found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// `failed`: the error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// `closed`, `wouldClose` on a queue with Genesys's own timer, and
    /// `endedByGenesys`: who ended it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_timer: Option<NativeTimer>,
}

impl WatchEvent {
    pub fn new(kind: WatchEventKind) -> Self {
        WatchEvent {
            kind,
            conversation_id: None,
            last_activity_at: None,
            channel_id: None,
            reason: None,
            count: None,
            code: None,
            native_timer: None,
        }
    }
}

/// Receives watch events; must be cheap and must not block.
pub type WatchSink = Arc<dyn Fn(WatchEvent) + Send + Sync>;
