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

use std::collections::VecDeque;
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

/// Which estimate released a probe (what a 429 on it teaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    Envelope,
    OwnLog,
    /// Nothing better known: once a second.
    Poll,
    /// The limit is not known yet.
    Unknown,
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
/// Share of the window we keep for others (`allowed / 100`, rounded down).
const RESERVE_DIVISOR: u32 = 100;
/// How long a waiter sleeps when it waits for answers (it is woken earlier by
/// `observe`; this only bounds a missed wake-up).
pub const ANSWER_POLL: Duration = Duration::from_millis(50);
/// 429s the budget did not expect before it falls back to even spacing.
const SURPRISES_BEFORE_SMOOTHING: u32 = 3;
/// Own answers remembered (the own log cannot need more than `allowed`).
const MAX_LOG: usize = 20_000;
/// Fraction of the advertised rate even spacing aims for: evenly spaced
/// requests put at most `share * allowed + 1` in any window; the margin
/// absorbs jitter that bunches requests at a boundary.
const SMOOTH_SHARE: f64 = 0.98;
/// The last requests of the first window, whose end is known to a second
/// only, are sent at chosen times: each halves the uncertainty (3: to 1/8 s).
const SAMPLES: i64 = 3;
/// Below this uncertainty about the window's end, no sampling.
const PRECISE_ENOUGH: Duration = Duration::from_millis(100);

#[derive(Debug)]
struct State {
    /// The limit, once an answer said it.
    allowed: Option<u32>,
    /// An answer came without usable headers and no limit is known: unpaced
    /// (429s still pause everyone).
    headerless: bool,
    next_seq: u64,
    inflight: u32,
    probe_inflight: bool,
    /// The largest `count` answered in the current window, and the latest
    /// request (by sending order) answered in it.
    count: u32,
    count_seq: u64,
    /// When our answered requests arrived (each holds a slot for at most a
    /// window after that).
    own: VecDeque<Instant>,
    /// Largest `reset` seen: the window length, as far as we know.
    window: Duration,
    /// Added to `window` after a probe released by the own log met a 429.
    window_extra: Duration,
    /// The envelope of this window: min of `received + reset`, from answers
    /// to requests sent at or after `envelope_seq`.
    envelope: Option<Instant>,
    /// The other side: max of `sent + reset`. The end is within
    /// `(low - 1 s, envelope]` (+ offset).
    envelope_low: Option<Instant>,
    envelope_seq: u64,
    sampling: bool,
    /// A turn was seen: later windows' answers come right after their start,
    /// where `reset` reads the end precisely, so no more sampling.
    turned_once: bool,
    /// 0 s while `reset` is believed rounded up, 1 s once a 429 proved otherwise.
    offset: Duration,
    paused_until: Option<Instant>,
    surprises: u32,
    /// Someone else uses the token: a window's count went above all we sent
    /// in it. Then we commit a quarter of what is free at a time, not half
    /// (their requests in flight are invisible to us), and 429s are no reason
    /// to give up the budget for even spacing.
    shared: bool,
    smoothing: bool,
    /// Even spacing: the next free slot, and requests sent before the limit
    /// was known (they count as used slots of the schedule).
    next_slot: Option<Instant>,
    unpaced: u32,
    first_start: Option<Instant>,
}

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
            state: Mutex::new(State {
                allowed: None,
                headerless: false,
                next_seq: 1,
                inflight: 0,
                probe_inflight: false,
                count: 0,
                count_seq: 0,
                own: VecDeque::new(),
                window: Duration::ZERO,
                window_extra: Duration::ZERO,
                envelope: None,
                envelope_low: None,
                envelope_seq: 0,
                sampling: false,
                turned_once: false,
                offset: Duration::ZERO,
                paused_until: None,
                surprises: 0,
                shared: false,
                smoothing: pacing == Pacing::Smooth,
                next_slot: None,
                unpaced: 0,
                first_start: None,
            }),
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
        let mut s = self.lock();
        s.finish(ticket);
        if let Some(reset) = h.reset_secs {
            let reset = Duration::from_secs_f64(reset);
            s.window = s.window.max(reset);
            if ticket.seq >= s.envelope_seq {
                let end = now + reset;
                s.envelope = Some(s.envelope.map_or(end, |e| e.min(end)));
                let low = ticket.sent_at + reset;
                s.envelope_low = Some(s.envelope_low.map_or(low, |l| l.max(low)));
            }
        }
        match h.allowed {
            Some(a) => {
                s.allowed = Some(a);
                s.headerless = false;
            }
            None if s.allowed.is_none() => s.headerless = true,
            None => {}
        }
        // A refused request holds no slot of a sliding window, and belongs to
        // a spent window otherwise.
        if !limited {
            s.remember_own(now);
        }
        if let (Some(c), Some(allowed)) = (h.count, s.allowed) {
            let later = ticket.seq > s.count_seq;
            let dropped = later
                && s.count_seq != 0
                && u64::from(c) + u64::from(ticket.inflight_before) < u64::from(s.count);
            let turned = dropped || (ticket.probe.is_some() && !limited);
            if turned {
                // A window turned (or slots freed): this answer opens a new
                // window and a new envelope.
                if ticket.probe != Some(Basis::Unknown) {
                    s.turned_once = true;
                }
                s.count = c;
                s.count_seq = ticket.seq;
                s.envelope_seq = ticket.seq;
                s.envelope = h.reset_secs.map(|r| now + Duration::from_secs_f64(r));
                s.envelope_low = h
                    .reset_secs
                    .map(|r| ticket.sent_at + Duration::from_secs_f64(r));
            } else if ticket.seq >= s.envelope_seq {
                // Requests sent together may be counted in another order than
                // they were sent: the window's count is the largest answered.
                s.count = s.count.max(c);
                s.count_seq = s.count_seq.max(ticket.seq);
            }
            // Ours in this window: every request sent since it began.
            let ours = s.next_seq.saturating_sub(s.envelope_seq.max(1));
            if u64::from(c) > ours + 1 {
                s.shared = true;
            }
            if limited {
                s.count = s.count.max(allowed);
                if ticket.probe.is_some() {
                    // The refusal is the freshest word on when a slot frees
                    // (another user may have taken the one we saw coming).
                    s.envelope = h.reset_secs.map(|r| now + Duration::from_secs_f64(r));
                    s.envelope_low = h
                        .reset_secs
                        .map(|r| ticket.sent_at + Duration::from_secs_f64(r));
                }
            }
        }
        if limited {
            s.learn_from_429(ticket);
        }
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
        let mut s = self.lock();
        let until = now + retry_after;
        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        // Even spacing restarts after the pause rather than bursting to catch up.
        if s.smoothing {
            s.next_slot = Some(s.next_slot.map_or(until, |n| n.max(until)));
        }
    }

    /// Whether the budget gave up on itself and spaces requests evenly.
    #[cfg(test)]
    fn is_smoothing(&self) -> bool {
        self.lock().smoothing
    }
}

