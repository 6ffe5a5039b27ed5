//! The budget's state and its rules, under `RateBudget`'s lock: what the
//! answers taught (the limit, the window, its envelope, the own log), and
//! the decisions taken from it (`reserve_one`, the probe, the samples, even
//! spacing). The why of each rule is in the module doc of `pacing`.

use super::{Decision, Pacing, RateLimitHeaders, Ticket, WaitReason, ANSWER_POLL};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// Which estimate released a probe (what a 429 on it teaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Basis {
    Envelope,
    OwnLog,
    /// Nothing better known: once a second.
    Poll,
    /// The limit is not known yet.
    Unknown,
}

/// Share of the window we keep for others (`allowed / 100`, rounded down).
pub(super) const RESERVE_DIVISOR: u32 = 100;
/// 429s the budget did not expect before it falls back to even spacing.
pub(super) const SURPRISES_BEFORE_SMOOTHING: u32 = 3;
/// Own answers remembered (the own log cannot need more than `allowed`).
pub(super) const MAX_LOG: usize = 20_000;
/// Fraction of the advertised rate even spacing aims for: evenly spaced
/// requests put at most `share * allowed + 1` in any window; the margin
/// absorbs jitter that bunches requests at a boundary.
pub(super) const SMOOTH_SHARE: f64 = 0.98;
/// The last requests of the first window, whose end is known to a second
/// only, are sent at chosen times: each halves the uncertainty (3: to 1/8 s).
pub(super) const SAMPLES: i64 = 3;
/// Below this uncertainty about the window's end, no sampling.
pub(super) const PRECISE_ENOUGH: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub(super) struct State {
    /// The limit, once an answer said it.
    pub(super) allowed: Option<u32>,
    /// An answer came without usable headers and no limit is known: unpaced
    /// (429s still pause everyone).
    pub(super) headerless: bool,
    pub(super) next_seq: u64,
    pub(super) inflight: u32,
    pub(super) probe_inflight: bool,
    /// The largest `count` answered in the current window, and the latest
    /// request (by sending order) answered in it.
    pub(super) count: u32,
    pub(super) count_seq: u64,
    /// When our answered requests arrived (each holds a slot for at most a
    /// window after that).
    pub(super) own: VecDeque<Instant>,
    /// Largest `reset` seen: the window length, as far as we know.
    pub(super) window: Duration,
    /// Added to `window` after a probe released by the own log met a 429.
    pub(super) window_extra: Duration,
    /// The envelope of this window: min of `received + reset`, from answers
    /// to requests sent at or after `envelope_seq`.
    pub(super) envelope: Option<Instant>,
    /// The other side: max of `sent + reset`. The end is within
    /// `(low - 1 s, envelope]` (+ offset).
    pub(super) envelope_low: Option<Instant>,
    pub(super) envelope_seq: u64,
    pub(super) sampling: bool,
    /// A turn was seen: later windows' answers come right after their start,
    /// where `reset` reads the end precisely, so no more sampling.
    pub(super) turned_once: bool,
    /// 0 s while `reset` is believed rounded up, 1 s once a 429 proved otherwise.
    pub(super) offset: Duration,
    pub(super) paused_until: Option<Instant>,
    pub(super) surprises: u32,
    /// Someone else uses the token: a window's count went above all we sent
    /// in it. Then we commit a quarter of what is free at a time, not half
    /// (their requests in flight are invisible to us), and 429s are no reason
    /// to give up the budget for even spacing.
    pub(super) shared: bool,
    pub(super) smoothing: bool,
    /// Even spacing: the next free slot, and requests sent before the limit
    /// was known (they count as used slots of the schedule).
    pub(super) next_slot: Option<Instant>,
    pub(super) unpaced: u32,
    pub(super) first_start: Option<Instant>,
}

impl State {
    pub(super) fn new(pacing: Pacing) -> Self {
        State {
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
        }
    }

    /// `RateBudget::observe`, under the lock.
    pub(super) fn observe(
        &mut self,
        ticket: Ticket,
        h: RateLimitHeaders,
        limited: bool,
        now: Instant,
    ) {
        let s = self;
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

    /// `RateBudget::pause`, under the lock.
    pub(super) fn pause(&mut self, retry_after: Duration, now: Instant) {
        let s = self;
        let until = now + retry_after;
        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        // Even spacing restarts after the pause rather than bursting to catch up.
        if s.smoothing {
            s.next_slot = Some(s.next_slot.map_or(until, |n| n.max(until)));
        }
    }

    /// `RateBudget::reserve`, under the lock.
    pub(super) fn reserve_one(&mut self, now: Instant) -> Decision {
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

    pub(super) fn ticket(&mut self, now: Instant, probe: Option<Basis>) -> Ticket {
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

    pub(super) fn finish(&mut self, ticket: Ticket) {
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
    pub(super) fn sample_time(&self, now: Instant) -> Option<Instant> {
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

    pub(super) fn wait_for_answers(&self, now: Instant) -> Decision {
        Decision::Wait {
            until: now + ANSWER_POLL,
            reason: WaitReason::Budget,
        }
    }

    pub(super) fn hold(&self) -> Duration {
        self.window + self.window_extra
    }

    pub(super) fn remember_own(&mut self, now: Instant) {
        if self.own.len() >= MAX_LOG {
            self.own.pop_front();
        }
        self.own.push_back(now);
    }

    /// Forgets our answered requests that can no longer hold a slot (answers
    /// arrive in time order, so the log is sorted).
    pub(super) fn expire_own(&mut self, now: Instant) {
        let hold = self.hold();
        while self.own.front().is_some_and(|t| *t + hold <= now) {
            self.own.pop_front();
        }
    }

    /// The server's count as of now, as far as we can tell. (Our own log
    /// says when slots may free, but only a probe's answer gives them back: a
    /// window shorter than we think must not release a burst.)
    pub(super) fn used(&self) -> u32 {
        self.count
    }

    /// When to probe a spent window, and which estimate says so.
    pub(super) fn turn_estimate(&mut self, now: Instant) -> (Instant, Basis) {
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

    pub(super) fn learn_from_429(&mut self, ticket: Ticket) {
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
    pub(super) fn smooth(&mut self, now: Instant) -> Decision {
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
