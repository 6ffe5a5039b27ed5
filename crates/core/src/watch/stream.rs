//! One notification channel kept alive: create it, open its socket, then
//! subscribe (socket first, so nothing sent between the two is lost), read
//! frames, ping a silent socket, reconnect with backoff after a drop or a
//! `socket_closing`, create a new channel when the old one is gone or about
//! to expire. It decides nothing about conversations: it hands the driver
//! each conversation event and each span without a healthy socket (a gap),
//! which the driver reconciles.

use super::channel::{self, ChannelInfo, Queue, RejectedTopic};
use super::frame::{self, ConversationEvent, Frame};
use super::policy::{self, Liveness};
use super::socket::{self, Socket};
use crate::error::{Error, ErrorCode};
use crate::http::transport::Transport;
use crate::session::Session;
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// What a channel's task tells the driver.
#[derive(Debug)]
pub enum Feed {
    /// A socket is open and subscribed.
    Up {
        stream: usize,
        channel_id: String,
        /// `(from, to)` epoch ms: a span without a healthy socket before this one.
        gap: Option<(u64, u64)>,
        /// The channel was replaced ahead of its expiry (not a failure).
        renewed: bool,
        /// Topics refused when this channel was subscribed (empty when the
        /// channel was reused).
        rejected: Vec<RejectedTopic>,
    },
    Down {
        reason: String,
    },
    Conversation(ConversationEvent),
    /// The first connection failed in a way retrying cannot mend
    /// (credentials, permissions, a refused `connectUri`), or a later one
    /// was refused a token that cannot be refreshed (a static token that
    /// expired or was revoked).
    Fatal(Error),
}

pub struct StreamSpec {
    pub index: usize,
    pub queues: Vec<Queue>,
    pub message_types: Vec<String>,
    pub connect_timeout: Duration,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Failures that a retry cannot mend.
fn is_fatal(e: &Error) -> bool {
    matches!(
        e.code,
        ErrorCode::Unauthorized
            | ErrorCode::MissingPermission
            | ErrorCode::MissingScope
            | ErrorCode::Forbidden
            | ErrorCode::InsecureUrl
            | ErrorCode::InvalidArgument
    ) || (e.code == ErrorCode::Upstream && e.status.is_none())
}

/// Why a socket's reading ended.
struct Ended {
    reason: String,
    /// Epoch ms of the last frame: the socket was healthy until then.
    last_frame_ms: u64,
    /// The channel is of no more use: create a new one.
    new_channel: bool,
    /// Reconnect at once (a planned close), not after a backoff.
    at_once: bool,
    renew: bool,
}

pub async fn run(
    t: Arc<Session>,
    spec: StreamSpec,
    tx: mpsc::Sender<Feed>,
    cancel: CancellationToken,
) {
    let mut channel: Option<ChannelInfo> = None;
    let mut healthy_until: Option<u64> = None;
    let mut renewing = false;
    let mut failures: u32 = 0;
    let mut first = true;
    while !cancel.is_cancelled() {
        match open(&t, &spec, &mut channel, &cancel).await {
            Ok((ws, rejected)) => {
                failures = 0;
                first = false;
                let up = Feed::Up {
                    stream: spec.index,
                    channel_id: channel.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
                    gap: healthy_until.map(|h| (h, now_ms())),
                    renewed: std::mem::take(&mut renewing),
                    rejected,
                };
                if tx.send(up).await.is_err() {
                    return;
                }
                let renew_at = channel
                    .as_ref()
                    .map_or(u64::MAX, |c| policy::renew_at(c.created_ms, c.expires_ms));
                let end = read(ws, &spec, &tx, &cancel, renew_at).await;
                healthy_until = Some(end.last_frame_ms);
                if end.new_channel {
                    channel = None;
                }
                renewing = end.renew;
                if cancel.is_cancelled() {
                    return;
                }
                if !end.renew {
                    let down = Feed::Down { reason: end.reason };
                    if tx.send(down).await.is_err() {
                        return;
                    }
                }
                if !end.at_once {
                    failures = 1;
                    pause(failures, &cancel).await;
                }
            }
            Err(e) if e.code == ErrorCode::Aborted => return,
            Err(e) => {
                let dead_token = super::policy::ends_watch(&e, t.auth().can_refresh());
                if (first && is_fatal(&e)) || dead_token {
                    let _ = tx.send(Feed::Fatal(e)).await;
                    return;
                }
                failures += 1;
                // A channel that will not take a socket twice may be gone.
                if failures >= 2 {
                    channel = None;
                }
                let down = Feed::Down { reason: e.message };
                if tx.send(down).await.is_err() {
                    return;
                }
                pause(failures, &cancel).await;
            }
        }
    }
}

async fn pause(failures: u32, cancel: &CancellationToken) {
    let wait = policy::backoff(failures.saturating_sub(1), rand::random::<f64>());
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = tokio::time::sleep(wait) => {}
    }
}

