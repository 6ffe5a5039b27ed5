//! The one request pipeline every call goes through: the rate budget, bearer token,
//! per-attempt timeout, overall deadline, retry classification and backoff,
//! `Retry-After`, the retry budget, correlation ids, cancellation and events.

use crate::api_error::{self, Context, ErrorBody};
use crate::auth::{Bearer, TokenSource};
use crate::config::ClientConfig;
use crate::divisions::Holdings;
use crate::error::{Error, ErrorCode};
use crate::events::{Event, EventKind, EventSink};
use crate::fence::Fence;
use crate::net_error;
use crate::pacing::pair::PairDecision;
use crate::pacing::{Decision, RateBudget, RateLimitHeaders, Ticket, WaitReason, ANSWER_POLL};
use crate::retry::{classify_status, RetryBudget, RetryKind, RetryPolicy};
use crate::token_fetch::TokenFetcher;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod decided;
pub use decided::{Decided, WriteAttempts, WriteSlot};

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

/// Counters of one operation, reported to the caller.
#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallStats {
    pub requests: u32,
    /// API writes sent (PATCH, POST, DELETE): an abort after one is not "aborted".
    #[serde(skip)]
    pub writes: u32,
    pub retries: u32,
    pub rate_limited: u32,
    pub correlation_ids: Vec<String>,
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

/// Why an answer could not be read off the wire.
enum ReadError {
    Http(reqwest::Error),
    /// Longer than `maxResponseBytes` (announced or as it streamed).
    TooLarge,
}

impl From<reqwest::Error> for ReadError {
    fn from(e: reqwest::Error) -> Self {
        ReadError::Http(e)
    }
}

/// Reads a body of at most `max` bytes: a hostile or broken server cannot
/// make us buffer more than that, whatever its `Content-Length` says.
async fn read_bounded(mut resp: reqwest::Response, max: usize) -> Result<Bytes, ReadError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(ReadError::TooLarge);
    }
    // Most answers arrive in one chunk: that chunk is the body, uncopied.
    let Some(first) = resp.chunk().await? else {
        return Ok(Bytes::new());
    };
    if first.len() > max {
        return Err(ReadError::TooLarge);
    }
    let Some(second) = resp.chunk().await? else {
        return Ok(first);
    };
    let hint = resp.content_length().unwrap_or(0).min(max as u64) as usize;
    let mut buf = bytes::BytesMut::with_capacity(hint.max(first.len()));
    buf.extend_from_slice(&first);
    let mut chunk = second;
    loop {
        if buf.len() + chunk.len() > max {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
        match resp.chunk().await? {
            Some(next) => chunk = next,
            None => break,
        }
    }
    Ok(buf.freeze())
}

/// A complete answer off the wire.
struct RawResponse {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    sent_at: Instant,
}

/// Why an attempt failed, and what retrying it would cost.
pub(crate) struct Failure {
    kind: RetryKind,
    error: Error,
    retry_after: Option<Duration>,
    cost: i64,
}

impl Failure {
    fn transient(error: Error, cost: i64) -> Self {
        Failure {
            kind: RetryKind::Transient,
            error,
            retry_after: None,
            cost,
        }
    }

    fn fatal(error: Error) -> Self {
        Failure {
            kind: RetryKind::Client,
            error,
            retry_after: None,
            cost: 0,
        }
    }
}

/// The verdict on one attempt.
pub(crate) enum Judged<T> {
    Done(Reply<T>),
    Failed(Failure),
    /// A 401: replayed once with a fresh token where that is possible.
    Unauthorized(Failure),
}

pub struct Transport {
    http: reqwest::Client,
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
    /// Where the token holds its permissions, fetched at most once per client
    /// (on the first refused close) and shared by every close after it, so a
    /// bulk run of 10k refusals costs those lookups once. `None` inside: the
    /// lookups failed (not retried either).
    holdings: tokio::sync::OnceCell<Option<Holdings>>,
}

