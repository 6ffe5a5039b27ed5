//! The WebSocket at a channel's `connectUri` (`/channels/{id}`): plain ws,
//! no auth header (JAVA, NET, CLI connect with none). One task per socket:
//! it sends what `notify.rs` queues for it, a `channel.metadata` heartbeat
//! every `heartbeatMs`, answers `{"message":"ping"}`, and closes at the
//! channel's expiry.

use crate::app::App;
use crate::genesys::notify::{self, Out};
use crate::ground::clock::now_ms;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::time::{sleep, sleep_until, Instant};

/// Frames from a client larger than this close the socket (a client sends
/// only pings).
const MAX_CLIENT_FRAME: usize = 64 * 1024;

pub async fn connect(
    State(app): State<App>,
    Path(id): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    // An unknown or expired channel: 404 before the upgrade (UNCONFIRMED).
    if app.lock().notify.live(&id, now_ms()).is_none() {
        return (StatusCode::NOT_FOUND, "unknown or expired channel").into_response();
    }
    ws.max_message_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| run(app, id, socket))
}

/// What woke the socket task.
enum Step {
    Client(Option<Result<Message, axum::Error>>),
    Queued(Option<Out>),
    Heartbeat,
    Expiry,
    ClosingDone,
}

fn ms_from_now(at_ms: i64) -> Instant {
    Instant::now() + Duration::from_millis(at_ms.saturating_sub(now_ms()).max(0) as u64)
}

/// Never, in practice: a year on.
fn far_off() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// Attaches the socket to its channel -> its connection number, the
/// heartbeat interval and the channel's expiry (`None`: the channel is gone).
fn attach(app: &App, id: &str, tx: UnboundedSender<Out>) -> Option<(u64, Duration, i64)> {
    let mut st = app.lock();
    let heartbeat = Duration::from_millis(st.config.heartbeat_ms);
    let conn = st.notify.attach(id, tx, now_ms())?;
    let expires_at = st.notify.channels.get(id).map_or(0, |c| c.expires_at);
    Some((conn, heartbeat, expires_at))
}

/// At the expiry timer: removes the channel and queues our Close (then the
/// timer never fires again), or the channel was renewed: its new expiry.
fn next_expiry(app: &App, id: &str) -> Instant {
    let mut st = app.lock();
    let now = now_ms();
    st.notify.expire(now);
    match st.notify.channels.get(id) {
        Some(c) => ms_from_now(c.expires_at.max(now + 1)),
        None => far_off(),
    }
}

async fn run(app: App, id: String, mut socket: WebSocket) {
    let (tx, mut rx) = unbounded_channel();
    let Some((conn, heartbeat, expires_at)) = attach(&app, &id, tx) else {
        return;
    };
    let mut beat = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
    let expiry = sleep(Duration::ZERO);
    tokio::pin!(expiry);
    expiry.as_mut().reset(ms_from_now(expires_at));
    let closing = sleep_until(far_off());
    tokio::pin!(closing);
    let mut closing_armed = false;
    loop {
        let step = tokio::select! {
            m = socket.recv() => Step::Client(m),
            o = rx.recv() => Step::Queued(o),
            _ = beat.tick() => Step::Heartbeat,
            _ = &mut expiry => Step::Expiry,
            _ = &mut closing, if closing_armed => Step::ClosingDone,
        };
        let sent = match step {
            Step::Client(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break,
            Step::Client(Some(Ok(Message::Text(t)))) if is_ping(t.as_str()) => {
                socket.send(Message::Text(notify::pong().into())).await
            }
            Step::Client(Some(Ok(_))) => Ok(()),
            Step::Queued(None) => break,
            Step::Queued(Some(Out::Text { json, delay_ms })) => {
                if delay_ms > 0 {
                    sleep(Duration::from_millis(delay_ms)).await;
                }
                socket.send(Message::Text(json.into())).await
            }
            Step::Queued(Some(Out::Closing { json, grace_ms })) => {
                closing
                    .as_mut()
                    .reset(Instant::now() + Duration::from_millis(grace_ms));
                closing_armed = true;
                socket.send(Message::Text(json.into())).await
            }
            Step::Queued(Some(Out::Close { code, reason })) => {
                close(&mut socket, code, reason).await;
                break;
            }
            // A network failure: no close frame, the TCP connection just ends.
            Step::Queued(Some(Out::Drop)) => break,
            Step::Heartbeat => socket.send(Message::Text(notify::heartbeat().into())).await,
            Step::Expiry => {
                expiry.as_mut().reset(next_expiry(&app, &id));
                Ok(())
            }
            Step::ClosingDone => {
                close(&mut socket, 1001, "socket closing for maintenance").await;
                break;
            }
        };
        if sent.is_err() {
            break;
        }
    }
    app.lock().notify.detach(&id, conn);
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

/// The client's ping: `{"message":"ping"}` (JAVA `sendPing()`, NET `Ping()`).
fn is_ping(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .is_some_and(|v| v.get("message").and_then(|m| m.as_str()) == Some("ping"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ping_is_recognised() {
        assert!(super::is_ping(r#"{"message":"ping"}"#));
        assert!(!super::is_ping(r#"{"message":"pong"}"#));
        assert!(!super::is_ping("ping"));
    }
}
