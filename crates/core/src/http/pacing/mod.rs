//! Keeps a client's requests within the token's rate limit, from what the
//! server says on every answer (`inin-ratelimit-allowed`, `-count`, `-reset`),
//! so that a request starts at once while the token has budget and nothing
//! waits for an invisible schedule.
//!
//! The budget. The window's `count` is the largest answered to requests sent
//! since it began (answers to earlier ones describe an older window). The token's
//! remaining budget is `allowed - reserve - count - in flight`; a request
//! starts at once while some is left, committing at most half of what is left
//! at a time (a quarter once `count` shows someone else using the token), so
//! that two processes sharing the token (whose requests show in `count`, but
//! not while in flight) rarely spend the same part.
//!
//! When it is spent, we wait for a slot to free, then send one probe:
//! - `reset` (whole seconds, rounded up or down: UNCONFIRMED for Genesys) puts
//!   the window's end within `(t_sent + reset - 1, t_received + reset]` if
//!   rounded up, a second later if rounded down. The upper ends of every answer
//!   of the window give the "envelope": with the rounding known, the window
//!   has turned by `min(t_received + reset) + offset` (offset 0 s rounded up,
//!   1 s rounded down). We start by assuming up; a probe refused with 429 at
//!   that time proves it is rounded down (the "boundary 429 teaches the
//!   offset"): at most one 429 per client for it.
//! - Our own answers: whatever the window's shape (fixed from the first
//!   request, aligned to the clock, sliding), a request the server counted
//!   frees its slot at most one window after it was answered. `window` is the
//!   largest `reset` seen (again taught by a 429 if that is a second short).
//!   This is what follows a sliding window, where `count` never drops back.
//!
//! The probe's answer decides: a `count` lower than the last one (a window
//! turned, or slots of a sliding window freed) gives the budget back at once.
//! Learning from `count` dropping rather than from `reset` alone is what keeps
//! either rounding from making us fire early into 429s.
//!
//! Even spacing (`Pacing::Smooth`, a GCRA without burst at 98% of the rate)
//! stays as an option for callers who want smooth load, and as the fallback
//! when the budget keeps being surprised by 429s it did not expect.
//!
//! Everything takes the time as an argument: the tests drive a fake clock.
//!
//! The parts: this file (the types, and `RateBudget`: the lock around the
//! state), `state` (what the answers taught and the rules above, under the
//! lock), `pair` (a read and the write it decides, reserved together).

use state::{Basis, State};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// How requests are paced under the token's limit (the `pacing` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pacing {
    /// Spend the window's budget at once, then wait for it to turn.
    #[default]
    Budget,
    /// Even spacing at 98% of `allowed / window`.
    Smooth,
}

/// Why a request has to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// The window's budget is spent (or the rest is committed to requests in
    /// flight): waiting for the window to turn or for answers.
    Budget,
    /// A 429 asked everyone to wait.
    Paused,
    /// Even spacing (the `smooth` option, or the fallback).
    Smoothing,
}

impl WaitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::Budget => "budget",
            WaitReason::Paused => "paused",
            WaitReason::Smoothing => "smoothing",
        }
    }
}

/// What `reserve` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Start now; give the ticket back to `observe` or `abandon`.
    Go(Ticket),
    /// Ask again at `until`, or sooner when an answer arrives (`observe`).
    Wait { until: Instant, reason: WaitReason },
}

/// One started request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    seq: u64,
    sent_at: Instant,
    /// Requests already in flight when this one started.
    inflight_before: u32,
    /// Sent to find out whether a spent window has turned.
    probe: Option<Basis>,
    /// Sent at a chosen time to read the window's phase from `reset`.
    sample: bool,
}

/// The rate-limit headers of one response, already bounded: values a server
/// should never send (0 or absurdly large limits, negative or huge counts,
/// non-numeric, a reset over a day) are dropped or clamped.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateLimitHeaders {
    pub allowed: Option<u32>,
    pub count: Option<u32>,
    pub reset_secs: Option<f64>,
}

/// Largest `allowed` taken seriously; above it (the emulator reports a
/// million when its limiter is off) the token is treated as unlimited.
pub const MAX_ALLOWED: u64 = 100_000;
/// `reset` is clamped to a day.
pub const MAX_RESET_SECS: f64 = 86_400.0;
/// How long a waiter sleeps when it waits for answers (it is woken earlier by
/// `observe`; this only bounds a missed wake-up).
pub const ANSWER_POLL: Duration = Duration::from_millis(50);
/// A client's rate budget, shared by all its requests.
#[derive(Debug)]
pub struct RateBudget {
    state: Mutex<State>,
}

impl Default for RateBudget {
    fn default() -> Self {
        RateBudget::new(Pacing::Budget)
    }
}

impl RateBudget {
    pub fn new(pacing: Pacing) -> Self {
        RateBudget {
            state: Mutex::new(State::new(pacing)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// May a request start now? `Go` hands out a ticket (the request is then
    /// in flight until `observe` or `abandon`); `Wait` says until when.
    pub fn reserve(&self, now: Instant) -> Decision {
        self.lock().reserve_one(now)
    }

    /// Learns from an answer to a ticket's request; `limited` for a 429.
    pub fn observe(&self, ticket: Ticket, h: RateLimitHeaders, limited: bool, now: Instant) {
        self.lock().observe(ticket, h, limited, now);
    }

    /// A started request ended without an answer (transport failure, timeout,
    /// cancellation). It may have been counted: it keeps a slot.
    pub fn abandon(&self, ticket: Ticket, now: Instant) {
        let mut s = self.lock();
        s.finish(ticket);
        s.remember_own(now);
    }

    /// A 429 told everyone to wait `retry_after`.
    pub fn pause(&self, retry_after: Duration, now: Instant) {
        self.lock().pause(retry_after, now);
    }

    /// Whether the budget gave up on itself and spaces requests evenly.
    #[cfg(test)]
    fn is_smoothing(&self) -> bool {
        self.lock().smoothing
    }
}

impl RateLimitHeaders {
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        fn num(h: &reqwest::header::HeaderMap, name: &str) -> Option<f64> {
            let v: f64 = h.get(name)?.to_str().ok()?.trim().parse().ok()?;
            v.is_finite().then_some(v)
        }
        Self::bounded(
            num(headers, "inin-ratelimit-allowed"),
            num(headers, "inin-ratelimit-count"),
            num(headers, "inin-ratelimit-reset"),
        )
    }

    /// Keeps only believable values: `allowed` a whole number from 1 to
    /// `MAX_ALLOWED` (above: unlimited, dropped), `count` a whole number
    /// from 0, `reset` from 0, clamped to a day.
    pub fn bounded(allowed: Option<f64>, count: Option<f64>, reset: Option<f64>) -> Self {
        let whole = |v: f64| v.fract() == 0.0 && v >= 0.0;
        RateLimitHeaders {
            allowed: allowed
                .filter(|a| whole(*a) && *a >= 1.0 && *a <= MAX_ALLOWED as f64)
                .map(|a| a as u32),
            count: count.filter(|c| whole(*c) && *c <= 1e9).map(|c| c as u32),
            reset_secs: reset.filter(|r| *r >= 0.0).map(|r| r.min(MAX_RESET_SECS)),
        }
    }
}

pub mod pair;
mod state;
#[cfg(test)]
mod tests;