impl Transport {
    pub fn new(config: ClientConfig, events: Option<EventSink>) -> Result<Self, Error> {
        let http =
            crate::http_client::build(&config.http, &crate::http_client::NetEnv::from_process())?;
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
            holdings: tokio::sync::OnceCell::new(),
        })
    }

    pub fn auth(&self) -> &TokenSource {
        &self.auth
    }

    /// The write fence of a leased job on this client.
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// The once-per-client memo of where the token holds its permissions.
    pub fn holdings_memo(&self) -> &tokio::sync::OnceCell<Option<Holdings>> {
        &self.holdings
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

    /// Sleeps unless cancelled or past the deadline (used between polls too).
    pub async fn sleep(&self, wait: Duration, call: &Call<'_>) -> Result<(), Error> {
        if let Some(rem) = call.remaining() {
            if wait > rem {
                return Err(Error::new(
                    ErrorCode::Timeout,
                    format!(
                        "The operation's deadline (deadlineMs) would pass while waiting {} ms; gave up.",
                        wait.as_millis()
                    ),
                ));
            }
        }
        tokio::select! {
            _ = call.cancel.cancelled() => Err(Error::aborted()),
            _ = tokio::time::sleep(wait) => Ok(()),
        }
    }

    /// The bearer for an API request: the cached token, or one fetched now
    /// (single flight, see `TokenSource`); the fetch counts in this call's stats.
    async fn bearer(&self, call: &mut Call<'_>) -> Result<Bearer, Error> {
        self.auth.bearer(|| self.tokens.fetch(self, call)).await
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
            let target = Target {
                url: format!("{}{}", self.api_base, req.path),
                authorization: bearer.header.clone(),
                content_type: "application/json",
                write: req.method != Method::GET,
            };
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
                    self.auth.invalidate(bearer.generation);
                    self.count_retry(
                        req,
                        *attempt,
                        (Some(401), None),
                        None,
                        "unauthorized: refreshing the token",
                        call,
                    );
                    continue;
                }
                Judged::Unauthorized(failure) => failure,
            };
            // A 429's Retry-After pauses every request of this token, not
            // only this one (unless it is too long to honour at all).
            if let Some(ra) = failure.retry_after {
                if ra <= self.policy.max_retry_after {
                    self.rate.pause(ra, Instant::now());
                }
            }
            let wait = self.retry_wait(req, failure, *attempt, call)?;
            *attempt += 1;
            self.sleep(wait, call).await?;
        }
    }

    /// One attempt, from sending to the verdict on its answer: shared by the
    /// API pipeline and the token fetcher. `slot` is the rate budget's
    /// permission (API requests only); it learns the answer or its absence.
    pub(crate) async fn attempt<T>(
        &self,
        req: &Request<'_>,
        target: &Target,
        slot: Option<Slot<'_>>,
        attempt: u32,
        call: &mut Call<'_>,
        parse: &(dyn Fn(u16, &[u8]) -> Parsed<T> + Sync),
    ) -> Result<Judged<T>, Error> {
        Ok(match self.send_once(req, target, attempt, call).await? {
            Err(failure) => Judged::Failed(failure),
            Ok(raw) => self.judge(req, raw, slot, attempt, call, parse),
        })
    }

    /// Waits until the rate budget lets this request start, announcing why
    /// it waits. Every wait is bounded by the caller: one longer than
    /// `maxRetryAfterMs`, or than what is left of `deadlineMs`, fails fast with
    /// `ERR_RATE_LIMITED` and `retryAfterMs`; the signal cuts it.
    /// With `pair`, also the write's ticket (see `pacing::pair`).
    async fn wait_for_slot(
        &self,
        req: &Request<'_>,
        attempt: u32,
        call: &Call<'_>,
        pair: bool,
    ) -> Result<(Slot<'_>, Option<Ticket>), Error> {
        let mut announced: Option<(WaitReason, Instant)> = None;
        loop {
            // Registered before asking, so an answer in between is not missed.
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let now = Instant::now();
            let decision = if pair {
                self.rate.reserve_pair(now)
            } else {
                match self.rate.reserve(now) {
                    Decision::Go(ticket) => PairDecision::Go(ticket, None),
                    Decision::Wait { until, reason } => PairDecision::Wait { until, reason },
                }
            };
            let (until, reason) = match decision {
                PairDecision::Go(ticket, spare) => {
                    let slot = Slot {
                        transport: self,
                        ticket: Some(ticket),
                    };
                    return Ok((slot, spare));
                }
                PairDecision::Wait { until, reason } => (until, reason),
            };
            let wait = until.saturating_duration_since(now);
            if wait > ANSWER_POLL {
                self.check_wait_bound(req, wait, reason, call)?;
            }
            let fresh = announced.is_none_or(|(r, u)| {
                r != reason || until.saturating_duration_since(u) > ANSWER_POLL
            });
            // Waits for answers in flight (a round trip, usually) are not
            // announced: only a spent window, a pause or even spacing.
            let announce = wait > ANSWER_POLL || reason != WaitReason::Budget;
            if fresh && announce && !wait.is_zero() {
                announced = Some((reason, until));
                self.emit(|| {
                    let mut e = request_event(EventKind::RateLimitWait, req, attempt);
                    e.wait_ms = Some(wait.as_secs_f64() * 1000.0);
                    // "budget": the window's budget is spent (or committed to
                    // requests in flight); "paused": a 429 asked everyone to
                    // wait; "smoothing": even spacing.
                    e.reason = Some(reason.as_str().into());
                    e
                });
            }
            tokio::select! {
                _ = call.cancel.cancelled() => return Err(Error::aborted()),
                _ = tokio::time::sleep_until(until) => {}
                _ = answered => {}
            }
        }
    }

    /// A rate-limit wait the caller does not allow: `ERR_RATE_LIMITED` with
    /// the wait in `retryAfterMs`, like a `Retry-After` above `maxRetryAfterMs`.
    fn check_wait_bound(
        &self,
        req: &Request<'_>,
        wait: Duration,
        reason: WaitReason,
        call: &Call<'_>,
    ) -> Result<(), Error> {
        let why = match reason {
            WaitReason::Budget => "the token's rate-limit budget is spent until its window turns",
            WaitReason::Paused => "Genesys asked to pause after a 429",
            WaitReason::Smoothing => "even spacing under the token's rate limit",
        };
        let limit = if wait > self.policy.max_retry_after {
            format!(
                "more than maxRetryAfterMs ({} ms)",
                self.policy.max_retry_after.as_millis()
            )
        } else if call.remaining().is_some_and(|rem| wait > rem) {
            "more than is left of deadlineMs".to_string()
        } else {
            return Ok(());
        };
        let mut e = Error::new(
            ErrorCode::RateLimited,
            format!(
                "Not sending {}: {why}, a wait of {} ms, {limit}; failing fast instead of blocking.",
                req.action,
                wait.as_millis()
            ),
        );
        e.retry_after_ms = Some(wait.as_millis() as u64);
        Err(e)
    }

    /// One attempt on the wire, bounded by the per-attempt timeout and the
    /// deadline. The outer `Err` ends the operation (abort, deadline passed);
    /// the inner one is a transport failure that may be retried.
    async fn send_once(
        &self,
        req: &Request<'_>,
        target: &Target,
        attempt: u32,
        call: &mut Call<'_>,
    ) -> Result<Result<RawResponse, Failure>, Error> {
        let timeout = match call.remaining() {
            Some(rem) if rem.is_zero() => {
                return Err(Error::new(
                    ErrorCode::Timeout,
                    format!("The deadline passed before {} could be sent.", req.action),
                ))
            }
            Some(rem) => self.attempt_timeout.min(rem),
            None => self.attempt_timeout,
        };
        // Which limit cut the attempt, for its message: the deadline, when
        // what was left of it was shorter than timeoutMs.
        let limit = if timeout < self.attempt_timeout {
            "what was left of deadlineMs"
        } else {
            "timeoutMs"
        };
        let builder = self.request_builder(req, target);
        self.emit(|| request_event(EventKind::Request, req, attempt));
        let sent_at = Instant::now();
        // Counted when sent: the server may see it even if we stop waiting.
        call.stats.requests += 1;
        if target.write {
            call.stats.writes += 1;
        }
        let exchange = tokio::time::timeout(timeout, async {
            let resp = builder.send().await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = read_bounded(resp, self.max_response_bytes).await?;
            Ok::<_, ReadError>(RawResponse {
                status,
                headers,
                body,
                sent_at,
            })
        });
        // A read is abandoned at once on abort. A write already on its way is
        // awaited (bounded by the attempt timeout) and its answer decides the
        // outcome: "aborted" must mean that nothing was written.
        let outcome = if req.method == Method::GET {
            tokio::select! {
                _ = call.cancel.cancelled() => return Err(Error::aborted()),
                r = exchange => r,
            }
        } else {
            exchange.await
        };
        Ok(match outcome {
            Ok(Ok(raw)) => Ok(raw),
            Ok(Err(e)) => Err(self.read_failure(req, e)),
            Err(_) => Err(Failure::transient(
                Error::new(
                    ErrorCode::Timeout,
                    format!(
                        "The request for {} took longer than {} ms ({limit}) and was abandoned; retries, if allowed, did not help.",
                        req.action,
                        timeout.as_millis()
                    ),
                ),
                RetryBudget::TIMEOUT_COST,
            )),
        })
    }

    /// The HTTP request for one attempt.
    fn request_builder(&self, req: &Request<'_>, target: &Target) -> reqwest::RequestBuilder {
        let builder = self
            .http
            .request(req.method.clone(), target.url.as_str())
            .header(AUTHORIZATION, target.authorization.clone());
        match &req.body {
            Some(body) => builder
                .header(CONTENT_TYPE, target.content_type)
                .body(body.clone()),
            None => builder,
        }
    }

    /// Why an answer could not be read, as a failure of the attempt.
    fn read_failure(&self, req: &Request<'_>, e: ReadError) -> Failure {
        match e {
            ReadError::TooLarge => Failure::fatal(Error::new(
                ErrorCode::Upstream,
                format!(
                    "The answer to the request for {} was larger than maxResponseBytes ({} bytes), so it was not read further. No Genesys answer is that large: check baseUrl, or raise maxResponseBytes.",
                    req.action, self.max_response_bytes
                ),
            )),
            ReadError::Http(e) => match net_error::error_for(req.action, &e, e.is_timeout()) {
                (error, true) => Failure::fatal(error),
                (error, false) => Failure::transient(error, RetryBudget::RETRY_COST),
            },
        }
    }

    /// Reads a complete answer: records its correlation id and rate-limit
    /// headers, then lets the caller's parser accept it or names the failure.
    fn judge<T>(
        &self,
        req: &Request<'_>,
        raw: RawResponse,
        slot: Option<Slot<'_>>,
        attempt: u32,
        call: &mut Call<'_>,
        parse: &(dyn Fn(u16, &[u8]) -> Parsed<T> + Sync),
    ) -> Judged<T> {
        let correlation_id = self.observe(req, &raw, slot, attempt, call);
        self.classify(req, raw, correlation_id, call, parse)
    }

    /// Records what every answer tells, whatever it says: its correlation id,
    /// the rate-limit headers for the budget, the `response` event.
    fn observe(
        &self,
        req: &Request<'_>,
        raw: &RawResponse,
        slot: Option<Slot<'_>>,
        attempt: u32,
        call: &mut Call<'_>,
    ) -> Option<String> {
        let status = raw.status;
        let correlation_id = header_str(&raw.headers, "inin-correlation-id")
            .map(|id| api_error::bound_token(&id))
            .filter(|id| !id.is_empty());
        if let Some(id) = &correlation_id {
            call.stats.correlation_ids.push(id.clone());
        }
        if let Some(slot) = slot {
            slot.answered(RateLimitHeaders::from_headers(&raw.headers), status == 429);
        }
        self.emit(|| {
            let mut e = request_event(EventKind::Response, req, attempt);
            e.status = Some(status);
            e.duration_ms = Some(raw.sent_at.elapsed().as_secs_f64() * 1000.0);
            e.correlation_id = correlation_id.clone();
            e
        });
        correlation_id
    }

    /// What the answer means: accepted, a refusal to retry or not, or a 401.
    fn classify<T>(
        &self,
        req: &Request<'_>,
        raw: RawResponse,
        correlation_id: Option<String>,
        call: &mut Call<'_>,
        parse: &(dyn Fn(u16, &[u8]) -> Parsed<T> + Sync),
    ) -> Judged<T> {
        let RawResponse {
            status,
            headers,
            body,
            ..
        } = raw;
        if (300..400).contains(&status) {
            return Judged::Failed(Failure::fatal(
                Error::new(
                    ErrorCode::Upstream,
                    format!(
                        "Genesys answered a redirect ({status}) while {}; it was not followed, so the token is not sent to another host. Check region/baseUrl.",
                        req.action
                    ),
                )
                .with_status(status)
                .with_correlation_id(correlation_id),
            ));
        }
        match parse(status, &body) {
            Parsed::Accept(value) => {
                self.budget.on_success();
                Judged::Done(Reply {
                    status,
                    value,
                    date: headers
                        .get(reqwest::header::DATE)
                        .and_then(|d| d.to_str().ok())
                        .and_then(|d| httpdate::parse_http_date(d).ok()),
                    correlation_id,
                })
            }
            Parsed::Unreadable => Judged::Failed(Failure::transient(
                Error::new(
                    ErrorCode::Upstream,
                    format!("Genesys answered {status} while {} with a body that is not the expected JSON.", req.action),
                )
                .with_status(status)
                .with_correlation_id(correlation_id),
                RetryBudget::RETRY_COST,
            )),
            Parsed::Reject => {
                let principal = self.auth.principal();
                let ctx = Context { action: req.action, principal: &principal };
                let parsed_body = ErrorBody::parse(&body);
                let token_rate_limit = status == 400 && parsed_body.is_token_rate_limit();
                let kind = classify_status(status, token_rate_limit).unwrap_or(RetryKind::Client);
                let mut error = api_error::from_response(status, &body, correlation_id, &ctx);
                let mut retry_after_wait = None;
                if kind == RetryKind::Throttling {
                    call.stats.rate_limited += 1;
                    let ra = retry_after(&headers, &parsed_body);
                    error.retry_after_ms = ra.map(|d| d.as_millis() as u64);
                    retry_after_wait = ra;
                }
                let failure = Failure { kind, error, retry_after: retry_after_wait, cost: RetryBudget::RETRY_COST };
                if status == 401 {
                    Judged::Unauthorized(failure)
                } else {
                    Judged::Failed(failure)
                }
            }
        }
    }

    /// Decides whether a failure is retried and how long to wait first; the
    /// error when it is not (not retryable, fail-fast Retry-After, retries or
    /// budget spent, deadline too close).
    pub(crate) fn retry_wait(
        &self,
        req: &Request<'_>,
        failure: Failure,
        attempt: u32,
        call: &mut Call<'_>,
    ) -> Result<Duration, Error> {
        let Failure {
            kind,
            error,
            retry_after,
            cost,
        } = failure;
        if !kind.is_retryable() {
            return Err(error);
        }
        if let Some(ra) = retry_after {
            if ra > self.policy.max_retry_after {
                let mut error = error;
                error.message = format!(
                    "{} Genesys asked to wait {} s, more than maxRetryAfterMs ({} ms), so this fails fast instead of blocking.",
                    api_error::full_stop(&error.message),
                    ra.as_secs(),
                    self.policy.max_retry_after.as_millis()
                );
                return Err(error);
            }
        }
        // Honouring a server's Retry-After does not draw from the budget:
        // it cannot add load. Every other retry does.
        let allowed = attempt < self.policy.max_retries
            && (retry_after.is_some() || self.budget.try_acquire(cost));
        if !allowed {
            return Err(error);
        }
        let wait =
            retry_after.unwrap_or_else(|| self.policy.backoff(attempt, rand::random::<f64>()));
        if call.remaining().is_some_and(|rem| wait >= rem) {
            return Err(error);
        }
        let reason = format!("{kind:?}").to_lowercase();
        self.count_retry(
            req,
            attempt,
            (error.status, error.network_cause),
            Some(wait),
            &reason,
            call,
        );
        Ok(wait)
    }

    /// Counts a retry in the operation's stats and announces it.
    fn count_retry(
        &self,
        req: &Request<'_>,
        attempt: u32,
        (status, network_cause): (Option<u16>, Option<net_error::NetCause>),
        wait: Option<Duration>,
        reason: &str,
        call: &mut Call<'_>,
    ) {
        call.stats.retries += 1;
        self.emit(|| {
            let mut e = request_event(EventKind::Retry, req, attempt);
            e.status = status;
            e.network_cause = network_cause;
            e.wait_ms = wait.map(|w| w.as_secs_f64() * 1000.0);
            e.reason = Some(reason.to_string());
            e
        });
    }

    pub(crate) fn emit(&self, make: impl FnOnce() -> Event) {
        if let Some(sink) = &self.events {
            let mut event = make();
            event.operation = crate::operation::current();
            sink(event);
        }
    }
}