/// A socket on the current channel, or on a new one (then subscribed).
async fn open(
    t: &Transport,
    spec: &StreamSpec,
    channel: &mut Option<ChannelInfo>,
    cancel: &CancellationToken,
) -> Result<(Socket, Vec<RejectedTopic>), Error> {
    let fresh = channel.is_none();
    let ch = match channel {
        Some(c) => c.clone(),
        None => {
            let c = channel::create_channel(t, cancel).await?;
            *channel = Some(c.clone());
            c
        }
    };
    let ws = tokio::select! {
        _ = cancel.cancelled() => return Err(Error::aborted()),
        ws = socket::connect(&ch.connect_uri, spec.connect_timeout) => ws?,
    };
    // Subscriptions belong to the channel (the Java SDK reconnects without
    // subscribing again): only a new channel is subscribed.
    let rejected = if fresh {
        channel::subscribe(t, &ch, &spec.queues, cancel).await?
    } else {
        Vec::new()
    };
    Ok((ws, rejected))
}

async fn read(
    mut ws: Socket,
    spec: &StreamSpec,
    tx: &mpsc::Sender<Feed>,
    cancel: &CancellationToken,
    renew_at_ms: u64,
) -> Ended {
    let mut last_frame = Instant::now();
    let mut last_frame_ms = now_ms();
    let mut pinged: Option<Instant> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let ended = |reason: &str, last_frame_ms: u64| Ended {
        reason: reason.to_string(),
        last_frame_ms,
        new_channel: false,
        at_once: false,
        renew: false,
    };
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return ended("stopped", last_frame_ms),
            m = ws.next() => {
                let text = match m {
                    None => return ended("the notification socket closed", last_frame_ms),
                    Some(Err(e)) => {
                        let why = format!("the notification socket failed: {}", crate::text::bound_text(&e.to_string(), 200));
                        return ended(&why, last_frame_ms);
                    }
                    Some(Ok(Message::Close(_))) => return ended("the server closed the notification socket", last_frame_ms),
                    Some(Ok(Message::Text(t))) => Some(t),
                    Some(Ok(_)) => None,
                };
                last_frame = Instant::now();
                last_frame_ms = now_ms();
                pinged = None;
                let Some(text) = text else { continue };
                match frame::parse(text.as_str(), &spec.message_types) {
                    Frame::Conversation(e) => {
                        if tx.send(Feed::Conversation(e)).await.is_err() {
                            return ended("stopped", last_frame_ms);
                        }
                    }
                    Frame::SocketClosing => {
                        // Reconnecting at once is fine (F7423); the channel stays.
                        return Ended { at_once: true, ..ended("v2.system.socket_closing", last_frame_ms) };
                    }
                    Frame::ChannelLost(topic) => {
                        return Ended { new_channel: true, at_once: true, ..ended(&topic, last_frame_ms) };
                    }
                    Frame::Heartbeat | Frame::Pong | Frame::Other => {}
                }
            }
            _ = tick.tick() => {
                if now_ms() >= renew_at_ms {
                    return Ended { new_channel: true, at_once: true, renew: true, ..ended("renewing the channel", last_frame_ms) };
                }
                match policy::liveness(last_frame.elapsed(), pinged.map(|p| p.elapsed())) {
                    Liveness::Fine => {}
                    Liveness::SendPing => {
                        pinged = Some(Instant::now());
                        if ws.send(Message::Text(r#"{"message":"ping"}"#.into())).await.is_err() {
                            return ended("the notification socket failed while pinging", last_frame_ms);
                        }
                    }
                    Liveness::Dead => return ended("no heartbeat or pong from the notification socket", last_frame_ms),
                }
            }
        }
    }
}
