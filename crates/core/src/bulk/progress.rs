//! A run's progress, coalesced: the caller's sink sees at most one update
//! per interval, plus one at the end.

use super::{BulkEntry, BulkOptions, ProgressSink};
use crate::stats::Counts;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Coalesces progress: the sink sees at most one update per interval.
pub(super) struct Progress {
    sink: Option<ProgressSink>,
    interval: Duration,
    state: Mutex<(Counts, Option<Instant>)>,
}

impl Progress {
    pub(super) fn new(opts: &BulkOptions, total: u32) -> Self {
        Progress {
            sink: opts.progress.clone(),
            interval: opts.settings.progress_interval,
            state: Mutex::new((
                Counts {
                    total,
                    ..Counts::default()
                },
                None,
            )),
        }
    }

    pub(super) fn record(&self, entry: &BulkEntry) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        entry.count_in(&mut st.0);
        let Some(sink) = &self.sink else { return };
        let now = Instant::now();
        if st
            .1
            .is_none_or(|last| now.duration_since(last) >= self.interval)
        {
            st.1 = Some(now);
            sink(st.0);
        }
    }

    /// Ids never started in an aborted run, counted at once (no update sent:
    /// `finish` follows).
    pub(super) fn record_aborted(&self, n: u32) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.0.done += n;
        st.0.aborted += n;
    }

    pub(super) fn finish(&self) -> Counts {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sink) = &self.sink {
            sink(st.0);
        }
        st.0
    }
}
