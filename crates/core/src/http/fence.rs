//! The write fence of a leased job (`sweep({ lease })`): a replica may write
//! only while its lease is known to be valid. The JS side arms the fence after
//! every successful acquire or renewal with how long the lease is still good,
//! counted from when that call was sent; the transport checks it before every
//! write, on its own clock, so a stalled event loop or a paused process cannot
//! let a write through after the lease ran out. It counts what it refused, so
//! the job's report can say that writes stopped without reading its results.

use crate::error::{Error, ErrorCode};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Default)]
pub struct Fence {
    /// None: no leased job, writes are free. Some(t): writes until `t`.
    until: Mutex<Option<Instant>>,
    /// Writes refused since the fence was armed for this term of the job.
    refused: AtomicU32,
}

impl Fence {
    /// Writes are allowed for `valid_for` from now; zero closes the fence.
    /// Armed when it was lifted, it starts a new term: nothing refused yet.
    pub fn arm(&self, valid_for: Duration) {
        let mut until = self.lock();
        if until.is_none() {
            self.refused.store(0, Ordering::Release);
        }
        *until = Some(Instant::now() + valid_for);
    }

    /// No leased job any more: writes are free again.
    pub fn disarm(&self) {
        *self.lock() = None;
    }

    /// Whether a write may start at `now`.
    pub fn allows(&self, now: Instant) -> bool {
        self.lock().is_none_or(|until| now < until)
    }

    /// `Ok` when a write may start now, else `ERR_LEASE_LOST` naming it.
    pub fn check(&self, action: &str) -> Result<(), Error> {
        if self.allows(Instant::now()) {
            return Ok(());
        }
        self.refused.fetch_add(1, Ordering::AcqRel);
        Err(Error::new(
            ErrorCode::LeaseLost,
            format!(
                "Not {action}: this replica's lease on the job was lost or ran out, so another replica may hold it now. Nothing was written; the replica holding the lease does the work."
            ),
        ))
    }

    /// Writes refused since the fence was armed for this term.
    pub fn refused(&self) -> u32 {
        self.refused.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn writes_stop_when_the_lease_runs_out() {
        let f = Fence::default();
        assert!(f.check("ending x").is_ok(), "no lease: free");
        f.arm(Duration::from_secs(10));
        assert!(f.check("ending x").is_ok());
        tokio::time::advance(Duration::from_secs(10)).await;
        let e = f.check("ending x").unwrap_err();
        assert_eq!(e.code, ErrorCode::LeaseLost);
        assert!(e.message.starts_with("Not ending x:"));
        f.arm(Duration::from_secs(1));
        assert!(f.check("ending x").is_ok(), "renewed");
        f.arm(Duration::ZERO);
        assert!(f.check("ending x").is_err(), "known lost");
        f.disarm();
        assert!(f.check("ending x").is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn it_counts_what_it_refused_in_a_term() {
        let f = Fence::default();
        f.arm(Duration::from_secs(1));
        assert!(f.check("ending x").is_ok());
        assert_eq!(f.refused(), 0, "an allowed write is no refusal");
        f.arm(Duration::ZERO);
        assert!(f.check("ending x").is_err());
        assert!(f.check("ending y").is_err());
        assert_eq!(f.refused(), 2);
        f.arm(Duration::from_secs(1));
        assert_eq!(f.refused(), 2, "a renewal is the same term");
        f.disarm();
        assert_eq!(f.refused(), 2, "read after the job, before the next term");
        f.arm(Duration::from_secs(1));
        assert_eq!(f.refused(), 0, "a new term");
    }
}
