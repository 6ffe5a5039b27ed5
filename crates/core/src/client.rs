//! A long-lived client: one connection pool, one token, one pacer and one
//! retry budget shared by every operation.

use crate::bulk::{self, BulkOptions, BulkReport};
use crate::close::{self, CloseOptions, CloseResult};
use crate::config::ConnectionOptions;
use crate::diagnose::{self, ScopeReport};
use crate::discover::{self, FindOptions, FindReport, IdleConversation, Judged};
use crate::error::Error;
use crate::events::EventSink;
use crate::ids::IdInput;
use crate::stats::Totals;
use crate::transport::Transport;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
}

/// What a sweep found and what it did.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub dry_run: bool,
    /// Open conversations the analytics query returned.
    pub scanned: u32,
    /// Nominated by analytics (started at least `idleFor` ago), each re-read.
    pub candidates: u32,
    /// Confirmed idle on the re-read: closed (or, in a dry run, would be).
    pub found: Vec<IdleConversation>,
    /// Candidates the re-read showed active: left open.
    pub spared_active: u32,
    /// The guarded close of every candidate: one result per candidate.
    #[serde(rename = "close")]
    pub bulk: BulkReport,
    /// The whole sweep: discovery and closing.
    #[serde(flatten)]
    pub totals: Totals,
    pub elapsed_ms: f64,
}

impl Client {
    pub fn new(options: &ConnectionOptions, events: Option<EventSink>) -> Result<Self, Error> {
        let config = options.resolve()?;
        Ok(Client {
            transport: Arc::new(Transport::new(config, events)?),
        })
    }

    pub async fn close_conversation(
        &self,
        id: &IdInput,
        opts: &CloseOptions,
        cancel: &CancellationToken,
    ) -> Result<CloseResult, Error> {
        close::close_conversation(&self.transport, id, opts, cancel).await
    }

    pub async fn check_scopes(&self, cancel: &CancellationToken) -> Result<ScopeReport, Error> {
        diagnose::check_scopes(&self.transport, cancel).await
    }

    pub async fn close_many(
        &self,
        ids: Vec<IdInput>,
        opts: &BulkOptions,
        cancel: &CancellationToken,
    ) -> Result<BulkReport, Error> {
        bulk::close_many(&self.transport, ids, opts, cancel).await
    }

    pub async fn find_idle(
        &self,
        opts: &FindOptions,
        cancel: &CancellationToken,
    ) -> Result<FindReport, Error> {
        discover::find_idle(&self.transport, opts, cancel).await
    }

    /// Finds candidates with analytics, then closes each one that its own
    /// re-read shows idle for `find.idle_for` (the idle guard): analytics
    /// nominates, the conversation decides. `fast` is never used here.
    pub async fn sweep(
        &self,
        find: &FindOptions,
        bulk_opts: BulkOptions,
        cancel: &CancellationToken,
    ) -> Result<SweepReport, Error> {
        let started = std::time::Instant::now();
        let nominated = discover::find_candidates(&self.transport, find, cancel).await?;
        let ids = nominated
            .candidates
            .iter()
            .map(|c| IdInput::from(c.conversation_id.as_str()))
            .collect();
        let mut opts = bulk_opts;
        opts.close.fast = false;
        let dry_run = opts.close.dry_run;
        opts.close.idle_for = Some(find.idle_for);
        opts.close.message_types = find.message_types.clone();
        let bulk = self.close_many(ids, &opts, cancel).await?;
        let mut found = Vec::new();
        let mut spared_active = 0;
        let now = std::time::SystemTime::now();
        for (c, entry) in nominated.candidates.iter().zip(&bulk.results) {
            match discover::judge_candidate(c, entry, now) {
                Judged::Idle(i) => found.push(i),
                Judged::Active => spared_active += 1,
                Judged::Unconfirmed(_) | Judged::Gone => {}
            }
        }
        let mut totals = nominated.totals;
        totals += bulk.totals;
        Ok(SweepReport {
            dry_run,
            scanned: nominated.scanned,
            candidates: nominated.candidates.len() as u32,
            found,
            spared_active,
            bulk,
            totals,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Watches the queue topics and ends conversations as they fall idle,
    /// until `cancel` fires (see `watch`).
    pub async fn watch(
        &self,
        opts: crate::watch::WatchOptions,
        sink: Option<crate::watch::WatchSink>,
        cancel: &CancellationToken,
    ) -> Result<crate::watch::WatchReport, Error> {
        crate::watch::watch(self.transport.clone(), opts, sink, cancel).await
    }

    /// How many token requests this client has made.
    pub fn token_fetches(&self) -> u64 {
        self.transport.auth().fetch_count()
    }
}
