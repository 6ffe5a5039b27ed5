//! The I/O around the guest machine: opens the socket, encodes what the
//! machine sends (the only place the token meets a frame), decodes what the
//! server sends (redacting the token), and feeds the machine the time and
//! the caller's signal. Every wait ends by the call's deadline.

use super::machine::{Action, Input, Machine, Outbound};
use super::{EndGuestOptions, GuestEndResult};
use crate::error::{Error, ErrorCode, GuestReason};
use crate::genesys::guest_frames::{self, Inbound};
use crate::http::websocket::{self, Opening, Socket};
use crate::CancellationToken;
use futures::{SinkExt, StreamExt};
use secrecy::SecretString;
use tokio::time::{sleep_until, timeout, Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// The largest frame read from the Guest API (its frames are a few hundred bytes).
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// How long closing our socket may take once the call has its answer.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// Runs one call (options already validated).
pub async fn run(o: &EndGuestOptions, cancel: &CancellationToken) -> Result<GuestEndResult, Error> {
    let started = Instant::now();
    let url = o.socket_url()?;
    let mut machine = Machine::new(started, o.timeout, || uuid::Uuid::new_v4().to_string());
    let opening = Opening {
        label: "Guest API socket",
        max_message: MAX_FRAME_BYTES,
        // The machine's deadline rules; this only keeps the connect bounded on its own.
        timeout: o.timeout + Duration::from_secs(1),
        origin: o.origin.as_deref(),
    };
    let opened = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        _ = sleep_until(machine.next_deadline()) => None,
        r = websocket::connect(&url, opening) => Some(r.map_err(|e| refused(e, &o.deployment_id))?),
    };
    let (mut socket, mut actions) = match opened {
        Some(ws) => (Some(ws), machine.step(Input::Opened, Instant::now())),
        None => {
            let input = if cancel.is_cancelled() {
                Input::Aborted
            } else {
                Input::Tick
            };
            (None, machine.step(input, Instant::now()))
        }
    };
    loop {
        for action in std::mem::take(&mut actions) {
            match action {
                Action::Send(what, tracing_id) => {
                    let Some(ws) = socket.as_mut() else { continue };
                    let frame = encode(what, &o.token, &o.deployment_id, &tracing_id);
                    if let Err(e) = send(ws, frame, machine.next_deadline()).await {
                        actions = machine.step(e, Instant::now());
                    }
                }
                Action::Close => {
                    if let Some(mut ws) = socket.take() {
                        let _ = timeout(CLOSE_WAIT, ws.close(None)).await;
                    }
                }
                Action::Finish(result) => {
                    return result.map(|ended| GuestEndResult {
                        outcome: ended.outcome,
                        deployment_id: o.deployment_id.clone(),
                        new_session: ended.new_session,
                        read_only: ended.read_only,
                        session_closed: ended.session_closed,
                        auto_started: ended.auto_started,
                        connection_closed_event: ended.connection_closed_event,
                        guest_code: ended.guest_code,
                        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
                    })
                }
            }
        }
        if !actions.is_empty() {
            continue;
        }
        let Some(ws) = socket.as_mut() else {
            return Err(internal());
        };
        let input = tokio::select! {
            biased;
            _ = cancel.cancelled() => Input::Aborted,
            _ = sleep_until(machine.next_deadline()) => Input::Tick,
            m = ws.next() => read(m, &o.token),
        };
        actions = machine.step(input, Instant::now());
    }
}

fn encode(what: Outbound, token: &SecretString, deployment_id: &str, tracing_id: &str) -> String {
    match what {
        Outbound::Configure => guest_frames::encode_configure(token, deployment_id, tracing_id),
        Outbound::Clear => guest_frames::encode_clear(token, tracing_id),
        Outbound::CloseSession => guest_frames::encode_close_session(token, tracing_id),
    }
}

/// Sends one frame by `deadline`; a failure is the socket closing under us.
async fn send(ws: &mut Socket, frame: String, deadline: Instant) -> Result<(), Input> {
    match tokio::time::timeout_at(deadline, ws.send(Message::Text(frame.into()))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Input::SocketClosed { code: None }),
        Err(_) => Err(Input::Tick),
    }
}

/// What the socket gave, as the machine's input.
fn read(
    m: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    token: &SecretString,
) -> Input {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match m {
        Some(Ok(Message::Text(t))) => Input::Frame(guest_frames::decode(t.as_str(), token)),
        Some(Ok(Message::Binary(_))) => Input::Frame(Inbound::Unreadable),
        Some(Ok(Message::Close(frame))) => Input::SocketClosed {
            code: frame.map(|f| u16::from(f.code)),
        },
        // Pings are answered by tungstenite; the deadline bounds a flood of them.
        Some(Ok(_)) => Input::Tick,
        // A frame over the size bound is the server's fault, not the network's.
        Some(Err(WsError::Capacity(_))) => Input::Frame(Inbound::Unreadable),
        Some(Err(_)) | None => Input::SocketClosed { code: None },
    }
}

/// An upgrade the Guest API refused, by its HTTP status.
fn refused(mut e: Error, deployment_id: &str) -> Error {
    match e.status {
        Some(403) => {
            e.code = ErrorCode::Forbidden;
            e.guest_reason = Some(GuestReason::HandshakeRefused);
            e.message = format!(
                "The Guest API refused the socket for deployment {deployment_id} (HTTP 403): check deploymentId, that the deployment is active, and its allowed domains (origin)."
            );
        }
        Some(404) => {
            e.code = ErrorCode::NotFound;
            e.message = format!(
                "The Guest API answered HTTP 404 for deployment {deployment_id}: check guestUrl or region."
            );
        }
        _ => {}
    }
    e.not_attempted = true;
    e
}

fn internal() -> Error {
    Error::new(
        ErrorCode::Internal,
        "endGuestConversation lost its socket without an outcome. Please report it.",
    )
}
