//! Opening a channel's WebSocket: TCP, TLS for `wss` (rustls with the
//! platform's roots, as reqwest uses), then the WebSocket handshake by
//! tokio-tungstenite, all within a timeout. No auth header is sent: Genesys
//! takes none (JAVA, NET, CLI connect with none). Frames from the server are
//! bounded (`MAX_MESSAGE`): a larger one fails the socket, which is then
//! treated like any other drop (reconnect, reconcile).

use crate::error::{Error, ErrorCode};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;
use url::Url;

/// The largest message read. A queue conversation event is a few KiB; the
/// maximum Genesys sends is UNCONFIRMED, so this leaves a wide margin.
pub const MAX_MESSAGE: usize = 4 << 20;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type Socket = WebSocketStream<Pin<Box<dyn Io>>>;

fn network(message: String) -> Error {
    Error::new(ErrorCode::Network, message)
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, Error> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            use rustls_platform_verifier::BuilderVerifierExt;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .and_then(|b| b.with_platform_verifier())
                .map(|b| Arc::new(b.with_no_client_auth()))
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| {
            network(format!(
                "Could not set up TLS for the notification socket: {e}"
            ))
        })
}

async fn open(url: &Url) -> Result<Pin<Box<dyn Io>>, Error> {
    let host = url
        .host_str()
        .ok_or_else(|| network("The notification socket URL has no host.".into()))?;
    let port = url.port_or_known_default().unwrap_or(443);
    // `host_str` keeps IPv6 brackets; the resolver wants them off.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((bare, port)).await.map_err(|e| {
        network(format!(
            "Could not connect to the notification socket at {host}: {e}"
        ))
    })?;
    let _ = tcp.set_nodelay(true);
    if url.scheme() != "wss" {
        return Ok(Box::pin(tcp));
    }
    let name = rustls::pki_types::ServerName::try_from(bare.to_string())
        .map_err(|_| network(format!("{host} is not a valid TLS server name.")))?;
    let tls = tokio_rustls::TlsConnector::from(tls_config()?)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            network(format!(
                "TLS with the notification socket at {host} failed: {e}"
            ))
        })?;
    Ok(Box::pin(tls))
}

/// Connects to a checked `connectUri` (see `channel::check_connect_uri`).
pub async fn connect(url: &Url, timeout: Duration) -> Result<Socket, Error> {
    let attempt = async {
        let io = open(url).await?;
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        let (ws, _) = tokio_tungstenite::client_async_with_config(url.as_str(), io, Some(config))
            .await
            .map_err(|e| {
                network(format!(
                    "The notification socket handshake failed: {}",
                    crate::text::bound_text(&e.to_string(), 200)
                ))
            })?;
        Ok(ws)
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or_else(|_| {
            Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "The notification socket did not open within {} ms.",
                    timeout.as_millis()
                ),
            ))
        })
}
