//! Opening a channel's WebSocket (`http::websocket`, labelled "notification
//! socket"). No auth header is sent: Genesys takes none (JAVA, NET, CLI
//! connect with none). Frames from the server are bounded (`MAX_MESSAGE`):
//! a larger one fails the socket, which is then treated like any other drop
//! (reconnect, reconcile).

use crate::error::Error;
use crate::http::websocket::{self, Opening};
use std::time::Duration;
use url::Url;

pub use crate::http::websocket::Socket;

/// The largest message read. A queue conversation event is a few KiB; the
/// maximum Genesys sends is UNCONFIRMED, so this leaves a wide margin.
pub const MAX_MESSAGE: usize = 4 << 20;

/// Connects to a checked `connectUri` (see `channel::check_connect_uri`).
pub async fn connect(url: &Url, timeout: Duration) -> Result<Socket, Error> {
    websocket::connect(
        url,
        Opening {
            label: "notification socket",
            max_message: MAX_MESSAGE,
            timeout,
            origin: None,
        },
    )
    .await
}
