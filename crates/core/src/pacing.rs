//! Keeps a client's request rate under the token's limit, learned from the
//! `inin-ratelimit-*` headers and from 429s, so long runs see (almost) no 429.
//!
//! Requests are spaced evenly at a little under `allowed / window` (a GCRA
//! without burst): evenly spaced requests never pile up at the start of a
//! window, and N requests take N / rate, the ideal the limit allows. Until the
//! first response tells us the limit, requests go unpaced.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Fraction of the advertised rate we aim for. Evenly spaced requests put at
/// most `share * allowed + 1` requests in any window, whatever its alignment;
/// the 2% margin absorbs network jitter that bunches requests at a boundary.
const TARGET_SHARE: f64 = 0.98;

/// The rate-limit headers of one response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitHeaders {
    pub allowed: Option<u64>,
    pub count: Option<u64>,
    pub reset_secs: Option<f64>,
}

#[derive(Debug, Default)]
struct State {
    /// Requests allowed per window, when known.
    allowed: Option<u64>,
    /// Window length: the largest `reset` seen (Genesys windows are a minute).
    window: Duration,
    /// The earliest time the next request may start.
    next_slot: Option<Instant>,
    /// Set by a 429 or an exhausted window: nobody starts before this.
    paused_until: Option<Instant>,
    /// Requests started before the limit was known, and when the first one
    /// started: once the limit is known they count as already-used slots of
    /// the schedule, so the opening burst is not sent a second time on top.
    unpaced: u32,
    first_start: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Pacer {
    state: Mutex<State>,
}

impl Pacer {
    pub fn new() -> Self {
        Pacer::default()
    }

    /// Reserves a start time for one request and returns how long to wait for it.
    pub fn reserve(&self, now: Instant) -> Duration {
        self.reserve_explained(now).0
    }

    /// Like `reserve`, also saying why: `true` when the wait comes from a pause
    /// (a 429 or a spent window), `false` for ordinary spacing under the limit.
    pub fn reserve_explained(&self, now: Instant) -> (Duration, bool) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut start = now;
        let mut paused = false;
        if let Some(p) = s.paused_until {
            if p > start {
                start = p;
                paused = true;
            } else {
                s.paused_until = None;
            }
        }
        if let Some(interval) = s.interval() {
            let slot = s.next_slot.map_or(start, |n| n.max(start));
            s.next_slot = Some(slot + interval);
            start = slot;
        } else {
            s.unpaced += 1;
            s.first_start.get_or_insert(start);
        }
        (start.saturating_duration_since(now), paused)
    }

    /// Learns from a response's headers.
    pub fn observe(&self, h: RateLimitHeaders, now: Instant) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(reset) = h.reset_secs.filter(|r| r.is_finite() && *r >= 0.0) {
            let reset = Duration::from_secs_f64(reset.min(3600.0));
            // Round the window up to a whole second: `reset` counts down.
            let window = Duration::from_secs(reset.as_secs_f64().ceil().max(1.0) as u64);
            if window > s.window {
                s.window = window;
            }
            if let (Some(allowed), Some(count)) = (h.allowed, h.count) {
                if count >= allowed {
                    // This window is spent: nobody starts before it turns over.
                    let until = now + reset;
                    s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
                }
            }
        }
        if let Some(allowed) = h.allowed.filter(|a| *a > 0) {
            s.allowed = Some(allowed);
        }
        if s.next_slot.is_none() {
            if let (Some(interval), Some(first)) = (s.interval(), s.first_start) {
                s.next_slot = Some(first + interval * s.unpaced);
            }
        }
    }

    /// A 429 told everyone to wait `retry_after`.
    pub fn pause(&self, retry_after: Duration, now: Instant) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let until = now + retry_after;
        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        // The schedule restarts after the pause rather than bursting to catch up.
        s.next_slot = Some(s.next_slot.map_or(until, |n| n.max(until)));
    }

    /// Requests per second the pacer currently aims for, if it knows the limit.
    #[cfg(test)]
    pub fn target_rate(&self) -> Option<f64> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.interval().map(|i| 1.0 / i.as_secs_f64())
    }
}

