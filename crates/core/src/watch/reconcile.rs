//! A reconciliation sweep: what the stream cannot be trusted to have shown
//! (a span without a healthy socket, a conversation no watched queue saw) is
//! found over analytics. The driver decides when one runs; this is one run.

use super::settle::epoch_ms;
use crate::discover::{self, FindOptions};
use crate::error::Error;
use crate::http::transport::Transport;
use crate::native::TimerTable;
use crate::options::Lookback;
use crate::stats::Totals;
use crate::time::parse_time;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Open conversations found by a sweep: id and start (epoch ms).
pub(super) struct Swept {
    pub found: Vec<(String, u64)>,
    pub totals: Totals,
    /// A periodic sweep lists the queues' timers again (Genesys's own timers).
    pub timers: Option<TimerTable>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SweepKind {
    Gap,
    Periodic,
}

pub(super) type SweepFuture<'a> =
    Pin<Box<dyn Future<Output = (SweepKind, u32, Result<Swept, Error>)> + Send + 'a>>;

/// Every open conversation of the wanted types that started in `lookback`:
/// analytics nominates, the table schedules, the guarded close decides.
pub(super) fn sweep<'a>(
    t: &'a Transport,
    kind: SweepKind,
    gaps: u32,
    lookback: Lookback,
    message_types: Vec<String>,
    cancel: &'a CancellationToken,
) -> SweepFuture<'a> {
    Box::pin(async move {
        let opts = FindOptions {
            idle_for: Duration::ZERO,
            lookback,
            message_types,
            ..FindOptions::default()
        };
        let timers = match kind {
            SweepKind::Periodic => match TimerTable::read(t, cancel).await {
                Ok(table) => Some(table),
                Err(e) => return (kind, gaps, Err(e)),
            },
            SweepKind::Gap => None,
        };
        let r = discover::find_candidates(t, &opts, cancel)
            .await
            .map(|c| Swept {
                found: c
                    .candidates
                    .into_iter()
                    .map(|c| {
                        let start = parse_time(&c.started_at).map_or(0, epoch_ms);
                        (c.conversation_id, start)
                    })
                    .collect(),
                totals: Totals {
                    requests: c.totals.requests + timers.as_ref().map_or(0, |t| t.requests),
                    ..c.totals
                },
                timers,
            });
        (kind, gaps, r)
    })
}
