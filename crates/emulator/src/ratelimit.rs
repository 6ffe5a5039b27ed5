//! Fixed-window request counters, one window per key (token or client id).

use std::collections::HashMap;

/// `allowed` reported while a limiter is off.
pub const UNLIMITED: u32 = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub count: u32,
    pub allowed: u32,
    /// Whole seconds until the key's window resets (rounded up).
    pub reset_secs: u64,
    pub limited: bool,
}

#[derive(Default)]
pub struct Windows {
    map: HashMap<String, Window>,
}

struct Window {
    start: i64,
    count: u32,
}

impl Windows {
    /// Counts one request for `key`. `limit == 0` counts but never limits.
    pub fn hit(&mut self, key: &str, limit: u32, window_ms: u64, now: i64) -> Verdict {
        let window_ms = window_ms.max(1) as i64;
        // get_mut first: no key allocation on the hot path.
        let w = match self.map.get_mut(key) {
            Some(w) => w,
            None => self.map.entry(key.to_owned()).or_insert(Window {
                start: now,
                count: 0,
            }),
        };
        if now >= w.start + window_ms {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        w.count = w.count.saturating_add(1);
        verdict(w.start, w.count, limit, window_ms, now)
    }

    /// The headers' view of `key` without counting (401s, scripted answers).
    pub fn peek(&self, key: &str, limit: u32, window_ms: u64, now: i64) -> Verdict {
        let window_ms = window_ms.max(1) as i64;
        match self.map.get(key) {
            Some(w) if now < w.start + window_ms => {
                verdict(w.start, w.count, limit, window_ms, now)
            }
            _ => verdict(now, 0, limit, window_ms, now),
        }
    }
}

fn verdict(start: i64, count: u32, limit: u32, window_ms: i64, now: i64) -> Verdict {
    let left_ms = (start + window_ms - now).max(0) as u64;
    Verdict {
        count,
        allowed: if limit == 0 { UNLIMITED } else { limit },
        reset_secs: left_ms.div_ceil(1000),
        limited: limit != 0 && count > limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_then_resets() {
        let mut w = Windows::default();
        assert!(!w.hit("t", 2, 60_000, 0).limited);
        assert!(!w.hit("t", 2, 60_000, 100).limited);
        let v = w.hit("t", 2, 60_000, 1_500);
        assert!(v.limited);
        assert_eq!((v.count, v.allowed, v.reset_secs), (3, 2, 59));
        // Other keys have their own window.
        assert!(!w.hit("u", 2, 60_000, 1_500).limited);
        let v = w.hit("t", 2, 60_000, 60_000);
        assert_eq!((v.count, v.limited, v.reset_secs), (1, false, 60));
        assert_eq!(w.peek("t", 2, 60_000, 60_000).count, 1);
    }

    #[test]
    fn off_reports_a_million() {
        let mut w = Windows::default();
        let v = w.hit("t", 0, 60_000, 0);
        assert_eq!((v.allowed, v.limited), (UNLIMITED, false));
    }
}
