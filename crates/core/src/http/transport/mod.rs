//! The one request pipeline every call goes through: the rate budget, bearer token,
//! per-attempt timeout, overall deadline, retry classification and backoff,
//! `Retry-After`, the retry budget, correlation ids, cancellation and events.
//!
//! Its parts, one job each:
//! - this file: what a caller hands in and gets back (`Request`, `Parsed`,
//!   `Reply`, `Call`), the `Transport` and the API pipeline's loop
//!   (`send`, `attempts`): bearer, slot, one attempt, the 401 replay, retries;
//! - `token`: what authenticates an API request: the bearer, its refresh
//!   after a 401, the `Target` an attempt is sent to;
//! - `wait`: waiting for the rate budget (`wait_for_slot`, `Slot`) and
//!   sleeping within the deadline;
//! - `attempt`: one attempt on the wire and the verdict on its answer
//!   (`send_once`, the bounded read, `judge`, `classify`);
//! - `retry_wait`: why an attempt failed (`Failure`), whether it is retried
//!   and how long to wait first (`Retry-After`, and the policy and budget of
//!   `http::retry`);
//! - `decided`: a write decided by a read, sent right after it or not at all;
//! - `public`: an unauthenticated GET of a public file (a deployment's `config.json`);
//! - `token_fetch`: fetching a client-credentials token, with its own small
//!   retry loop over the same `attempt` (no bearer, no rate budget).

use crate::error::Error;
use crate::http::auth::TokenSource;
use crate::http::config::ClientConfig;
use crate::http::fence::Fence;
use crate::http::pacing::RateBudget;
use crate::http::retry::{RetryBudget, RetryPolicy};
use crate::observe::events::{Event, EventKind, EventSink};
use crate::stats::CallStats;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod attempt;
mod decided;
mod public;
mod retry_wait;
mod token;
mod token_fetch;
mod wait;
pub(crate) use attempt::Judged;
pub use decided::{Decided, WriteAttempts, WriteSlot};
use token_fetch::TokenFetcher;
use wait::Slot;

/// What the caller wants sent.
pub struct Request<'a> {
    pub method: Method,
    /// Path under the API base, already built from validated ids.
    pub path: String,
    /// Path template for events (`/api/v2/conversations/messages/{conversationId}`).
    pub route: &'static str,
    pub body: Option<Bytes>,
    /// Words for error messages: "reading conversation X".
    pub action: &'a str,
}

/// A response the caller accepted, with its parsed value.
pub struct Reply<T> {
    pub status: u16,
    pub value: T,
    pub correlation_id: Option<String>,
    /// The server's `Date` header: Genesys's clock, for comparing its timestamps.
    pub date: Option<SystemTime>,
}

/// The verdict of a caller's parser on a completed response.
pub enum Parsed<T> {
    /// Done: return this.
    Accept(T),
    /// Not a status the caller handles: map it to a typed error (or retry it).
    Reject,
    /// The status was fine but the body was unreadable (truncated, not JSON):
    /// retried like a transient failure, since every request we send is safe to repeat.
    Unreadable,
}

/// One operation's context: its counters, its cancellation and its deadline.
pub struct Call<'a> {
    pub stats: CallStats,
    pub cancel: &'a CancellationToken,
    pub deadline: Option<Instant>,
    pub started: Instant,
}

impl Call<'_> {
    fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

/// Where one attempt goes and what authenticates it. The API pipeline and
/// the token fetcher each resolve their own, so the attempt never asks which
/// of the two it serves.
pub(crate) struct Target {
    pub url: String,
    pub authorization: HeaderValue,
    pub content_type: &'static str,
    /// An API write: once it is sent, an abort no longer means "nothing written".
    pub write: bool,
}

pub struct Transport {
    /// Shared by every client of the process with the same HTTP settings.
    http: Arc<reqwest::Client>,
    api_base: String,
    tokens: TokenFetcher,
    auth: TokenSource,
    policy: RetryPolicy,
    budget: RetryBudget,
    rate: RateBudget,
    /// Woken on every answer: requests waiting for answers re-check the budget.
    answered: Notify,
    attempt_timeout: Duration,
    deadline: Option<Duration>,
    max_response_bytes: usize,
    events: Option<EventSink>,
    /// Writes of a leased job stop when its lease is not known valid.
    fence: Fence,
}

impl Transport {
    pub fn new(config: ClientConfig, events: Option<EventSink>) -> Result<Self, Error> {
        let http = crate::http::http_client::shared(
            &config.http,
            &crate::http::http_client::NetEnv::from_process(),
        )?;
        Ok(Transport {
            http,
            tokens: TokenFetcher::new(&config.endpoints.login_base),
            api_base: config.endpoints.api_base,
            auth: TokenSource::new(config.credentials)?,
            policy: config.policy,
            budget: RetryBudget::default(),
            rate: RateBudget::new(config.pacing),
            answered: Notify::new(),
            attempt_timeout: config.attempt_timeout,
            deadline: config.deadline,
            max_response_bytes: config.max_response_bytes,
            events,
            fence: Fence::default(),
        })
    }