/// A request the rate budget let start: its answer (or its end without one)
/// goes back to the budget exactly once, and wakes the requests waiting.
pub(crate) struct Slot<'a> {
    transport: &'a Transport,
    ticket: Option<Ticket>,
}

impl Slot<'_> {
    fn answered(mut self, headers: RateLimitHeaders, limited: bool) {
        if let Some(t) = self.ticket.take() {
            let tr = self.transport;
            tr.rate.observe(t, headers, limited, Instant::now());
            tr.answered.notify_waiters();
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            let tr = self.transport;
            tr.rate.abandon(t, Instant::now());
            tr.answered.notify_waiters();
        }
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

/// Longest wait a server can make us report (`retryAfterMs`): a day. No rate
/// window is longer; a larger number is noise (1e10 s was seen) that would
/// only mislead a caller planning a retry.
const RETRY_AFTER_CAP_SECS: f64 = 86_400.0;

/// The wait a 429 asks for: `Retry-After` (seconds or an HTTP date), else the
/// `[N]` of the message, else `inin-ratelimit-reset`; at most a day.
fn retry_after(headers: &HeaderMap, body: &ErrorBody) -> Option<Duration> {
    if let Some(v) = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if let Ok(secs) = v.parse::<f64>() {
            if secs.is_finite() && secs >= 0.0 {
                return Some(Duration::from_secs_f64(secs.min(RETRY_AFTER_CAP_SECS)));
            }
        }
        if let Ok(when) = httpdate::parse_http_date(v) {
            let wait = when.duration_since(SystemTime::now()).unwrap_or_default();
            return Some(wait.min(Duration::from_secs_f64(RETRY_AFTER_CAP_SECS)));
        }
    }
    if let Some(secs) = body
        .message
        .as_deref()
        .and_then(api_error::retry_seconds_from_message)
    {
        return Some(Duration::from_secs_f64(
            (secs as f64).min(RETRY_AFTER_CAP_SECS),
        ));
    }
    header_str(headers, "inin-ratelimit-reset")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(RETRY_AFTER_CAP_SECS)))
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
