//! Where a run's entries go, and the work before any request: ids
//! validated and de-duplicated up front (`triage`), each input's one entry
//! kept for the report or handed to the caller's sink (`Slots`), and the
//! work items handed out until an abort (`UntilAborted`).

use super::progress::Progress;
use super::{BulkEntry, ResultSink};
use crate::error::Error;
use crate::genesys::ids::{self, IdInput};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The work items in order, until the run is aborted. (A named iterator: a
/// closure taking references here makes the run's future not `Send` for
/// every lifetime, which the binding's spawn needs.)
pub(super) struct UntilAborted<'a> {
    pub(super) work: std::slice::Iter<'a, (usize, Uuid)>,
    pub(super) cancel: &'a CancellationToken,
}

impl Iterator for UntilAborted<'_> {
    type Item = (usize, String);

    fn next(&mut self) -> Option<Self::Item> {
        if self.cancel.is_cancelled() {
            return None;
        }
        self.work.next().map(|(i, id)| (*i, ids::canonical(id)))
    }
}

/// Where a run's entries go: kept for the report, or handed to the caller's
/// sink as each is decided. Either way every input index gets exactly one.
pub(super) struct Slots<'a> {
    inputs: &'a [IdInput],
    sink: Option<&'a dyn ResultSink>,
    /// The entries, when kept; whether each index is decided, when streamed.
    pub(super) kept: Vec<Option<BulkEntry>>,
    decided: Vec<bool>,
}

impl<'a> Slots<'a> {
    pub(super) fn new(inputs: &'a [IdInput], sink: Option<&'a dyn ResultSink>) -> Self {
        let n = inputs.len();
        Slots {
            inputs,
            sink,
            kept: if sink.is_none() {
                vec![None; n]
            } else {
                Vec::new()
            },
            decided: if sink.is_some() {
                vec![false; n]
            } else {
                Vec::new()
            },
        }
    }

    pub(super) fn put(&mut self, i: usize, entry: BulkEntry) {
        match self.sink {
            Some(sink) => {
                self.decided[i] = true;
                sink.put(i, &self.inputs[i], entry);
            }
            None => self.kept[i] = Some(entry),
        }
    }

    /// `i` was never started: the run was aborted.
    pub(super) fn abort(&mut self, i: usize, id: &Uuid) {
        match self.sink {
            Some(sink) => {
                self.decided[i] = true;
                sink.aborted(i, &self.inputs[i], id);
            }
            None => {
                self.kept[i] = Some(BulkEntry::Aborted {
                    conversation_id: ids::canonical(id),
                })
            }
        }
    }

    pub(super) fn is_decided(&self, i: usize) -> bool {
        match self.sink {
            Some(_) => self.decided[i],
            None => self.kept[i].is_some(),
        }
    }

    /// The kept entries in input order (none when streamed).
    pub(super) fn into_results(self) -> Vec<BulkEntry> {
        let inputs = self.inputs;
        self.kept
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                // Unreachable by construction (every work item is decided
                // before), but a report must never drop an id, so fill
                // rather than panic.
                s.unwrap_or_else(|| BulkEntry::Aborted {
                    conversation_id: inputs[i].shown(),
                })
            })
            .collect()
    }
}

/// Validation and de-duplication before any request: the results known
/// already (invalid or repeated ids) go to `slots`; returns the work left
/// (index, id) in input order. Repeats are found by sorting the ids' values
/// (a hash set of a million ids took 0.5 s, mostly cache misses; the sort
/// takes a fifth of that), and the first of equal ids is the one closed.
pub(super) fn triage(
    inputs: &[IdInput],
    slots: &mut Slots,
    progress: &Progress,
) -> Vec<(usize, Uuid)> {
    // 24 bytes an id (an error, rare, boxed).
    let parsed: Vec<Result<Uuid, Box<Error>>> = inputs
        .iter()
        .map(|raw| ids::conversation_uuid_input(raw).map_err(Box::new))
        .collect();
    let mut order: Vec<(u128, usize)> = parsed
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_ref().ok().map(|id| (id.as_u128(), i)))
        .collect();
    order.sort_unstable();
    let mut repeated = vec![false; inputs.len()];
    for pair in order.windows(2) {
        if pair[0].0 == pair[1].0 {
            repeated[pair[1].1] = true;
        }
    }
    drop(order);
    let mut work = Vec::with_capacity(parsed.len());
    for (i, p) in parsed.into_iter().enumerate() {
        let entry = match p {
            Ok(id) if repeated[i] => BulkEntry::Duplicate {
                conversation_id: ids::canonical(&id),
            },
            Ok(id) => {
                work.push((i, id));
                continue;
            }
            Err(error) => BulkEntry::Failed {
                conversation_id: inputs[i].shown(),
                error: *error,
            },
        };
        progress.record(&entry);
        slots.put(i, entry);
    }
    work
}
