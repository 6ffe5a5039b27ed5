//! Who ended a conversation on a queue with Genesys's own timer (design
//! section 2.3). Pure: from the close's evidence and the queue's timer.
//!
//! 1. Already closed, and the re-read shows `disconnectType: inactivity` on
//!    any participant: ended by Genesys (the evidence wins even when the
//!    queue looks `off`; then `timerLive` stays absent).
//! 2. Closed (or would close) on a queue whose timer is `on` or `unclear`:
//!    missed by the timer when its deadline (`inactivityTimeout`) passed more
//!    than [`GRACE`] ago, or the idle time reached the timeout plus
//!    [`GRACE`]; else ended by us first (the caller's shorter threshold ruled).
//! 3. Anything else: no attribution. No conversation is skipped for it: one
//!    the timer will still end is active by its own `inactivityTimeout`,
//!    which the idle decision already honours.

pub use crate::genesys::queue::{Attribution, NativeTimer};
use crate::genesys::queue::{QueueTimer, TimerLive};
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// How late the timer may act before we say it missed (UNCONFIRMED lag).
pub const GRACE: Duration = Duration::from_secs(60);

/// How the close ended, as far as attribution cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    AlreadyClosed,
    /// Closed by us, or (dry run) would be.
    Closed,
    Other,
}

/// What the close learned.
#[derive(Debug, Clone, Copy)]
pub struct Evidence {
    pub ending: Ending,
    /// Some participant has `disconnectType: inactivity`.
    pub ended_by_inactivity: bool,
    /// The conversation's `inactivityTimeout`, when it had one.
    pub inactivity_timeout: Option<SystemTime>,
    /// How long it had been idle when decided.
    pub idle: Option<Duration>,
}

pub fn attribute(e: &Evidence, timer: Option<&QueueTimer>, now: SystemTime) -> Option<Attribution> {
    let live = timer.filter(|t| t.may_run());
    match e.ending {
        Ending::AlreadyClosed if e.ended_by_inactivity => Some(Attribution {
            native_timer: NativeTimer::EndedByGenesys,
            queue_timeout_seconds: timer.and_then(|t| t.timeout_seconds),
            timer_live: live.map(|t| t.live),
        }),
        Ending::Closed => {
            let t = live?;
            let timeout = Duration::from_secs(t.timeout_seconds?);
            let past_deadline = e.inactivity_timeout.is_some_and(|d| d + GRACE <= now);
            let past_timeout = e.idle.is_some_and(|idle| idle >= timeout + GRACE);
            Some(Attribution {
                native_timer: if past_deadline || past_timeout {
                    NativeTimer::MissedByTimer
                } else {
                    NativeTimer::EndedByUsFirst
                },
                queue_timeout_seconds: t.timeout_seconds,
                timer_live: Some(t.live),
            })
        }
        _ => None,
    }
}

/// The counts a sweep or watch report carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NativeTimerCounts {
    pub ended_by_genesys: u32,
    pub ended_by_us_first: u32,
    pub missed_by_timer: u32,
    /// Attributed on queues whose timer is `unclear`.
    pub unclear: u32,
    /// Queues whose timer is `on` or `unclear`.
    pub queues_with_timer: u32,
    /// The queues could be read.
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl NativeTimerCounts {
    pub fn count(&mut self, a: &Attribution) {
        match a.native_timer {
            NativeTimer::EndedByGenesys => self.ended_by_genesys += 1,
            NativeTimer::EndedByUsFirst => self.ended_by_us_first += 1,
            NativeTimer::MissedByTimer => self.missed_by_timer += 1,
        }
        if a.timer_live == Some(TimerLive::Unclear) {
            self.unclear += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesys::queue::{timer_of, SettingsSource};
    use serde_json::json;

    fn timer(top: bool, sub: bool, secs: u64) -> QueueTimer {
        timer_of(
            &json!({"id": "q", "name": "Q", "mediaSettings": {"message": {
                "enableInactivityTimeout": top,
                "inactivityTimeoutSettings": {"timeoutSeconds": secs, "actionType": "DISCONNECT"},
                "subTypeSettings": {"webmessaging": {"enableInactivityTimeout": sub}}}}}),
            SettingsSource::Listing,
        )
    }

    fn ev(ending: Ending, inactivity: bool, deadline_ago: Option<i64>, idle_s: u64) -> Evidence {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100_000);
        Evidence {
            ending,
            ended_by_inactivity: inactivity,
            inactivity_timeout: deadline_ago.map(|a| {
                if a >= 0 {
                    now - Duration::from_secs(a as u64)
                } else {
                    now + Duration::from_secs((-a) as u64)
                }
            }),
            idle: Some(Duration::from_secs(idle_s)),
        }
    }

    #[test]
    fn the_table() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100_000);
        let on = timer(true, true, 600);
        let unclear = timer(true, false, 600);
        let off = timer(false, false, 600);
        use NativeTimer::*;
        let cases: [(Evidence, &QueueTimer, Option<NativeTimer>); 9] = [
            (
                ev(Ending::AlreadyClosed, true, None, 0),
                &on,
                Some(EndedByGenesys),
            ),
            (
                ev(Ending::AlreadyClosed, true, None, 0),
                &off,
                Some(EndedByGenesys),
            ),
            (ev(Ending::AlreadyClosed, false, None, 0), &on, None),
            (
                ev(Ending::Closed, false, Some(-300), 300),
                &on,
                Some(EndedByUsFirst),
            ),
            (
                ev(Ending::Closed, false, Some(61), 300),
                &on,
                Some(MissedByTimer),
            ),
            (
                ev(Ending::Closed, false, None, 660),
                &on,
                Some(MissedByTimer),
            ),
            (
                ev(Ending::Closed, false, None, 659),
                &unclear,
                Some(EndedByUsFirst),
            ),
            (ev(Ending::Closed, false, None, 5000), &off, None),
            (ev(Ending::Other, true, None, 5000), &on, None),
        ];
        for (i, (e, t, want)) in cases.iter().enumerate() {
            let got = attribute(e, Some(t), now).map(|a| a.native_timer);
            assert_eq!(got, *want, "case {i}");
        }
        let a = attribute(&cases[1].0, Some(&off), now).unwrap();
        assert_eq!(a.timer_live, None, "the evidence wins; the queue looks off");
        let a = attribute(&cases[6].0, Some(&unclear), now).unwrap();
        assert_eq!(a.timer_live, Some(TimerLive::Unclear));
        let mut c = NativeTimerCounts::default();
        c.count(&a);
        assert_eq!((c.ended_by_us_first, c.unclear), (1, 1));
        assert_eq!(attribute(&cases[3].0, None, now), None);
    }
}
