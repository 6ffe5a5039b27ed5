//! Ending one web messaging conversation: read -> decide -> end -> verify.
//!
//! An open conversation costs two requests (read, then one PATCH that
//! disconnects every participant), an ended one costs one. The endpoints a
//! popular answer invents are never called.
//!
//! The parts: `types` (options, result and their words), `decide` (what a
//! read says to do: pure, table-tested), `requests` (the calls, each built
//! from validated ids), `end` (the write a read decided, its fallbacks and
//! verification; the read and the write go back to back), `refusal` (a 403
//! explained), `step` (what one close did). This file is the entry point.

use crate::error::{Error, ErrorCode};
use crate::genesys::ids::{self, IdInput};
use crate::session::Session;
use crate::stats::CallStats;
use tokio_util::sync::CancellationToken;

mod decide;
mod end;
mod refusal;
mod requests;
mod step;
mod types;

pub use decide::{decide, Decision};
pub use types::{CloseMethod, CloseOptions, CloseResult, Outcome, SkipReason};

/// Ends a conversation. The id is validated before anything is sent.
pub async fn close_conversation(
    t: &Session,
    raw_id: &IdInput,
    opts: &CloseOptions,
    cancel: &CancellationToken,
) -> Result<CloseResult, Error> {
    let id = ids::conversation_id_input(raw_id)?;
    close_valid_id(t, id, opts, cancel).await.0
}

/// Ends a conversation whose id is already validated, and returns the
/// request counters even when it fails (bulk reports count every request).
pub async fn close_valid_id(
    t: &Session,
    id: String,
    opts: &CloseOptions,
    cancel: &CancellationToken,
) -> (Result<CloseResult, Error>, CallStats) {
    if cancel.is_cancelled() {
        return (Err(Error::aborted()), CallStats::default());
    }
    let mut call = t.call(cancel);
    // Fast mode skips the read, so it cannot wrap up, dry-run or guard idleness.
    let step =
        if opts.fast && opts.wrapup_code.is_none() && !opts.dry_run && opts.idle_for.is_none() {
            end::fast_close(t, &id, opts, &mut call).await
        } else {
            end::full_close(t, &id, opts, &mut call).await
        };
    let stats = call.stats.clone();
    let step = step.map_err(|e| aborted_after_writes(e, &id, call.stats.writes));
    let elapsed_ms = call.started.elapsed().as_secs_f64() * 1000.0;
    let result = step.map(|s| s.into_result(id, call.stats, elapsed_ms));
    (result, stats)
}

/// An abort that came after a write was sent is not "aborted" (which means
/// nothing was written): it says the conversation may be partly ended.
fn aborted_after_writes(e: Error, id: &str, writes: u32) -> Error {
    if e.code != ErrorCode::Aborted || writes == 0 {
        return e;
    }
    Error {
        message: format!(
            "The abort came after {writes} write(s) to conversation {id} had been sent and answered: it may be partly ended. Close it again to finish."
        ),
        ..e
    }
}

#[cfg(test)]
mod tests;
