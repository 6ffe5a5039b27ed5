//! Opening a WebSocket: TCP, TLS for `wss` (rustls with the platform's
//! roots, as reqwest uses), then the WebSocket handshake by
//! tokio-tungstenite, all within a timeout. Used by the notification socket
//! (watch) and the Guest API socket (`endGuestConversation`); `label` names
//! which in every message. Frames from the server are bounded
//! (`max_message`): a larger one fails the socket. An upgrade the server
//! refuses with an HTTP status keeps that status on the error.

use crate::error::{Error, ErrorCode};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;
use url::Url;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type Socket = WebSocketStream<Pin<Box<dyn Io>>>;

/// How to open one socket.
#[derive(Debug, Clone, Copy)]
pub struct Opening<'a> {
    /// What the socket is called in messages ("notification socket").
    pub label: &'static str,
    /// The largest message (and frame) read, in bytes.
    pub max_message: usize,
    /// The whole opening: TCP, TLS and the handshake.
    pub timeout: Duration,
    /// An `Origin` header, if any.
    pub origin: Option<&'a str>,
}

fn network(message: String) -> Error {
    Error::new(ErrorCode::Network, message)
}

fn tls_config(label: &str) -> Result<Arc<rustls::ClientConfig>, Error> {
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
        .map_err(|e| network(format!("Could not set up TLS for the {label}: {e}")))
}

async fn open(url: &Url, label: &str) -> Result<Pin<Box<dyn Io>>, Error> {
    let host = url
        .host_str()
        .ok_or_else(|| network(format!("The {label} URL has no host.")))?;
    let port = url.port_or_known_default().unwrap_or(443);
    // `host_str` keeps IPv6 brackets; the resolver wants them off.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((bare, port))
        .await
        .map_err(|e| network(format!("Could not connect to the {label} at {host}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    if url.scheme() != "wss" {
        return Ok(Box::pin(tcp));
    }
    let name = rustls::pki_types::ServerName::try_from(bare.to_string())
        .map_err(|_| network(format!("{host} is not a valid TLS server name.")))?;
    let tls = tokio_rustls::TlsConnector::from(tls_config(label)?)
        .connect(name, tcp)
        .await
        .map_err(|e| network(format!("TLS with the {label} at {host} failed: {e}")))?;
    Ok(Box::pin(tls))
}

/// The handshake's failure; an HTTP answer instead of the upgrade keeps its status.
fn handshake_error(e: tokio_tungstenite::tungstenite::Error, label: &str) -> Error {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match e {
        WsError::Http(resp) => {
            let status = resp.status().as_u16();
            network(format!(
                "The {label} refused the upgrade with HTTP {status}."
            ))
            .with_status(status)
        }
        other => network(format!(
            "The {label} handshake failed: {}",
            crate::text::bound_text(&other.to_string(), 200)
        )),
    }
}

/// Buffers for a socket that mostly idles: tungstenite's default allocates a
/// 128 KiB read buffer up front and gathers 128 KiB of writes, per socket
/// (a watching org each). 8 KiB reads grow as a larger message needs (up to
/// `max_message`); what we send is small (pings, pongs, a close, a Guest
/// API request), so each write goes out at once instead of being gathered.
fn small_buffers() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
}

/// Opens a socket to a checked URL (the caller checked its scheme and host).
pub async fn connect(url: &Url, how: Opening<'_>) -> Result<Socket, Error> {
    let label = how.label;
    let attempt = async {
        let io = open(url, label).await?;
        let config = small_buffers()
            .max_message_size(Some(how.max_message))
            .max_frame_size(Some(how.max_message));
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| handshake_error(e, label))?;
        if let Some(origin) = how.origin {
            let value = HeaderValue::from_str(origin).map_err(|_| {
                Error::invalid_argument("origin must be a header value (printable ASCII).")
            })?;
            request.headers_mut().insert("origin", value);
        }
        let (ws, _) = tokio_tungstenite::client_async_with_config(request, io, Some(config))
            .await
            .map_err(|e| handshake_error(e, label))?;
        Ok(ws)
    };
    tokio::time::timeout(how.timeout, attempt)
        .await
        .unwrap_or_else(|_| {
            Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "The {label} did not open within {} ms.",
                    how.timeout.as_millis()
                ),
            ))
        })
}
