//! Reserving a write's slot together with the read that decides it.
//!
//! A guarded close reads a conversation, decides it is idle, then ends it.
//! Genesys has no conditional close, so a customer message that lands
//! between the two is ended unseen. That window must stay one round trip:
//! if the write had to wait for the budget after the read, a spent window
//! would stretch it to a whole rate-limit window (seconds). So the read
//! starts only when the budget can start the write too; the write then
//! goes out on its reserved ticket the moment the read's answer is decided.
//!
//! A probe or a phase sample goes alone (it asks whether the budget has
//! room, so it cannot promise a second request), and so does a read when
//! the window's last slot is all that is left; the write after it finds its
//! slot or is re-read. Under even spacing the pair takes two
//! consecutive slots of the schedule, the second a little early: one
//! request out of schedule, which the 2% margin of `SMOOTH_SHARE` absorbs.

use super::{Decision, RateBudget, Ticket, WaitReason};
use tokio::time::Instant;

/// What `reserve_pair` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairDecision {
    /// Start the read now on the first ticket; the second, when there is
    /// one, is the write's (give it back with `release` if unused).
    Go(Ticket, Option<Ticket>),
    /// As `Decision::Wait`.
    Wait { until: Instant, reason: WaitReason },
}

impl RateBudget {
    /// May a read and the write it decides both start, the read now and the
    /// write right after its answer?
    pub fn reserve_pair(&self, now: Instant) -> PairDecision {
        let mut s = self.lock();
        let first = match s.reserve_one(now) {
            Decision::Go(t) => t,
            Decision::Wait { until, reason } => return PairDecision::Wait { until, reason },
        };
        if first.probe.is_some() || first.sample {
            return PairDecision::Go(first, None);
        }
        if s.smoothing {
            // Take the next slot of the schedule now rather than after the
            // interval: the read's answer comes first anyway.
            let second = s.ticket(now, None);
            if let Some(next) = s.next_slot {
                // `smooth` just set it one interval after now.
                let interval = next.saturating_duration_since(now);
                s.next_slot = Some(next + interval);
            }
            return PairDecision::Go(first, Some(second));
        }
        match s.reserve_one(now) {
            Decision::Go(second) => PairDecision::Go(first, Some(second)),
            // Nothing else in flight, yet no room for two: what is left of
            // the window is too small for a pair, and no answer will come to
            // free more. The read goes alone (its write goes if a slot is
            // free by then, or it is read again); waiting here would wait
            // forever, since only answers show the window turn.
            Decision::Wait { .. } if s.inflight == 1 => PairDecision::Go(first, None),
            Decision::Wait { until, reason } => {
                // Not both: neither. The first was never sent.
                s.unsend(first);
                PairDecision::Wait { until, reason }
            }
        }
    }

    /// A reserved ticket that was never used (the read decided not to
    /// write, or failed): it frees its slot and counts as nothing sent.
    pub fn release(&self, ticket: Ticket) {
        self.lock().unsend(ticket);
    }
}

impl Ticket {
    /// The ticket of a request reserved earlier and sent now.
    pub fn sent(self, now: Instant) -> Ticket {
        Ticket {
            sent_at: now,
            ..self
        }
    }
}

impl super::State {
    fn unsend(&mut self, ticket: Ticket) {
        self.finish(ticket);
        // The latest ticket handed out: take its number back too, so that
        // "requests we sent in this window" stays exact.
        if ticket.seq + 1 == self.next_seq {
            self.next_seq -= 1;
        }
    }
}
