//! The watcher's timing decisions, as pure functions of times passed in:
//! reconnect backoff, whether a silent socket is dead, and when to renew a
//! channel.
//!
//! Why these numbers: Genesys sends a `channel.metadata` heartbeat
//! periodically (30 s is only user-observed, UNCONFIRMED), so a socket
//! silent for 45 s is pinged (`{"message":"ping"}`, JAVA/NET), and one still
//! silent 15 s after the ping is dead. A channel lives 24 h and nothing is
//! documented to warn of its end, so it is renewed (a new channel, then the
//! old one dropped) a tenth of its lifetime, at most 5 minutes, before
//! `expires`. Events are not durable, so every span without a healthy socket
//! is reconciled (by the driver, over the whole lookback: what a gap hid
//! can belong to a conversation that started long before it).

use crate::error::{Error, ErrorCode};
use std::time::Duration;

/// Silence after which a ping is sent.
pub const PING_AFTER: Duration = Duration::from_secs(45);
/// Silence after a ping after which the socket is dead.
pub const DEAD_AFTER_PING: Duration = Duration::from_secs(15);
/// Reconnect backoff: the first delay's cap and the largest.
pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The longest a channel is renewed ahead of its expiry.
pub const RENEW_AHEAD_MAX: Duration = Duration::from_secs(300);

/// Full-jitter exponential backoff for reconnect `attempt` (0 = the first
/// retry); `unit` is a random number in [0, 1) passed in.
pub fn backoff(attempt: u32, unit: f64) -> Duration {
    let cap = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_MAX);
    cap.mul_f64(unit.clamp(0.0, 1.0))
}

/// What a socket's silence calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Fine,
    SendPing,
    Dead,
}

/// `silent`: time since the last frame; `pinged`: time since our ping,
/// when one was sent after that frame.
pub fn liveness(silent: Duration, pinged: Option<Duration>) -> Liveness {
    match pinged {
        Some(p) if p >= DEAD_AFTER_PING => Liveness::Dead,
        Some(_) => Liveness::Fine,
        None if silent >= PING_AFTER => Liveness::SendPing,
        None => Liveness::Fine,
    }
}

/// When to renew a channel created at `created_ms` that expires at
/// `expires_ms` (epoch ms): a tenth of its lifetime ahead, at most 5 min.
pub fn renew_at(created_ms: u64, expires_ms: u64) -> u64 {
    let lifetime = expires_ms.saturating_sub(created_ms);
    let ahead = (lifetime / 10).min(RENEW_AHEAD_MAX.as_millis() as u64);
    expires_ms.saturating_sub(ahead)
}

/// A failure that ends the watch instead of waiting for a later try: the
/// token was refused and cannot be refreshed (a static `accessToken` that
/// expired or was revoked). A client-credentials client fetches a new token
/// after a 401, so its 401s are left to the next try.
pub fn ends_watch(e: &Error, can_refresh: bool) -> bool {
    e.code == ErrorCode::Unauthorized && !can_refresh
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::error::{Error, ErrorCode};

    #[test]
    fn only_a_token_that_cannot_be_refreshed_ends_the_watch() {
        let unauthorized = Error::new(ErrorCode::Unauthorized, "expired");
        let table = [(&unauthorized, false, true), (&unauthorized, true, false)];
        for (e, can_refresh, want) in table {
            assert_eq!(ends_watch(e, can_refresh), want, "{can_refresh}");
        }
        for code in [
            ErrorCode::Upstream,
            ErrorCode::RateLimited,
            ErrorCode::Network,
            ErrorCode::Forbidden,
        ] {
            assert!(!ends_watch(&Error::new(code, "x"), false), "{code:?}");
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let table = [
            (0, 1.0, 250),
            (1, 1.0, 500),
            (3, 1.0, 2000),
            (7, 1.0, 30_000),
            (40, 1.0, 30_000),
            (3, 0.5, 1000),
            (3, 0.0, 0),
            (3, 7.0, 2000),
        ];
        for (attempt, unit, ms) in table {
            assert_eq!(
                backoff(attempt, unit),
                Duration::from_millis(ms),
                "{attempt} {unit}"
            );
        }
    }

    #[test]
    fn silence_is_pinged_then_dead() {
        let s = Duration::from_secs;
        let table = [
            (s(0), None, Liveness::Fine),
            (s(44), None, Liveness::Fine),
            (s(45), None, Liveness::SendPing),
            (s(50), Some(s(5)), Liveness::Fine),
            (s(60), Some(s(15)), Liveness::Dead),
        ];
        for (silent, pinged, want) in table {
            assert_eq!(liveness(silent, pinged), want, "{silent:?} {pinged:?}");
        }
    }

    #[test]
    fn renewal_comes_before_expiry() {
        let day = 86_400_000;
        assert_eq!(renew_at(0, day), day - 300_000, "24 h: 5 min ahead");
        assert_eq!(renew_at(0, 3000), 2700, "short test channels: a tenth");
        assert_eq!(renew_at(5000, 1000), 1000, "nonsense times: at once");
    }
}