impl State {
    /// `RateBudget::reserve`, under the lock.
    fn reserve_one(&mut self, now: Instant) -> Decision {
        let s = self;
        if let Some(p) = s.paused_until {
            if p > now {
                return Decision::Wait {
                    until: p,
                    reason: WaitReason::Paused,
                };
            }
            s.paused_until = None;
        }
        if s.smoothing {
            return s.smooth(now);
        }
        let Some(allowed) = s.allowed else {
            // Until an answer says the limit, one request at a time (an
            // unpaced opening burst could meet a limit of 1). Without headers,
            // nothing to follow: unpaced.
            if s.headerless || s.inflight == 0 {
                let basis = (!s.headerless).then_some(Basis::Unknown);
                return Decision::Go(s.ticket(now, basis));
            }
            return s.wait_for_answers(now);
        };
        let reserve = allowed / RESERVE_DIVISOR;
        let used = s.used();
        let free = i64::from(allowed) - i64::from(reserve) - i64::from(used);
        if free > 0 {
            // Requests in flight are not in `used` yet: commit at most half of
            // what is free (rounded up) at a time, a quarter when shared.
            let cap = if s.shared {
                (free + 3) / 4
            } else {
                (free + 1) / 2
            };
            if free <= SAMPLES {
                if let Some(at) = s.sample_time(now) {
                    if s.sampling {
                        return s.wait_for_answers(now);
                    }
                    if at > now {
                        return Decision::Wait {
                            until: at,
                            reason: WaitReason::Budget,
                        };
                    }
                    let mut t = s.ticket(now, None);
                    t.sample = true;
                    s.sampling = true;
                    return Decision::Go(t);
                }
            }
            if i64::from(s.inflight) < cap {
                return Decision::Go(s.ticket(now, None));
            }
            return s.wait_for_answers(now);
        }
        if s.probe_inflight {
            return s.wait_for_answers(now);
        }
        let (at, basis) = s.turn_estimate(now);
        if at <= now {
            s.probe_inflight = true;
            return Decision::Go(s.ticket(now, Some(basis)));
        }
        Decision::Wait {
            until: at,
            reason: WaitReason::Budget,
        }
    }

    fn ticket(&mut self, now: Instant, probe: Option<Basis>) -> Ticket {
        let t = Ticket {
            seq: self.next_seq,
            sent_at: now,
            inflight_before: self.inflight,
            probe,
            sample: false,
        };
        self.next_seq += 1;
        self.inflight += 1;
        if probe.is_some() {
            self.probe_inflight = true;
        }
        t
    }

