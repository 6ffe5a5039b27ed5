//! The Web Messaging Guest API WebSocket at `GET /v1?deploymentId=` (on
//! the same listener; Genesys: `wss://webmessaging.{domain}/v1`). No auth:
//! the guest's token rides in each frame. Not logged (tokens are secrets).
//!
//! - this file: the upgrade (403 before it for an unknown or inactive
//!   deployment, UNCONFIRMED) and the socket task;
//! - `session`: `configureSession`, `closeSession`, `echo`, the checks a
//!   session passes (4006 expired, 4007 unknown), the 3-connection limit;
//! - `message`: `onMessage`: Presence `Clear`, `Text`, other events.

mod message;
mod session;

use crate::app::{App, State as AppState};
use crate::genesys::guest::{frames, GuestOut};
use crate::ground::clock::now_ms;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use tokio::sync::mpsc::unbounded_channel;

/// A client frame larger than this closes the socket.
const MAX_CLIENT_FRAME: usize = 256 * 1024;
/// "the token cannot exceed 2048 characters" (help FAQ, DOCUMENTED).
const MAX_TOKEN: usize = 2048;

pub async fn connect(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let id = q.get("deploymentId").cloned().unwrap_or_default();
    let active = app
        .lock()
        .store
        .deployments
        .get(&id)
        .is_some_and(|d| d.status == "Active");
    if !active {
        return (StatusCode::FORBIDDEN, "Access denied").into_response();
    }
    ws.max_message_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| run(app, id, socket))
}

async fn run(app: App, deployment_id: String, mut socket: WebSocket) {
    let (tx, mut rx) = unbounded_channel();
    let conn = app.lock().guest.open(&deployment_id, tx);
    loop {
        tokio::select! {
            m = socket.recv() => match m {
                Some(Ok(Message::Text(t))) => {
                    let mut st = app.lock();
                    let now = now_ms();
                    st.reap(now);
                    if !st.guest.muted.contains(&deployment_id) {
                        handle(&mut st, conn, t.as_str(), now);
                    }
                }
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            },
            o = rx.recv() => match o {
                Some(GuestOut::Text(json)) => {
                    if socket.send(Message::Text(json.into())).await.is_err() {
                        break;
                    }
                }
                Some(GuestOut::Close(code, reason)) => {
                    let frame = CloseFrame { code, reason: reason.into() };
                    let _ = socket.send(Message::Close(Some(frame))).await;
                    break;
                }
                None => break,
            },
        }
    }
    app.lock().guest.close(conn);
}

/// One client request, as much as every action reads.
pub(crate) struct Req<'a> {
    conn: u64,
    token: &'a str,
    tracing: Option<&'a str>,
    body: &'a Value,
    now: i64,
}

impl Req<'_> {
    fn answer(&self, st: &AppState, json: String) {
        st.guest.send(self.conn, GuestOut::Text(json));
    }

    fn fail(&self, st: &AppState, code: u32, text: &str) {
        self.answer(st, frames::error(code, text, self.tracing));
    }
}

/// Parses a frame and runs its action under the lock; every answer is
/// queued to the sockets concerned.
fn handle(st: &mut AppState, conn: u64, text: &str, now: i64) {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let action = body.get("action").and_then(Value::as_str).unwrap_or("");
    let req = Req {
        conn,
        token: body.get("token").and_then(Value::as_str).unwrap_or(""),
        tracing: body.get("tracingId").and_then(Value::as_str),
        body: &body,
        now,
    };
    st.guest.record(conn, action, message::detail(&body));
    if !matches!(
        action,
        "configureSession" | "onMessage" | "closeSession" | "echo"
    ) {
        return req.fail(st, 400, frames::FAILED);
    }
    if req.token.is_empty() || req.token.len() > MAX_TOKEN {
        return req.fail(st, 400, frames::FAILED);
    }
    match action {
        "configureSession" => session::configure(st, &req),
        "closeSession" => session::close(st, &req),
        "echo" => session::echo(st, &req),
        _ => message::on_message(st, &req),
    }
}
