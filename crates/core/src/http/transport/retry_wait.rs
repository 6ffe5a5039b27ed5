//! Whether a failed attempt is retried, and how long to wait first: the
//! kind comes from `crate::http::retry`'s classifier, the backoff and the budget
//! from its policy; a 429's `Retry-After` pauses every request of the token
//! and is honoured up to `maxRetryAfterMs`; the deadline bounds every wait.

use super::{header_str, request_event, Call, Request, Transport};
use crate::error::Error;
use crate::genesys::api_error::{self, ErrorBody};
use crate::http::retry::RetryKind;
use crate::observe::events::EventKind;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// Why an attempt failed, and what retrying it would cost.
pub(crate) struct Failure {
    pub(super) kind: RetryKind,
    pub(super) error: Error,
    pub(super) retry_after: Option<Duration>,
    pub(super) cost: i64,
}

impl Failure {
    pub(super) fn transient(error: Error, cost: i64) -> Self {
        Failure {
            kind: RetryKind::Transient,
            error,
            retry_after: None,
            cost,
        }
    }

    pub(super) fn fatal(error: Error) -> Self {
        Failure {
            kind: RetryKind::Client,
            error,
            retry_after: None,
            cost: 0,
        }
    }
}

impl Transport {
    /// A 429's Retry-After pauses every request of this token, not only the
    /// one that got it (unless it is too long to honour at all).
    pub(super) fn pause_for(&self, failure: &Failure) {
        if let Some(ra) = failure.retry_after {
            if ra <= self.policy.max_retry_after {
                self.rate.pause(ra, Instant::now());
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
                    crate::text::full_stop(&error.message),
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
    pub(super) fn count_retry(
        &self,
        req: &Request<'_>,
        attempt: u32,
        (status, network_cause): (Option<u16>, Option<crate::error::NetCause>),
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
}

/// Longest wait a server can make us report (`retryAfterMs`): a day. No rate
/// window is longer; a larger number is noise (1e10 s was seen) that would
/// only mislead a caller planning a retry.
const RETRY_AFTER_CAP_SECS: f64 = 86_400.0;

/// The wait a 429 asks for: `Retry-After` (seconds or an HTTP date), else the
/// `[N]` of the message, else `inin-ratelimit-reset`; at most a day.
pub(super) fn retry_after(headers: &HeaderMap, body: &ErrorBody) -> Option<Duration> {
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
