//! Notification channels seen and hurt from outside: `GET
//! /__emulator/notifications` and the socket and event faults.

use super::answer::{bad, ok, parse, AdminError, AdminResult};
use crate::app::App;
use crate::genesys::notify::{self, Out};
use crate::ground::clock::now_ms;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use serde_json::json;

pub async fn get_notifications(State(app): State<App>) -> AdminResult {
    let mut st = app.lock();
    st.notify.expire(now_ms());
    ok(st.notify.to_json())
}

/// `{channelId?}`: which channel a fault hits (absent: every channel).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChannelFault {
    channel_id: Option<String>,
    grace_ms: Option<u64>,
    count: Option<u64>,
}

fn fault_body(body: &[u8]) -> Result<ChannelFault, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(ChannelFault::default())
    } else {
        parse(body)
    }
}

/// Ends the socket(s) without a close frame, as a network failure would.
pub async fn drop_socket(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let n = app
        .lock()
        .notify
        .each_socket(f.channel_id.as_deref(), |_| Out::Drop);
    ok(json!({ "sockets": n }))
}

/// Sends `v2.system.socket_closing`, then closes after `graceMs` (default
/// config `socketClosingGraceMs`, "one minute" in F7423).
pub async fn socket_closing(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let mut st = app.lock();
    let grace_ms = f.grace_ms.unwrap_or(st.config.socket_closing_grace_ms);
    let n = st
        .notify
        .each_socket(f.channel_id.as_deref(), |ch| Out::Closing {
            json: notify::socket_closing(&ch.id),
            grace_ms,
        });
    ok(json!({ "sockets": n }))
}

/// The next `count` conversation events (on any channel) are lost.
pub async fn drop_events(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let count = f.count.ok_or_else(|| bad("count is required"))?;
    let mut st = app.lock();
    st.notify.drop_next = st.notify.drop_next.saturating_add(count);
    ok(json!({ "dropNext": st.notify.drop_next }))
}

/// The channel(s) expire now: sockets closed, later calls 404.
pub async fn expire_channel(State(app): State<App>, body: Bytes) -> AdminResult {
    let f = fault_body(&body)?;
    let now = now_ms();
    let mut st = app.lock();
    let mut n = 0;
    for ch in st.notify.channels.values_mut() {
        if f.channel_id.as_deref().is_none_or(|w| w == ch.id) {
            ch.expires_at = now;
            n += 1;
        }
    }
    st.notify.expire(now);
    ok(json!({ "expired": n }))
}
