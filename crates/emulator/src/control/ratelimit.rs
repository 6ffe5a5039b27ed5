//! Request counters per key (token or client id), in the limiter shapes a
//! client must cope with: Genesys documents the headers, not the window's
//! shape nor the rounding of `inin-ratelimit-reset` (UNCONFIRMED: see the
//! README), so each is selectable.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// `allowed` reported while a limiter is off.
pub const UNLIMITED: u32 = 1_000_000;

/// The window's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A window starts at a key's first request after the last one ended.
    #[default]
    Fixed,
    /// Windows aligned to the clock: they start at multiples of the window
    /// length since the Unix epoch.
    Aligned,
    /// No window boundaries: a request is allowed while fewer than the limit
    /// were allowed in the last window length.
    Sliding,
}

/// How `reset` (whole seconds) is rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    #[default]
    Up,
    Down,
}

/// One limiter's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Requests per window; 0 counts but never limits.
    pub limit: u32,
    pub window_ms: u64,
    pub mode: Mode,
    pub rounding: Rounding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub count: u32,
    pub allowed: u32,
    /// Whole seconds until the window resets (fixed, aligned) or until the
    /// oldest counted request leaves it (sliding), rounded as configured.
    pub reset_secs: u64,
    pub limited: bool,
}

#[derive(Default)]
pub struct Windows {
    map: HashMap<String, Window>,
}

#[derive(Default)]
struct Window {
    start: i64,
    count: u32,
    /// Sliding: when each allowed request arrived (at most `limit` of them).
    log: VecDeque<i64>,
}

impl Windows {
    /// Counts one request for `key`.
    pub fn hit(&mut self, key: &str, p: &Policy, now: i64) -> Verdict {
        let window_ms = p.window_ms.max(1) as i64;
        // get_mut first: no key allocation on the hot path.
        let w = match self.map.get_mut(key) {
            Some(w) => w,
            None => self.map.entry(key.to_owned()).or_insert(Window {
                start: now,
                ..Window::default()
            }),
        };
        if p.mode == Mode::Sliding && p.limit > 0 {
            // Rejected requests are not logged (they hold no slot).
            expire(&mut w.log, window_ms, now);
            let limited = w.log.len() as u32 >= p.limit;
            if !limited {
                w.log.push_back(now);
            }
            let oldest = w.log.front().copied().unwrap_or(now);
            let count = w.log.len() as u32 + u32::from(limited);
            return verdict(oldest + window_ms - now, count, limited, p);
        }
        let start = window_start(p.mode, w.start, window_ms, now);
        if start != w.start || w.count == 0 {
            w.start = start;
            w.count = 0;
        }
        w.count = w.count.saturating_add(1);
        let limited = p.limit != 0 && w.count > p.limit;
        verdict(w.start + window_ms - now, w.count, limited, p)
    }

    /// The headers' view of `key` without counting (401s, scripted answers).
    pub fn peek(&self, key: &str, p: &Policy, now: i64) -> Verdict {
        let window_ms = p.window_ms.max(1) as i64;
        let Some(w) = self.map.get(key) else {
            return verdict(window_ms, 0, false, p);
        };
        if p.mode == Mode::Sliding && p.limit > 0 {
            let live: Vec<i64> = w
                .log
                .iter()
                .copied()
                .filter(|t| t + window_ms > now)
                .collect();
            let left = live.first().map_or(window_ms, |t| t + window_ms - now);
            return verdict(left, live.len() as u32, false, p);
        }
        let start = window_start(p.mode, w.start, window_ms, now);
        if start == w.start {
            verdict(w.start + window_ms - now, w.count, false, p)
        } else {
            let left = if p.mode == Mode::Aligned {
                start + window_ms - now
            } else {
                window_ms
            };
            verdict(left, 0, false, p)
        }
    }
}

fn expire(log: &mut VecDeque<i64>, window_ms: i64, now: i64) {
    while log.front().is_some_and(|t| t + window_ms <= now) {
        log.pop_front();
    }
}

/// The start of the window `now` falls in, for a key whose last window
/// started at `last`.
fn window_start(mode: Mode, last: i64, window_ms: i64, now: i64) -> i64 {
    match mode {
        Mode::Aligned => now - now.rem_euclid(window_ms),
        _ if now >= last + window_ms => now,
        _ => last,
    }
}

