//! A long-lived client: one connection pool, one token, one pacer and one
//! retry budget shared by every operation.

use crate::bulk::{self, BulkOptions, BulkReport, ResultSink};
use crate::close::{self, CloseOptions, CloseResult};
use crate::diagnose::{self, ScopeOptions, ScopeReport};
use crate::discover::{self, Candidate, FindOptions, FindReport, IdleConversation};
use crate::error::{Error, ErrorCode};
use crate::genesys::ids::IdInput;
use crate::genesys::model::TokenInfo;
use crate::genesys::routes;
use crate::http::config::ConnectionOptions;
use crate::http::transport::{Parsed, Request, Transport};
use crate::observe::events::EventSink;
use crate::observe::operation;
use crate::stats::Totals;
use crate::verdicts::Verdicts;
use reqwest::Method;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
    organization: Arc<std::sync::OnceLock<String>>,
    /// The listener, for the `operationStart`/`operationEnd` events.
    events: Option<EventSink>,
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
    /// Empty here: they went to the sweep's result sink, in whose order the
    /// JS side fills this field (candidate order).
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
            transport: Arc::new(Transport::new(config, events.clone())?),
            organization: Arc::default(),
            events,
        })
    }

    pub async fn close_conversation(
        &self,
        id: &IdInput,
        opts: &CloseOptions,
        cancel: &CancellationToken,
    ) -> Result<CloseResult, Error> {
        let run = close::close_conversation(&self.transport, id, opts, cancel);
        operation::observed(&self.events, "closeConversation", run, |r, e| {
            e.outcome = Some(r.outcome.as_str())
        })
        .await
    }

    pub async fn check_scopes(
        &self,
        opts: &ScopeOptions,
        cancel: &CancellationToken,
    ) -> Result<ScopeReport, Error> {
        let run = diagnose::check_scopes(&self.transport, opts, cancel);
        operation::observed(&self.events, "checkScopes", run, |r, e| {
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
        let run = bulk::close_many(&self.transport, ids, opts, cancel);
        operation::observed(&self.events, "closeConversations", run, |r, e| {
            e.counts = Some(r.counts)
        })
        .await
    }

    pub async fn find_idle(
        &self,
        opts: &FindOptions,
        cancel: &CancellationToken,
    ) -> Result<FindReport, Error> {
        let run = discover::find_idle(&self.transport, opts, cancel);
        operation::observed(&self.events, "findIdleConversations", run, |_, _| {}).await
    }

    /// Finds candidates with analytics, then closes each one that its own
    /// re-read shows idle for `find.idle_for` (the idle guard): analytics
    /// nominates, the conversation decides. `fast` is never used here.
    /// `results` takes every entry and every conversation found as they are
    /// decided: the report's `close.results` and `found` are left empty.
    pub async fn sweep(
        &self,
        find: &FindOptions,
        bulk_opts: BulkOptions,
        results: Arc<dyn ResultSink>,
        cancel: &CancellationToken,
    ) -> Result<SweepReport, Error> {
        let run = self.sweep_run(find, bulk_opts, results, cancel);
        operation::observed(&self.events, "sweep", run, |r, e| {
            e.counts = Some(r.bulk.counts)
        })
        .await
    }

    async fn sweep_run(
        &self,
        find: &FindOptions,
        bulk_opts: BulkOptions,
        results: Arc<dyn ResultSink>,
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
        let candidates: Arc<[Candidate]> = nominated.candidates.into();
        let verdicts = Arc::new(Verdicts::new(candidates.clone(), results));
        opts.results = Some(verdicts.clone());
        // The bulk part of the sweep is not an operation of its own: its
        // requests belong to the sweep.
        let bulk = bulk::close_many(&self.transport, ids, &opts, cancel).await?;
        let mut totals = nominated.totals;
        totals += bulk.totals;
        Ok(SweepReport {
            dry_run,
            scanned: nominated.scanned,
            candidates: candidates.len() as u32,
            found: Vec::new(),
            spared_active: verdicts.spared_active(),
            bulk,
            totals,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Arms the write fence of a leased job for `valid_for` (zero: the lease
    /// is known lost), or lifts it (`None`: no leased job runs).
    pub fn fence_writes(&self, valid_for: Option<std::time::Duration>) {
        match valid_for {
            Some(d) => self.transport.fence().arm(d),
            None => self.transport.fence().disarm(),
        }
    }

    /// The id of the organization the token belongs to (`GET /api/v2/tokens/me`),
    /// read once per client: it names a job's lease.
    pub async fn organization_id(&self, cancel: &CancellationToken) -> Result<String, Error> {
        if let Some(id) = self.organization.get() {
            return Ok(id.clone());
        }
        let id = read_organization_id(&self.transport, cancel).await?;
        Ok(self.organization.get_or_init(|| id).clone())
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

/// `GET /api/v2/tokens/me` -> `organization.id`.
async fn read_organization_id(t: &Transport, cancel: &CancellationToken) -> Result<String, Error> {
    let req = Request {
        method: Method::GET,
        path: routes::TOKENS_ME.into(),
        route: routes::TOKENS_ME,
        body: None,
        action: "reading the token's organization (tokens/me)",
    };
    let reply = t
        .send(&req, &mut t.call(cancel), |status, body| match status {
            200 => match serde_json::from_slice::<TokenInfo>(body) {
                Ok(v) => Parsed::Accept(v),
                Err(_) => Parsed::Unreadable,
            },
            _ => Parsed::Reject,
        })
        .await?;
    reply
        .value
        .organization
        .map(|o| o.id)
        .filter(|id| !id.is_empty() && id.len() <= 64)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Upstream,
                "Genesys answered tokens/me without an organization id, which names the job's lease: pass the lease a key of its own (redisLease(client, { key })).",
            )
        })
}