    fn finish(&mut self, ticket: Ticket) {
        self.inflight = self.inflight.saturating_sub(1);
        if ticket.probe.is_some() {
            self.probe_inflight = false;
        }
        if ticket.sample {
            self.sampling = false;
        }
    }

    /// When to send the next phase sample, while the window's end is known
    /// to worse than `PRECISE_ENOUGH`. `reset` (whole seconds) ticks at
    /// instants one second apart, the last of them the window's end: a
    /// request sent `k` whole seconds before the middle of the uncertain
    /// span reads, from its `reset`, on which side of the middle the tick is.
    fn sample_time(&self, now: Instant) -> Option<Instant> {
        if self.turned_once {
            return None;
        }
        let hi = self.envelope?;
        let lo = self.envelope_low?.checked_sub(Duration::from_secs(1))?;
        if hi <= lo + PRECISE_ENOUGH {
            return None;
        }
        let mid = lo + (hi - lo) / 2;
        if mid <= now {
            return Some(now);
        }
        let k = (mid - now).as_secs_f64().floor();
        Some(mid - Duration::from_secs_f64(k))
    }

    fn wait_for_answers(&self, now: Instant) -> Decision {
        Decision::Wait {
            until: now + ANSWER_POLL,
            reason: WaitReason::Budget,
        }
    }

    fn hold(&self) -> Duration {
        self.window + self.window_extra
    }

    fn remember_own(&mut self, now: Instant) {
        if self.own.len() >= MAX_LOG {
            self.own.pop_front();
        }
        self.own.push_back(now);
    }

    /// Forgets our answered requests that can no longer hold a slot (answers
    /// arrive in time order, so the log is sorted).
    fn expire_own(&mut self, now: Instant) {
        let hold = self.hold();
        while self.own.front().is_some_and(|t| *t + hold <= now) {
            self.own.pop_front();
        }
    }

    /// The server's count as of now, as far as we can tell. (Our own log
    /// says when slots may free, but only a probe's answer gives them back: a
    /// window shorter than we think must not release a burst.)
    fn used(&self) -> u32 {
        self.count
    }

    /// When to probe a spent window, and which estimate says so.
    fn turn_estimate(&mut self, now: Instant) -> (Instant, Basis) {
        let envelope = self.envelope.map(|e| e + self.offset);
        let hold = self.hold();
        let own = if hold.is_zero() {
            None
        } else {
            self.expire_own(now);
            self.own.front().map(|t| *t + hold)
        };
        match (envelope, own) {
            (Some(e), Some(o)) if o < e => (o, Basis::OwnLog),
            (Some(e), _) => (e, Basis::Envelope),
            (None, Some(o)) => (o, Basis::OwnLog),
            // No reset header at all: look again once a second.
            (None, None) => (now + Duration::from_secs(1), Basis::Poll),
        }
    }

    fn learn_from_429(&mut self, ticket: Ticket) {
        match ticket.probe {
            // Another user of the token may have taken the slot we saw free:
            // that teaches nothing about the window.
            Some(Basis::OwnLog) if self.shared => {}
            // The window had not turned when the envelope said it would:
            // `reset` is rounded down.
            Some(Basis::Envelope) if self.offset.is_zero() => {
                self.offset = Duration::from_secs(1);
            }
            // Our own slots were held a little longer than `reset` showed.
            Some(Basis::OwnLog) if self.window_extra < Duration::from_secs(2) => {
                self.window_extra += Duration::from_secs(1);
            }
            // A probe with nothing better to go on, or the first request.
            Some(Basis::Poll | Basis::Unknown) => {}
            _ if self.allowed.is_some() && !self.shared => {
                self.surprises += 1;
                if self.surprises >= SURPRISES_BEFORE_SMOOTHING {
                    self.smoothing = true;
                }
            }
            _ => {}
        }
    }

    /// Even spacing: a GCRA without burst at 98% of `allowed / window`.
    fn smooth(&mut self, now: Instant) -> Decision {
        let interval = match self.allowed {
            Some(a) if !self.window.is_zero() => {
                Some(self.hold().div_f64(f64::from(a) * SMOOTH_SHARE))
            }
            _ => None,
        };
        let Some(interval) = interval else {
            // Unpaced until the limit is known; these count against the schedule.
            self.unpaced += 1;
            self.first_start.get_or_insert(now);
            return Decision::Go(self.ticket(now, None));
        };
        if self.next_slot.is_none() {
            let first = self.first_start.unwrap_or(now);
            self.next_slot = Some(first + interval * self.unpaced);
        }
        let slot = self.next_slot.map_or(now, |n| n.max(now));
        if slot > now {
            return Decision::Wait {
                until: slot,
                reason: WaitReason::Smoothing,
            };
        }
        self.next_slot = Some(slot + interval);
        Decision::Go(self.ticket(now, None))
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
#[cfg(test)]
mod tests;