fn verdict(left_ms: i64, count: u32, limited: bool, p: &Policy) -> Verdict {
    let left_ms = left_ms.max(0) as u64;
    Verdict {
        count,
        allowed: if p.limit == 0 { UNLIMITED } else { p.limit },
        reset_secs: match p.rounding {
            Rounding::Up => left_ms.div_ceil(1000),
            Rounding::Down => left_ms / 1000,
        },
        limited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(limit: u32, window_ms: u64, mode: Mode, rounding: Rounding) -> Policy {
        Policy {
            limit,
            window_ms,
            mode,
            rounding,
        }
    }

    #[test]
    fn fixed_window_from_the_first_request() {
        let p = policy(2, 60_000, Mode::Fixed, Rounding::Up);
        let mut w = Windows::default();
        assert!(!w.hit("t", &p, 0).limited);
        assert!(!w.hit("t", &p, 100).limited);
        let v = w.hit("t", &p, 1_500);
        assert!(v.limited);
        assert_eq!((v.count, v.allowed, v.reset_secs), (3, 2, 59));
        // Other keys have their own window.
        assert!(!w.hit("u", &p, 1_500).limited);
        let v = w.hit("t", &p, 60_000);
        assert_eq!((v.count, v.limited, v.reset_secs), (1, false, 60));
        assert_eq!(w.peek("t", &p, 60_000).count, 1);
    }

    #[test]
    fn off_reports_a_million() {
        let mut w = Windows::default();
        for mode in [Mode::Fixed, Mode::Aligned, Mode::Sliding] {
            let v = w.hit("t", &policy(0, 60_000, mode, Rounding::Up), 0);
            assert_eq!((v.allowed, v.limited), (UNLIMITED, false));
        }
    }

    /// (mode, rounding, request times in ms) -> (count, limited, reset) of each.
    #[test]
    fn every_mode_and_rounding() {
        type Case = (Mode, Rounding, &'static [i64], &'static [(u32, bool, u64)]);
        let cases: [Case; 6] = [
            // 2 per 3 s window from the first request at 1000.
            (
                Mode::Fixed,
                Rounding::Up,
                &[1000, 1500, 2000, 4000],
                &[(1, false, 3), (2, false, 3), (3, true, 2), (1, false, 3)],
            ),
            (
                Mode::Fixed,
                Rounding::Down,
                &[1000, 1500, 2000, 4000],
                &[(1, false, 3), (2, false, 2), (3, true, 2), (1, false, 3)],
            ),
            // Windows [0, 3000), [3000, 6000).
            (
                Mode::Aligned,
                Rounding::Up,
                &[1000, 1500, 2000, 3000],
                &[(1, false, 2), (2, false, 2), (3, true, 1), (1, false, 3)],
            ),
            (
                Mode::Aligned,
                Rounding::Down,
                &[1000, 1500, 2000, 2999],
                &[(1, false, 2), (2, false, 1), (3, true, 1), (4, true, 0)],
            ),
            // A slot frees 3 s after each allowed request.
            (
                Mode::Sliding,
                Rounding::Up,
                &[1000, 1500, 2000, 4000, 4100, 4500],
                &[
                    (1, false, 3),
                    (2, false, 3),
                    (3, true, 2),
                    (2, false, 1),
                    (3, true, 1),
                    (2, false, 3),
                ],
            ),
            (
                Mode::Sliding,
                Rounding::Down,
                &[1000, 1500, 2000, 4000],
                &[(1, false, 3), (2, false, 2), (3, true, 2), (2, false, 0)],
            ),
        ];
        for (mode, rounding, times, want) in cases {
            let p = policy(2, 3000, mode, rounding);
            let mut w = Windows::default();
            let got: Vec<(u32, bool, u64)> = times
                .iter()
                .map(|t| {
                    let v = w.hit("t", &p, *t);
                    (v.count, v.limited, v.reset_secs)
                })
                .collect();
            assert_eq!(got, want, "{mode:?} {rounding:?}");
        }
    }

    /// Whatever the requests, no window of any mode lets more than the
    /// limit through: in fixed and aligned mode per window, in sliding mode
    /// in any span of the window's length.
    #[test]
    fn no_window_ever_goes_over_the_limit() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut times = vec![];
        let mut t = 0i64;
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t += (x % 40) as i64;
            times.push(t);
        }
        for mode in [Mode::Fixed, Mode::Aligned, Mode::Sliding] {
            let p = policy(20, 1000, mode, Rounding::Up);
            let mut w = Windows::default();
            let allowed: Vec<i64> = times
                .iter()
                .copied()
                .filter(|t| !w.hit("t", &p, *t).limited)
                .collect();
            assert!(allowed.len() > 100, "{mode:?}");
            for (i, a) in allowed.iter().enumerate() {
                let within = allowed[i..].iter().take_while(|b| **b < a + 1000).count();
                let bound = if mode == Mode::Sliding { 20 } else { 40 };
                assert!(within <= bound, "{mode:?}: {within} within 1 s of {a}");
            }
            if mode == Mode::Aligned {
                for k in 0..=(t / 1000) {
                    let n = allowed.iter().filter(|a| **a / 1000 == k).count();
                    assert!(n <= 20, "aligned window {k}: {n}");
                }
            }
        }
    }
}
