//! What a guarded close's result means for the watch: the table's next
//! step for the conversation, the report's counts and the event (pure
//! `settle`, table-tested), and which failures end the watch.

use super::after_read::RecentCloses;
use super::stream::now_ms;
use super::table::Table;
use super::{WatchEvent, WatchEventKind, WatchReport, WatchSink};
use crate::close::{CloseResult, Outcome, SkipReason};
use crate::error::{Error, ErrorCode};
use std::time::UNIX_EPOCH;

/// What a guarded close's result means for the table. Pure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Settlement {
    Closed,
    WouldClose,
    /// Already ended, or gone.
    Gone,
    /// Left open for good (not an allowed message type).
    Skipped,
    /// No timestamp at all: untracked; a later sweep may bring it back.
    Unknown,
    /// Active after all: watch on, due again from `last_ms`, not before `not_before_ms`.
    Spared {
        last_ms: u64,
        not_before_ms: u64,
    },
    Failed,
    /// The watch is stopping.
    Stopped,
}

pub(crate) fn epoch_ms(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub(crate) fn settle(result: &Result<CloseResult, Error>, now_ms: u64) -> Settlement {
    let r = match result {
        Ok(r) => r,
        Err(e) if e.code == ErrorCode::Aborted => return Settlement::Stopped,
        Err(_) => return Settlement::Failed,
    };
    match (r.outcome, r.skip_reason) {
        (Outcome::Closed, _) => Settlement::Closed,
        (Outcome::WouldClose, _) => Settlement::WouldClose,
        (Outcome::AlreadyClosed | Outcome::NotFound, _) => Settlement::Gone,
        (Outcome::Skipped, Some(SkipReason::Active)) => {
            let a = r.activity.as_ref();
            Settlement::Spared {
                // Without a readable time the guard said "active": now is the safe reading.
                last_ms: a.and_then(|a| a.last).map_or(now_ms, epoch_ms),
                not_before_ms: a.and_then(|a| a.inactivity_timeout).map_or(0, epoch_ms),
            }
        }
        (Outcome::Skipped, Some(SkipReason::ActivityUnknown)) => Settlement::Unknown,
        (Outcome::Skipped, _) => Settlement::Skipped,
    }
}

pub(crate) fn emit(sink: &Option<WatchSink>, e: WatchEvent) {
    if let Some(s) = sink {
        s(e);
    }
}

/// Applies a close's result to the table, the recent closes and the report,
/// and emits its event.
pub(crate) fn settle_close(
    table: &mut Table,
    recent: &mut RecentCloses,
    report: &mut WatchReport,
    sink: &Option<WatchSink>,
    id: String,
    result: &Result<CloseResult, Error>,
) {
    let read = result.as_ref().ok();
    let last = read.and_then(|r| r.activity.as_ref()?.last_at.clone());
    let native = read.and_then(|r| Some(r.native?.native_timer));
    let event = |kind| WatchEvent {
        conversation_id: Some(id.clone()),
        last_activity_at: last.clone(),
        native_timer: native,
        ..WatchEvent::new(kind)
    };
    match settle(result, now_ms()) {
        Settlement::Closed => {
            report.closed += 1;
            table.finish(&id);
            emit(sink, event(WatchEventKind::Closed));
            let Ok(r) = result else { return };
            if let Some(after) = &r.activity_after_read {
                report.activity_after_read += 1;
                emit(sink, WatchEvent { last_activity_at: Some(after.clone()), reason: Some("the close's answer shows activity newer than the read it was decided on".into()), ..event(WatchEventKind::ActivityAfterRead) });
            } else if let Some(read_last) = r.activity.as_ref().and_then(|a| a.last) {
                recent.closed(&id, epoch_ms(read_last), now_ms());
            }
        }
        Settlement::WouldClose => {
            report.would_close += 1;
            table.finish(&id);
            emit(sink, event(WatchEventKind::WouldClose));
        }
        Settlement::Gone => {
            report.already_closed += 1;
            table.finish(&id);
        }
        Settlement::Skipped => {
            report.skipped += 1;
            table.finish(&id);
        }
        Settlement::Unknown => {
            report.skipped += 1;
            table.forget(&id);
        }
        Settlement::Spared {
            last_ms,
            not_before_ms,
        } => {
            report.spared_active += 1;
            table.reschedule(&id, last_ms, not_before_ms);
            emit(sink, event(WatchEventKind::Spared));
        }
        Settlement::Failed => {
            report.failed += 1;
            table.forget(&id);
            if let Err(e) = result {
                emit(
                    sink,
                    WatchEvent {
                        reason: Some(e.message.clone()),
                        code: Some(e.code.as_str()),
                        ..event(WatchEventKind::Failed)
                    },
                );
            }
        }
        Settlement::Stopped => {
            table.forget(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesys::activity::{Activity, ActivitySource};
    use std::time::{Duration, SystemTime};

    fn result(
        outcome: Outcome,
        skip: Option<SkipReason>,
        last: Option<u64>,
        timer: Option<u64>,
    ) -> Result<CloseResult, Error> {
        let at = |ms: u64| SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        Ok(CloseResult {
            skip_reason: skip,
            activity: Some(Activity {
                last_at: None,
                last: last.map(at),
                source: ActivitySource::Messages,
                inactivity_timeout: timer.map(at),
            }),
            ..CloseResult::bare("c", outcome)
        })
    }

    #[test]
    fn close_results_settle_the_table() {
        let table = vec![
            (
                result(Outcome::Closed, None, None, None),
                Settlement::Closed,
            ),
            (
                result(Outcome::WouldClose, None, None, None),
                Settlement::WouldClose,
            ),
            (
                result(Outcome::AlreadyClosed, None, None, None),
                Settlement::Gone,
            ),
            (
                result(Outcome::NotFound, None, None, None),
                Settlement::Gone,
            ),
            (
                result(Outcome::Skipped, Some(SkipReason::MessageType), None, None),
                Settlement::Skipped,
            ),
            (
                result(
                    Outcome::Skipped,
                    Some(SkipReason::ActivityUnknown),
                    None,
                    None,
                ),
                Settlement::Unknown,
            ),
            (
                result(Outcome::Skipped, Some(SkipReason::Active), Some(500), None),
                Settlement::Spared {
                    last_ms: 500,
                    not_before_ms: 0,
                },
            ),
            (
                result(
                    Outcome::Skipped,
                    Some(SkipReason::Active),
                    Some(500),
                    Some(9000),
                ),
                Settlement::Spared {
                    last_ms: 500,
                    not_before_ms: 9000,
                },
            ),
            (
                result(Outcome::Skipped, Some(SkipReason::Active), None, None),
                Settlement::Spared {
                    last_ms: 7777,
                    not_before_ms: 0,
                },
            ),
            (Err(Error::aborted()), Settlement::Stopped),
            (
                Err(Error::new(ErrorCode::Upstream, "x")),
                Settlement::Failed,
            ),
        ];
        for (r, want) in table {
            assert_eq!(settle(&r, 7777), want, "{r:?}");
        }
    }
}
