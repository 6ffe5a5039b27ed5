//! A write decided by a read, sent right after the read's answer or not at
//! all.
//!
//! A guarded close reads a conversation and decides from it that it is
//! idle. Genesys has no conditional close, so whatever happens in the
//! conversation between that read and the PATCH is ended unseen: the window
//! cannot be removed, only kept short. So no wait may fall between the two:
//! - the read reserves the write's rate slot with its own (`send_deciding`,
//!   see `pacing::pair`);
//! - the write (`send_decided`) goes out on that slot with the cached
//!   token. Anything that would make it wait first (no slot, a token to
//!   fetch, a retry's pause, a 401's refresh) is done, and then the write
//!   answers `Stale`: the caller reads again and decides again.
//!
//! The retry policy still bounds it all: `WriteAttempts` carries the
//! write's attempt count across the re-reads.

use super::{Call, Judged, Parsed, Reply, Request, Slot, Transport};
use crate::error::Error;
use crate::http::pacing::{Decision, Ticket};
use tokio::time::Instant;

/// The write's rate slot, reserved with the read that decides it. Unused
/// (the read decided not to write, or failed), it gives the slot back.
pub struct WriteSlot<'a> {
    transport: &'a Transport,
    ticket: Option<Ticket>,
}

impl<'a> WriteSlot<'a> {
    pub(super) fn new(transport: &'a Transport, ticket: Option<Ticket>) -> Self {
        WriteSlot { transport, ticket }
    }

    /// No slot reserved: the write goes only if the budget has room at once.
    pub fn none(transport: &'a Transport) -> Self {
        WriteSlot::new(transport, None)
    }
}

impl Drop for WriteSlot<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.transport.rate.release(t);
            self.transport.answered.notify_waiters();
        }
    }
}

/// What a decided write came to.
pub enum Decided<T> {
    Done(Reply<T>),
    /// Not sent now (or to be sent again) after a wait: the read that decided
    /// it is stale. Read again, decide again.
    Stale,
}

impl<T> Reply<T> {
    /// The same answer with its value turned into another.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            status: self.status,
            value: f(self.value),
            correlation_id: self.correlation_id,
            date: self.date,
        }
    }
}

/// A decided write's attempts, across the re-reads it causes.
#[derive(Debug, Default)]
pub struct WriteAttempts {
    attempt: u32,
    replayed_401: bool,
    /// Rounds that ended `Stale`.
    pub stale_rounds: u32,
    /// A write was sent and no answer came back (it may have been applied).
    pub unanswered: bool,
}

impl Transport {
    /// A read whose answer decides a write: it starts only when the budget
    /// can start that write right after it, and hands back the write's slot.
    pub async fn send_deciding<T>(
        &self,
        req: &Request<'_>,
        call: &mut Call<'_>,
        parse: impl Fn(u16, &[u8]) -> Parsed<T> + Sync,
    ) -> Result<(Reply<T>, WriteSlot<'_>), Error> {
        let mut attempt: u32 = 0;
        let result = self.attempts(req, call, &parse, &mut attempt, true).await;
        if let Err(e) = &result {
            self.give_up(req, attempt, e);
        }
        result
    }

    /// The write a read decided, sent at once on `slot` (or, without one, on
    /// a slot the budget has free now). Never waits before sending: where it
    /// would have to, it does its waiting and answers `Stale`.
    pub async fn send_decided<T>(
        &self,
        req: &Request<'_>,
        call: &mut Call<'_>,
        mut slot: WriteSlot<'_>,
        tries: &mut WriteAttempts,
        parse: impl Fn(u16, &[u8]) -> Parsed<T> + Sync,
    ) -> Result<Decided<T>, Error> {
        if call.cancel.is_cancelled() {
            return Err(Error::aborted());
        }
        let stale = |tries: &mut WriteAttempts| {
            tries.stale_rounds += 1;
            Ok(Decided::Stale)
        };
        // A token fetch is a round trip: the next read fetches it instead.
        let Some(bearer) = self.auth.current() else {
            return stale(tries);
        };
        self.fence.check(req.action)?;
        let now = Instant::now();
        let ticket = match slot.ticket.take() {
            Some(t) => t.sent(now),
            None => match self.rate.reserve(now) {
                Decision::Go(t) => t,
                Decision::Wait { .. } => return stale(tries),
            },
        };
        let target = self.api_target(req, &bearer, true);
        let attempt = tries.attempt;
        let sent = Slot {
            transport: self,
            ticket: Some(ticket),
        };
        let judged = match self
            .attempt(req, &target, Some(sent), attempt, call, &parse)
            .await
        {
            Ok(j) => j,
            Err(e) => {
                self.give_up(req, attempt, &e);
                return Err(e);
            }
        };
        let failure = match judged {
            Judged::Done(reply) => return Ok(Decided::Done(reply)),
            Judged::Failed(failure) => failure,
            Judged::Unauthorized(_) if self.auth.can_refresh() && !tries.replayed_401 => {
                tries.replayed_401 = true;
                self.refresh_after_401(req, attempt, &bearer, call);
                return stale(tries);
            }
            Judged::Unauthorized(failure) => failure,
        };
        if failure.error.status.is_none() {
            tries.unanswered = true;
        }
        self.pause_for(&failure);
        let wait = match self.retry_wait(req, failure, attempt, call) {
            Ok(wait) => wait,
            Err(e) => {
                self.give_up(req, attempt, &e);
                return Err(e);
            }
        };
        tries.attempt += 1;
        self.sleep(wait, call).await?;
        stale(tries)
    }
}
