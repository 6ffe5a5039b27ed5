//! One attempt, from sending to the verdict on its answer: the request on
//! the wire (bounded by the attempt timeout and the deadline), the body read
//! within `maxResponseBytes`, what every answer tells (correlation id,
//! rate-limit headers, the `response` event) and what it means (`classify`).

use super::retry_wait::{retry_after, Failure};
use super::wait::Slot;
use super::{header_str, request_event, Call, Parsed, Reply, Request, Target, Transport};
use crate::error::{Error, ErrorCode};
use crate::genesys::api_error::{self, Context, ErrorBody};
use crate::http::net_error;
use crate::http::pacing::RateLimitHeaders;
use crate::http::retry::{classify_status, RetryBudget, RetryKind};
use crate::observe::events::EventKind;
use bytes::Bytes;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use tokio::time::Instant;

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

/// The verdict on one attempt.
pub(crate) enum Judged<T> {
    Done(Reply<T>),
    Failed(Failure),
    /// A 401: replayed once with a fresh token where that is possible.
    Unauthorized(Failure),
}

impl Transport {
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
        let correlation_id = self.observe(&raw, req, attempt, slot, call);
        self.classify(req, raw, correlation_id, call, parse)
    }

    /// Records what every answer tells, whatever it says: its correlation id,
    /// the rate-limit headers for the budget, the `response` event.
    fn observe(
        &self,
        raw: &RawResponse,
        req: &Request<'_>,
        attempt: u32,
        slot: Option<Slot<'_>>,
        call: &mut Call<'_>,
    ) -> Option<String> {
        let status = raw.status;
        let correlation_id = header_str(&raw.headers, "inin-correlation-id")
            .map(|id| crate::text::bound_token(&id))
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
}
