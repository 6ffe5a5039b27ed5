//! What `endGuestConversation` sends and what each answer means: a pure
//! state machine (no I/O, no clock of its own, never the token). The shell
//! feeds it the socket's events and the time, and does what it answers.
//!
//! The table (docs/guest.md, design 2.1): configure -> `readOnly` is
//! `alreadyClosed` (nothing else sent); `newSession` sends only
//! `closeSession` (nothing that could start a conversation) and is
//! `notFound`; otherwise Presence `Clear`, then `SessionClearedEvent` is
//! `closed`. 4006 is `expired`, 4007 `notFound`, a Clear answered 409
//! `alreadyClosed`; a 403 naming "Conversation Clear" is `ERR_FORBIDDEN`
//! (`clearDisabled`); every wait is bounded by the call's deadline.

use crate::error::{Error, ErrorCode, GuestReason};
use crate::genesys::guest_frames::Inbound;
use crate::guest::GuestOutcome;
use std::time::Duration;
use tokio::time::Instant;

/// The most frames one call reads: a server that floods is cut off.
pub const MAX_FRAMES: u32 = 1000;
/// How long `closeSession` may take to answer `connected: false`.
pub const CLOSE_SESSION_WAIT: Duration = Duration::from_secs(2);
/// How long to wait for `ConnectionClosedEvent` after `SessionClearedEvent`.
pub const CONNECTION_CLOSED_WAIT: Duration = Duration::from_secs(1);

/// A frame to send; the shell encodes it with the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbound {
    Configure,
    CloseSession,
    Clear,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The socket is open.
    Opened,
    Frame(Inbound),
    /// The socket closed (with its close code, if any).
    SocketClosed {
        code: Option<u16>,
    },
    /// The time moved: a deadline may have passed.
    Tick,
    /// The caller's signal.
    Aborted,
}

/// How the call ended, before the shell adds the deployment and the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub outcome: GuestOutcome,
    pub new_session: bool,
    pub read_only: bool,
    pub session_closed: Option<bool>,
    pub auto_started: Option<bool>,
    pub connection_closed_event: bool,
    pub guest_code: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this frame with this tracing id.
    Send(Outbound, String),
    /// Close the socket (1000).
    Close,
    Finish(Result<Ended, Error>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Opening,
    Configuring,
    ClosingNew,
    Clearing,
    Cleared,
    Done,
}

impl Phase {
    /// What the call was doing, for a timeout or abort message.
    fn doing(self) -> &'static str {
        match self {
            Phase::Opening => "opening the Guest API socket",
            Phase::Configuring => "resuming the guest's session (configureSession)",
            Phase::ClosingNew => "closing the new session (closeSession)",
            Phase::Clearing => "clearing the conversation (Presence Clear)",
            Phase::Cleared | Phase::Done => "waiting for ConnectionClosedEvent",
        }
    }
}

/// The machine; `ids` makes each frame's tracing id.
pub struct Machine<F: FnMut() -> String> {
    ids: F,
    phase: Phase,
    deadline: Instant,
    timeout: Duration,
    phase_deadline: Option<Instant>,
    frames: u32,
    clear_sent: bool,
    ended: Ended,
}

impl<F: FnMut() -> String> Machine<F> {
    /// A call that must end by `started + timeout`.
    pub fn new(started: Instant, timeout: Duration, ids: F) -> Self {
        Machine {
            ids,
            phase: Phase::Opening,
            deadline: started + timeout,
            timeout,
            phase_deadline: None,
            frames: 0,
            clear_sent: false,
            ended: Ended {
                outcome: GuestOutcome::Closed,
                new_session: false,
                read_only: false,
                session_closed: None,
                auto_started: None,
                connection_closed_event: false,
                guest_code: None,
            },
        }
    }

    /// When the shell must feed `Tick` at the latest.
    pub fn next_deadline(&self) -> Instant {
        self.phase_deadline
            .map_or(self.deadline, |d| d.min(self.deadline))
    }

    pub fn clear_sent(&self) -> bool {
        self.clear_sent
    }

    pub fn step(&mut self, input: Input, now: Instant) -> Vec<Action> {
        if self.phase == Phase::Done {
            return Vec::new();
        }
        match input {
            Input::Aborted => self.fail(self.aborted()),
            Input::Tick => self.tick(now),
            Input::Opened if self.phase == Phase::Opening => {
                self.phase = Phase::Configuring;
                vec![self.send(Outbound::Configure)]
            }
            Input::Opened => Vec::new(),
            Input::SocketClosed { code } => self.socket_closed(code),
            Input::Frame(frame) => {
                self.frames += 1;
                if self.frames > MAX_FRAMES {
                    return self.fail(protocol(format!(
                        "The Guest API sent more than {MAX_FRAMES} frames without ending the exchange."
                    )));
                }
                self.frame(frame, now)
            }
        }
    }

