//! Waiting before an attempt: for the rate budget to let a request start
//! (`wait_for_slot`, bounded by `maxRetryAfterMs` and the deadline, announced
//! in events), the `Slot` that gives its answer back to the budget, and
//! sleeping within the deadline.

use super::{request_event, Call, Request, Transport};
use crate::error::{Error, ErrorCode};
use crate::http::pacing::pair::PairDecision;
use crate::http::pacing::{Decision, RateLimitHeaders, Ticket, WaitReason, ANSWER_POLL};
use crate::observe::events::EventKind;
use std::time::Duration;
use tokio::time::Instant;

impl Transport {
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

    /// Waits until the rate budget lets this request start, announcing why
    /// it waits. Every wait is bounded by the caller: one longer than
    /// `maxRetryAfterMs`, or than what is left of `deadlineMs`, fails fast with
    /// `ERR_RATE_LIMITED` and `retryAfterMs`; the signal cuts it.
    /// With `pair`, also the write's ticket (see `pacing::pair`).
    pub(super) async fn wait_for_slot(
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
}

/// A request the rate budget let start: its answer (or its end without one)
/// goes back to the budget exactly once, and wakes the requests waiting.
pub(crate) struct Slot<'a> {
    pub(super) transport: &'a Transport,
    pub(super) ticket: Option<Ticket>,
}

impl Slot<'_> {
    pub(super) fn answered(mut self, headers: RateLimitHeaders, limited: bool) {
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
