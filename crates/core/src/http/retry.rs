//! When to retry (the classifier) and how long to wait (the policy), kept
//! apart as in smithy-rs: the classifier only names the kind of failure.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// What kind of failure an attempt ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// 429, or the token endpoint's 400 "rate limit exceeded": wait as told.
    Throttling,
    /// Connect errors, resets, timeouts, unreadable bodies, 502/503/504.
    Transient,
    /// Any other 5xx except 501.
    Server,
    /// Everything else: retrying cannot help.
    Client,
}

impl RetryKind {
    pub fn is_retryable(self) -> bool {
        !matches!(self, RetryKind::Client)
    }
}

/// Classifies a completed HTTP answer. `token_rate_limit` is true when the
/// body is the token endpoint's 400 "rate limit exceeded".
pub fn classify_status(status: u16, token_rate_limit: bool) -> Option<RetryKind> {
    match status {
        200..=399 => None,
        429 => Some(RetryKind::Throttling),
        400 if token_rate_limit => Some(RetryKind::Throttling),
        502..=504 => Some(RetryKind::Transient),
        501 => Some(RetryKind::Client),
        500..=599 => Some(RetryKind::Server),
        _ => Some(RetryKind::Client),
    }
}

/// Backoff and limits for one client.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    /// A `Retry-After` above this fails fast instead of blocking (the other
    /// official SDKs give up above 180 s).
    pub max_retry_after: Duration,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            max_retry_after: Duration::from_secs(180),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter exponential backoff: uniform in [0, min(max, base * 2^attempt)].
    /// `attempt` counts from 0 for the first retry.
    pub fn backoff(&self, attempt: u32, unit_random: f64) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max_delay);
        cap.mul_f64(unit_random.clamp(0.0, 1.0))
    }
}

/// A retry quota shared by every request of a client, so an outage cannot
/// multiply the load: each retry draws tokens, each success refunds one.
/// Throttling that comes with a `Retry-After` does not draw: the wait is what
/// Genesys asked for and the pacer already slows everyone down.
#[derive(Debug)]
pub struct RetryBudget {
    tokens: AtomicI64,
    capacity: i64,
}

impl RetryBudget {
    pub const RETRY_COST: i64 = 5;
    pub const TIMEOUT_COST: i64 = 10;
    pub const SUCCESS_REFUND: i64 = 1;

    pub fn new(capacity: i64) -> Self {
        RetryBudget {
            tokens: AtomicI64::new(capacity),
            capacity,
        }
    }

    /// Takes `cost` tokens if there are enough; false means do not retry.
    pub fn try_acquire(&self, cost: i64) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t >= cost).then_some(t - cost)
            })
            .is_ok()
    }

    pub fn on_success(&self) {
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < self.capacity).then(|| (t + Self::SUCCESS_REFUND).min(self.capacity))
            });
    }

    #[cfg(test)]
    pub fn available(&self) -> i64 {
        self.tokens.load(Ordering::Acquire)
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new(500)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_matches_the_official_sdks() {
        assert_eq!(classify_status(200, false), None);
        assert_eq!(classify_status(202, false), None);
        assert_eq!(classify_status(429, false), Some(RetryKind::Throttling));
        assert_eq!(classify_status(400, true), Some(RetryKind::Throttling));
        assert_eq!(classify_status(400, false), Some(RetryKind::Client));
        for s in [502, 503, 504] {
            assert_eq!(classify_status(s, false), Some(RetryKind::Transient));
        }
        assert_eq!(classify_status(500, false), Some(RetryKind::Server));
        assert_eq!(classify_status(501, false), Some(RetryKind::Client));
        for s in [401, 403, 404, 409] {
            assert!(!classify_status(s, false).unwrap().is_retryable());
        }
    }

    #[test]
    fn backoff_is_full_jitter_and_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(3, 1.0), Duration::from_millis(800));
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(3, 0.5), Duration::from_millis(400));
        assert_eq!(p.backoff(30, 1.0), Duration::from_secs(20));
    }

    #[test]
    fn budget_drains_and_refills() {
        let b = RetryBudget::new(10);
        assert!(b.try_acquire(5));
        assert!(b.try_acquire(5));
        assert!(!b.try_acquire(5));
        for _ in 0..5 {
            b.on_success();
        }
        assert!(b.try_acquire(5));
        for _ in 0..100 {
            b.on_success();
        }
        assert_eq!(b.available(), 10);
    }
}