    fn send(&mut self, what: Outbound) -> Action {
        if what == Outbound::Clear {
            self.clear_sent = true;
        }
        Action::Send(what, (self.ids)())
    }

    fn finish(&mut self, outcome: GuestOutcome) -> Vec<Action> {
        self.ended.outcome = outcome;
        self.phase = Phase::Done;
        vec![Action::Close, Action::Finish(Ok(self.ended.clone()))]
    }

    fn finish_code(&mut self, outcome: GuestOutcome, code: u32) -> Vec<Action> {
        self.ended.guest_code = Some(code);
        self.finish(outcome)
    }

    /// Fails the call; `notAttempted` says the Clear was never sent.
    fn fail(&mut self, mut e: Error) -> Vec<Action> {
        e.not_attempted = !self.clear_sent;
        self.phase = Phase::Done;
        vec![Action::Close, Action::Finish(Err(e))]
    }

    fn tick(&mut self, now: Instant) -> Vec<Action> {
        if now >= self.deadline {
            return self.fail(self.timed_out());
        }
        match (self.phase, self.phase_deadline) {
            (Phase::ClosingNew, Some(d)) if now >= d => {
                self.ended.session_closed = Some(false);
                self.finish(GuestOutcome::NotFound)
            }
            (Phase::Cleared, Some(d)) if now >= d => self.finish(GuestOutcome::Closed),
            _ => Vec::new(),
        }
    }

    fn socket_closed(&mut self, code: Option<u16>) -> Vec<Action> {
        match (self.phase, code) {
            (Phase::Cleared, _) => self.finish(GuestOutcome::Closed),
            (Phase::ClosingNew, _) => {
                self.ended.session_closed = Some(false);
                self.finish(GuestOutcome::NotFound)
            }
            (_, Some(4006)) => self.finish_code(GuestOutcome::Expired, 4006),
            (_, Some(4007)) => self.finish_code(GuestOutcome::NotFound, 4007),
            (phase, code) => {
                let mut e = Error::new(
                    ErrorCode::Network,
                    format!(
                        "The Guest API socket closed while {}{}.",
                        phase.doing(),
                        self.clear_note()
                    ),
                );
                e.network_detail = Some(match code {
                    Some(c) => format!("close code {c}"),
                    None => "closed without a close frame".into(),
                });
                self.fail(e)
            }
        }
    }

    fn frame(&mut self, frame: Inbound, now: Instant) -> Vec<Action> {
        match self.phase {
            Phase::Configuring => self.on_configure_answer(frame, now),
            Phase::ClosingNew => match frame {
                Inbound::Session {
                    connected: false, ..
                } => {
                    self.ended.session_closed = Some(true);
                    self.finish(GuestOutcome::NotFound)
                }
                Inbound::Other | Inbound::Session { .. } => Vec::new(),
                _ => {
                    self.ended.session_closed = Some(false);
                    self.finish(GuestOutcome::NotFound)
                }
            },
            Phase::Clearing => match frame {
                Inbound::SessionCleared => {
                    self.phase = Phase::Cleared;
                    self.phase_deadline = Some(now + CONNECTION_CLOSED_WAIT);
                    Vec::new()
                }
                Inbound::Error { code: 409, .. } => {
                    self.ended.read_only = true;
                    self.finish_code(GuestOutcome::AlreadyClosed, 409)
                }
                other => self.common(other),
            },
            Phase::Cleared => match frame {
                Inbound::ConnectionClosed { .. } => {
                    self.ended.connection_closed_event = true;
                    self.finish(GuestOutcome::Closed)
                }
                _ => Vec::new(),
            },
            Phase::Opening | Phase::Done => Vec::new(),
        }
    }

    fn on_configure_answer(&mut self, frame: Inbound, now: Instant) -> Vec<Action> {
        let Inbound::Session {
            connected,
            new_session,
            read_only,
            auto_started,
        } = frame
        else {
            return self.common(frame);
        };
        self.ended.new_session = new_session;
        self.ended.read_only = read_only;
        if new_session {
            // A token the server never saw: send nothing that could start a
            // conversation; close the session it just made.
            self.ended.auto_started = Some(auto_started);
            self.phase = Phase::ClosingNew;
            self.phase_deadline = Some(now + CLOSE_SESSION_WAIT);
            return vec![self.send(Outbound::CloseSession)];
        }
        if read_only {
            return self.finish(GuestOutcome::AlreadyClosed);
        }
        if !connected {
            return self.fail(protocol(
                "The Guest API answered configureSession with connected: false.".into(),
            ));
        }
        self.phase = Phase::Clearing;
        vec![self.send(Outbound::Clear)]
    }

