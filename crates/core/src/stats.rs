//! Request counters summed over an operation (a bulk run, a discovery, a
//! sweep): computed in the core, so no layer above adds them up again.

use crate::transport::CallStats;
use std::ops::AddAssign;

/// Requests, retries and 429 answers of one or more operations.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