    pub fn auth(&self) -> &TokenSource {
        &self.auth
    }

    /// The write fence of a leased job on this client.
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// The API base (`https://api.{domain}` or the `baseUrl`), against which
    /// a notification channel's `connectUri` is checked.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// Starts an operation's context (its deadline counts from now).
    pub fn call<'a>(&self, cancel: &'a CancellationToken) -> Call<'a> {
        let now = Instant::now();
        Call {
            stats: CallStats::default(),
            cancel,
            deadline: self.deadline.map(|d| now + d),
            started: now,
        }
    }

    /// Sends an API request with retries; `parse` decides what is accepted.
    pub async fn send<T>(
        &self,
        req: &Request<'_>,
        call: &mut Call<'_>,
        parse: impl Fn(u16, &[u8]) -> Parsed<T> + Sync,
    ) -> Result<Reply<T>, Error> {
        self.execute(req, call, &parse).await
    }

    /// The API pipeline: bearer, rate budget, one attempt, the 401 replay,
    /// a 429's pause, retries.
    async fn execute<T>(
        &self,
        req: &Request<'_>,
        call: &mut Call<'_>,
        parse: &(dyn Fn(u16, &[u8]) -> Parsed<T> + Sync),
    ) -> Result<Reply<T>, Error> {
        let mut attempt: u32 = 0;
        let result = self.attempts(req, call, parse, &mut attempt, false).await;
        if let Err(e) = &result {
            self.give_up(req, attempt, e);
        }
        result.map(|(reply, _)| reply)
    }

    /// A request failed for good: the `giveUp` event.
    pub(crate) fn give_up(&self, req: &Request<'_>, attempt: u32, e: &Error) {
        self.emit(|| {
            let mut ev = request_event(EventKind::GiveUp, req, attempt);
            ev.code = Some(e.code);
            ev.status = e.status;
            ev.correlation_id = e.correlation_id.clone();
            ev
        });
    }

    /// `pair`: each attempt starts only when the budget can start a write
    /// right after it too; the write's slot comes back with the reply.
    async fn attempts<T>(
        &self,
        req: &Request<'_>,
        call: &mut Call<'_>,
        parse: &(dyn Fn(u16, &[u8]) -> Parsed<T> + Sync),
        attempt: &mut u32,
        pair: bool,
    ) -> Result<(Reply<T>, WriteSlot<'_>), Error> {
        let mut replayed_401 = false;
        loop {
            if call.cancel.is_cancelled() {
                return Err(Error::aborted());
            }
            // The token first: callers share one fetch (and its failure)
            // instead of taking turns at the rate budget.
            let bearer = self.bearer(call).await?;
            // An earlier attempt's spare slot is given back here (dropped).
            let (slot, spare) = self.wait_for_slot(req, *attempt, call, pair).await?;
            let spare = WriteSlot::new(self, spare);
            let target = self.api_target(req, &bearer, req.method != Method::GET);
            // Checked last, right before sending: the wait for the slot may
            // have outlasted the lease.
            if target.write {
                self.fence.check(req.action)?;
            }
            let failure = match self
                .attempt(req, &target, Some(slot), *attempt, call, parse)
                .await?
            {
                Judged::Done(reply) => return Ok((reply, spare)),
                Judged::Failed(failure) => failure,
                // The cached token was revoked or expired early: fetch a new
                // one once and replay.
                Judged::Unauthorized(_) if self.auth.can_refresh() && !replayed_401 => {
                    replayed_401 = true;
                    self.refresh_after_401(req, *attempt, &bearer, call);
                    continue;
                }
                Judged::Unauthorized(failure) => failure,
            };
            // A 429's Retry-After pauses every request of this token, not
            // only this one (unless it is too long to honour at all).
            self.pause_for(&failure);
            let wait = self.retry_wait(req, failure, *attempt, call)?;
            *attempt += 1;
            self.sleep(wait, call).await?;
        }
    }

    pub(crate) fn emit(&self, make: impl FnOnce() -> Event) {
        if let Some(sink) = &self.events {
            let mut event = make();
            event.operation = crate::observe::operation::current();
            sink(event);
        }
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

/// An event about `req`'s attempt.
fn request_event(kind: EventKind, req: &Request<'_>, attempt: u32) -> Event {
    Event::new(kind, method_str(&req.method), req.route, attempt)
}

fn method_str(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}
