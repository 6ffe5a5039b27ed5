//! A long-lived client: one connection pool, one token, one pacer and one
//! retry budget shared by every operation (its `Session`), and each public
//! call observed as an operation (`operationStart`, `operationEnd`).

use crate::bulk::{self, BulkOptions, BulkReport};
use crate::close::{self, CloseOptions, CloseResult};
use crate::diagnose::{self, ScopeOptions, ScopeReport};
use crate::discover::{self, FindOptions, FindReport};
use crate::error::Error;
use crate::genesys::ids::IdInput;
use crate::http::config::ConnectionOptions;
use crate::http::transport::Transport;
use crate::native::set_inactivity::{self, QueueInactivityChange, SetQueueInactivityOptions};
use crate::native::{self, TimersOptions, TimersReport};
use crate::observe::events::{Event, EventSink};
use crate::observe::operation;
use crate::session::Session;
use crate::sweep::{self, SweepReport, SweepSink};
use crate::watch::{self, WatchOptions, WatchReport, WatchSink};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Client {
    session: Arc<Session>,
    /// The listener, for the `operationStart`/`operationEnd` events.
    events: Option<EventSink>,
}

impl Client {
    pub fn new(options: &ConnectionOptions, events: Option<EventSink>) -> Result<Self, Error> {
        let config = options.resolve()?;
        let transport = Transport::new(config, events.clone())?;
        Ok(Client {
            session: Arc::new(Session::new(transport)),
            events,
        })
    }

    /// Runs `run` as the operation `name`; `summary` fills in its end event.
    async fn observed<T>(
        &self,
        name: &'static str,
        run: impl Future<Output = Result<T, Error>>,
        summary: impl FnOnce(&T, &mut Event),
    ) -> Result<T, Error> {
        operation::observed(&self.events, name, run, summary).await
    }

    pub async fn close_conversation(
        &self,
        id: &IdInput,
        opts: &CloseOptions,
        cancel: &CancellationToken,
    ) -> Result<CloseResult, Error> {
        let run = close::close_conversation(&self.session, id, opts, cancel);
        self.observed("closeConversation", run, |r, e| {
            e.outcome = Some(r.outcome.as_str())
        })
        .await
    }

    pub async fn check_scopes(
        &self,
        opts: &ScopeOptions,
        timers: &TimersOptions,
        cancel: &CancellationToken,
    ) -> Result<ScopeReport, Error> {
        let run = diagnose::check_scopes(&self.session, opts, timers, cancel);
        self.observed("checkScopes", run, |r, e| {
            e.outcome = Some(if r.can_close {
                "canClose"
            } else {
                "cannotClose"
            })
        })
        .await
    }

    pub async fn close_many(
        &self,
        ids: Vec<IdInput>,
        opts: &BulkOptions,
        cancel: &CancellationToken,
    ) -> Result<BulkReport, Error> {
        let run = bulk::close_many(&self.session, ids, opts, cancel);
        self.observed("closeConversations", run, |r, e| e.counts = Some(r.counts))
            .await
    }

    pub async fn find_idle(
        &self,
        opts: &FindOptions,
        cancel: &CancellationToken,
    ) -> Result<FindReport, Error> {
        let run = discover::find_idle(&self.session, opts, cancel);
        self.observed("findIdleConversations", run, |_, _| {}).await
    }

    /// A sweep (see `sweep`): `results` takes every entry and every
    /// conversation found as they are decided.
    pub async fn sweep(
        &self,
        find: &FindOptions,
        bulk_opts: BulkOptions,
        results: Arc<dyn SweepSink>,
        cancel: &CancellationToken,
    ) -> Result<SweepReport, Error> {
        let run = sweep::sweep(&self.session, find, bulk_opts, results, cancel);
        self.observed("sweep", run, |r, e| e.counts = Some(r.bulk.counts))
            .await
    }

    /// Genesys's own timers: the queues' inactivity timers, a deployment's
    /// settings, and the advice (see `native`).
    pub async fn queue_timers(
        &self,
        opts: &TimersOptions,
        cancel: &CancellationToken,
    ) -> Result<TimersReport, Error> {
        let run = native::queue_timers(&self.session, opts, cancel);
        self.observed("queueTimers", run, |_, _| {}).await
    }

    /// Switches a queue's inactivity timer on or off (dry unless `apply`).
    pub async fn set_queue_inactivity(
        &self,
        opts: &SetQueueInactivityOptions,
        cancel: &CancellationToken,
    ) -> Result<QueueInactivityChange, Error> {
        let run = set_inactivity::set_queue_inactivity(&self.session, opts, cancel);
        self.observed("setQueueInactivity", run, |r, e| {
            e.outcome = Some(match (r.applied, r.verified) {
                (false, _) => "dryRun",
                (true, Some(true)) => "verified",
                (true, _) => "mismatch",
            })
        })
        .await
    }

    /// Arms the write fence of a leased job for `valid_for` (zero: the lease
    /// is known lost), or lifts it (`None`: no leased job runs).
    pub fn fence_writes(&self, valid_for: Option<Duration>) {
        match valid_for {
            Some(d) => self.session.fence().arm(d),
            None => self.session.fence().disarm(),
        }
    }

    /// Writes the fence refused in this term of the leased job (since it
    /// was armed after being lifted).
    pub fn fence_refused(&self) -> u32 {
        self.session.fence().refused()
    }

    /// The id of the organization the token belongs to (`GET /api/v2/tokens/me`),
    /// read once per client: it names a job's lease.
    pub async fn organization_id(&self, cancel: &CancellationToken) -> Result<String, Error> {
        self.session.organization_id(cancel).await
    }

    /// Watches the queue topics and ends conversations as they fall idle,
    /// until `cancel` fires (see `watch`).
    pub async fn watch(
        &self,
        opts: WatchOptions,
        sink: Option<WatchSink>,
        cancel: &CancellationToken,
    ) -> Result<WatchReport, Error> {
        watch::watch(self.session.clone(), opts, sink, cancel).await
    }

    /// How many token requests this client has made.
    pub fn token_fetches(&self) -> u64 {
        self.session.auth().fetch_count()
    }
}