    /// Answers that mean the same in every phase before the clear is done.
    fn common(&mut self, frame: Inbound) -> Vec<Action> {
        match frame {
            Inbound::Expired => self.finish_code(GuestOutcome::Expired, 4006),
            Inbound::Error { code: 4007, .. } => self.finish_code(GuestOutcome::NotFound, 4007),
            Inbound::Error { code: 403, text } => self.fail(forbidden(&text)),
            Inbound::RateLimited { retry_after_s } => self.fail(rate_limited(retry_after_s)),
            Inbound::ConnectionClosed { reason } => self.fail(connection_closed(reason)),
            Inbound::Error { code, text } => {
                let mut e = Error::new(
                    ErrorCode::Upstream,
                    format!(
                        "The Guest API answered code {code} while {}: {text}",
                        self.phase.doing()
                    ),
                );
                e.guest_code = Some(code);
                self.fail(e)
            }
            Inbound::Unreadable => self.fail(protocol(
                "The Guest API sent a frame that is not a JSON object.".into(),
            )),
            Inbound::Other | Inbound::Session { .. } | Inbound::SessionCleared => Vec::new(),
        }
    }

    fn clear_note(&self) -> &'static str {
        if self.clear_sent {
            "; Presence Clear was sent, so the conversation may have ended: read it to know"
        } else {
            "; nothing that ends the conversation was sent"
        }
    }

    fn timed_out(&self) -> Error {
        let mut e = Error::new(
            ErrorCode::Timeout,
            format!(
                "endGuestConversation timed out after {} ms while {}{}.",
                self.timeout.as_millis(),
                self.phase.doing(),
                self.clear_note()
            ),
        );
        e.not_attempted = !self.clear_sent;
        e
    }

    fn aborted(&self) -> Error {
        let mut e = Error::new(
            ErrorCode::Aborted,
            format!(
                "endGuestConversation was aborted by its AbortSignal while {}{}.",
                self.phase.doing(),
                self.clear_note()
            ),
        );
        e.not_attempted = !self.clear_sent;
        e
    }
}

fn protocol(message: String) -> Error {
    let mut e = Error::new(ErrorCode::Upstream, message);
    e.guest_reason = Some(GuestReason::Protocol);
    e
}

/// A 403 frame: the disabled clear (matched as TRANSPORT does), or another refusal.
fn forbidden(text: &str) -> Error {
    let clear_disabled = text.to_ascii_lowercase().contains("conversation clear");
    let message = if clear_disabled {
        format!(
            "The deployment does not let the guest clear the conversation (Guest API 403 \"{text}\"). \
             Enable Messenger configuration > Conversations > conversation clear \
             (messenger.apps.conversations.conversationClear.enabled), publish the configuration, \
             and republish the deployment; or end it server-side with closeConversation."
        )
    } else {
        format!("The Guest API refused the request (403): {text}")
    };
    let mut e = Error::new(ErrorCode::Forbidden, message);
    e.guest_code = Some(403);
    if clear_disabled {
        e.guest_reason = Some(GuestReason::ClearDisabled);
    }
    e
}

fn rate_limited(retry_after_s: Option<u64>) -> Error {
    let mut e = Error::new(
        ErrorCode::RateLimited,
        format!(
            "The Guest API is rate limiting this session (4029){}.",
            retry_after_s.map_or(String::new(), |s| format!(": retry after {s} s"))
        ),
    );
    e.guest_code = Some(4029);
    e.guest_reason = Some(GuestReason::RateLimited);
    e.retry_after_ms = retry_after_s.map(|s| s.saturating_mul(1000));
    e
}

fn connection_closed(reason: Option<String>) -> Error {
    let mut e = Error::new(
        ErrorCode::Upstream,
        format!(
            "The Guest API closed this connection (ConnectionClosedEvent{}) before the conversation was cleared. \
             A session allows 3 open connections: the guest's own tabs may have pushed this one out.",
            reason.map_or(String::new(), |r| format!(", reason {r}"))
        ),
    );
    e.guest_reason = Some(GuestReason::ConnectionClosed);
    e
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
