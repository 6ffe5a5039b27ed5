//! The counters of results: requests of one call (`CallStats`), summed over
//! an operation (`Totals`: a bulk run, a discovery, a sweep), and outcomes
//! counted (`Counts`). Computed in the core, so no layer above adds them up
//! again.

use serde::Serialize;
use std::ops::AddAssign;

/// Counters of one operation, reported to the caller.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallStats {
    pub requests: u32,
    /// API writes sent (PATCH, POST, DELETE): an abort after one is not "aborted".
    #[serde(skip)]
    pub writes: u32,
    pub retries: u32,
    pub rate_limited: u32,
    pub correlation_ids: Vec<String>,
}

/// Counts by outcome; they add up to `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub total: u32,
    pub done: u32,
    pub closed: u32,
    pub already_closed: u32,
    pub not_found: u32,
    pub skipped: u32,
    pub would_close: u32,
    pub duplicate: u32,
    pub failed: u32,
    pub aborted: u32,
    /// Not part of the sum: closes that met activity newer than the read
    /// they were decided on (`CloseResult::activity_after_read`).
    pub activity_after_read: u32,
}

/// Requests, retries and 429 answers of one or more operations.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// HTTP requests, token requests included.
    pub requests: u32,
    /// Attempts repeated after a throttled or transient failure.
    pub retries: u32,
    /// Answers with status 429.
    pub rate_limited: u32,
}

impl AddAssign<&CallStats> for Totals {
    fn add_assign(&mut self, s: &CallStats) {
        self.requests += s.requests;
        self.retries += s.retries;
        self.rate_limited += s.rate_limited;
    }
}

impl AddAssign<Totals> for Totals {
    fn add_assign(&mut self, t: Totals) {
        self.requests += t.requests;
        self.retries += t.retries;
        self.rate_limited += t.rate_limited;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums() {
        let mut t = Totals::default();
        t += &CallStats {
            requests: 3,
            retries: 1,
            rate_limited: 1,
            ..CallStats::default()
        };
        t += Totals {
            requests: 2,
            retries: 0,
            rate_limited: 0,
        };
        assert_eq!(
            t,
            Totals {
                requests: 5,
                retries: 1,
                rate_limited: 1
            }
        );
    }
}