impl State {
    fn interval(&self) -> Option<Duration> {
        let allowed = self.allowed?;
        if self.window.is_zero() {
            return None;
        }
        Some(self.window.div_f64(allowed as f64 * TARGET_SHARE))
    }
}

impl RateLimitHeaders {
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        fn num<T: std::str::FromStr>(h: &reqwest::header::HeaderMap, name: &str) -> Option<T> {
            h.get(name)?.to_str().ok()?.trim().parse().ok()
        }
        RateLimitHeaders {
            allowed: num(headers, "inin-ratelimit-allowed"),
            count: num(headers, "inin-ratelimit-count"),
            reset_secs: num(headers, "inin-ratelimit-reset"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(allowed: u64, count: u64, reset: f64) -> RateLimitHeaders {
        RateLimitHeaders {
            allowed: Some(allowed),
            count: Some(count),
            reset_secs: Some(reset),
        }
    }

    #[test]
    fn unpaced_until_the_limit_is_known() {
        let p = Pacer::new();
        let now = Instant::now();
        for _ in 0..100 {
            assert_eq!(p.reserve(now), Duration::ZERO);
        }
    }

    #[test]
    fn spaces_requests_evenly_under_the_limit() {
        let p = Pacer::new();
        let now = Instant::now();
        p.observe(h(600, 1, 60.0), now);
        // 600 per 60 s at 98% -> one every ~102 ms.
        let waits: Vec<Duration> = (0..10).map(|_| p.reserve(now)).collect();
        assert_eq!(waits[0], Duration::ZERO);
        let step = waits[1];
        assert!(
            step > Duration::from_millis(100) && step < Duration::from_millis(104),
            "{step:?}"
        );
        assert!((waits[9].as_secs_f64() - 9.0 * step.as_secs_f64()).abs() < 1e-6);
        let rate = p.target_rate().unwrap();
        assert!((rate - 9.8).abs() < 0.01, "{rate}");
    }

    #[test]
    fn window_length_is_learned_from_reset() {
        let p = Pacer::new();
        let now = Instant::now();
        p.observe(h(100, 1, 4.2), now);
        // 100 per 5 s window at 98%.
        assert!((p.target_rate().unwrap() - 19.6).abs() < 0.01);
    }

    #[test]
    fn the_opening_burst_counts_against_the_schedule() {
        let p = Pacer::new();
        let t0 = Instant::now();
        for _ in 0..16 {
            assert_eq!(p.reserve(t0), Duration::ZERO);
        }
        // 100 per 5 s: a slot every ~51 ms; 16 were used unpaced at t0.
        p.observe(h(100, 1, 5.0), t0 + Duration::from_millis(2));
        let wait = p.reserve(t0 + Duration::from_millis(2));
        let expected = Duration::from_secs(5).div_f64(98.0) * 16;
        assert!(
            (wait.as_secs_f64() - (expected.as_secs_f64() - 0.002)).abs() < 1e-6,
            "{wait:?}"
        );
        // Any 5 s window holds at most 98% of the limit plus one.
        let mut starts = vec![t0; 16];
        let mut now = t0 + Duration::from_millis(2);
        starts.push(now + wait);
        for _ in 0..300 {
            let w = p.reserve(now);
            now += w;
            starts.push(now);
        }
        for (i, a) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|b| b.duration_since(*a) < Duration::from_secs(5))
                .count();
            assert!(
                in_window <= 99,
                "{in_window} requests in one window from #{i}"
            );
        }
    }

    #[test]
    fn a_spent_window_pauses_everyone_until_reset() {
        let p = Pacer::new();
        let now = Instant::now();
        p.observe(h(10, 10, 2.0), now);
        let wait = p.reserve(now);
        assert!(wait >= Duration::from_secs(2), "{wait:?}");
    }

    #[test]
    fn a_429_pauses_and_restarts_the_schedule() {
        let p = Pacer::new();
        let now = Instant::now();
        p.pause(Duration::from_secs(3), now);
        assert_eq!(p.reserve(now), Duration::from_secs(3));
        // Without a known limit, the next ones may go right after the pause.
        assert_eq!(p.reserve(now + Duration::from_secs(4)), Duration::ZERO);
    }
}
