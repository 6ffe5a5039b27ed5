//! Why a request failed below HTTP: DNS, a refused connection, TLS, a proxy
//! that refused the tunnel, a reset, a timeout, or an answer whose head was
//! too large. reqwest's own kinds (`is_connect`, `is_request`) lump these
//! together ("could not connect"), which tells a caller nothing it can act
//! on, so the chain of `std::error::Error::source` is walked here and the
//! deepest recognised cause wins. Pure: it reads an error value, no I/O.

use crate::error::{Error, ErrorCode, NetCause};
use crate::text::bound_text;
use std::error::Error as StdError;

/// A classified failure: its class and the lowest-level text that explains it
/// (an errno message, a TLS alert, the proxy's refusal), bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetFailure {
    pub cause: NetCause,
    pub detail: Option<String>,
}

/// Longest `networkDetail` kept: OS and TLS messages are short; this only
/// stops an odd one from growing a report.
pub const MAX_DETAIL: usize = 200;

/// Classifies an error by walking its `source` chain (including the error
/// an `io::Error` wraps, which `io::Error::source` skips).
pub fn classify(e: &(dyn StdError + 'static)) -> NetFailure {
    let mut found: Option<(NetCause, Option<String>)> = None;
    let mut timeout = false;
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some((cause, detail)) = recognise(err) {
            // A deeper cause is more specific ("dns error" wraps the
            // resolver's own message), except that a proxy refusal or an
            // oversized head is the verdict even if an io error follows.
            let keep = matches!(found, Some((NetCause::Proxy | NetCause::HeadTooLarge, _)));
            if !keep {
                let detail = detail.or_else(|| found.as_ref().and_then(|f| f.1.clone()));
                found = Some((cause, detail));
            }
        }
        timeout |= err.to_string().contains("timed out");
        next = err.source().or_else(|| {
            err.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .map(|inner| inner as &(dyn StdError + 'static))
        });
    }
    let (cause, detail) = found.unwrap_or(if timeout {
        (NetCause::Timeout, None)
    } else {
        (NetCause::Other, None)
    });
    NetFailure {
        cause,
        detail: detail.map(|d| bound_text(&d, MAX_DETAIL)),
    }
}

/// The error for a request that failed below HTTP, and whether it is final
/// (an oversized answer head or a refused certificate is not retried: the
/// same server sends it again).
/// `timed_out`: the HTTP client itself reported a timeout.
pub fn error_for(action: &str, e: &(dyn StdError + 'static), timed_out: bool) -> (Error, bool) {
    let mut f = classify(e);
    if timed_out && f.cause == NetCause::Other {
        f.cause = NetCause::Timeout;
    }
    let detail = f
        .detail
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let (code, message, fatal) = match f.cause {
        NetCause::HeadTooLarge => (
            ErrorCode::Upstream,
            format!("The answer to the request for {action} had a status line and headers too large to read{detail}, so it was not read. No Genesys answer has such headers: check baseUrl or the proxy in between."),
            true,
        ),
        // The same certificate would be presented again: retrying only
        // delays the answer the caller needs (fix the trust or baseUrl).
        NetCause::Tls => (
            ErrorCode::Network,
            format!("The request for {action} failed: {}{detail}; not retried. Check baseUrl, the system clock, or a TLS-intercepting proxy.", f.cause.describe()),
            true,
        ),
        NetCause::Timeout => (
            ErrorCode::Timeout,
            format!("The request for {action} timed out{detail}; retries, if allowed, did not help."),
            false,
        ),
        cause => (
            ErrorCode::Network,
            format!("The request for {action} failed: {}{detail}; retries, if allowed, did not help.", cause.describe()),
            false,
        ),
    };
    let mut error = Error::new(code, message);
    error.network_cause = Some(f.cause);
    error.network_detail = f.detail;
    (error, fatal)
}

/// One link of the chain, if it says what happened.
fn recognise(err: &(dyn StdError + 'static)) -> Option<(NetCause, Option<String>)> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some((NetCause::Tls, Some(tls.to_string())));
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        return io_cause(io).map(|c| (c, Some(io.to_string())));
    }
    if let Some(h) = err.downcast_ref::<hyper::Error>() {
        // `is_parse_too_large` needs hyper's server feature; its text is
        // "message head is too large".
        if h.is_parse() && h.to_string().contains("too large") {
            return Some((NetCause::HeadTooLarge, Some(h.to_string())));
        }
        if h.is_incomplete_message() || h.is_canceled() || h.is_closed() {
            return Some((NetCause::Reset, Some(h.to_string())));
        }
        if h.is_timeout() {
            return Some((NetCause::Timeout, Some(h.to_string())));
        }
        return None;
    }
    // hyper-util's connector and tunnel errors are not public types: their
    // text is their only stable face ("dns error", "tunnel error: ...").
    let text = err.to_string();
    if text.starts_with("dns error") {
        return Some((NetCause::Dns, None));
    }
    if text.starts_with("tunnel error") {
        return Some((NetCause::Proxy, Some(text)));
    }
    None
}

fn io_cause(io: &std::io::Error) -> Option<NetCause> {
    use std::io::ErrorKind as K;
    Some(match io.kind() {
        K::ConnectionRefused | K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => {
            NetCause::Refused
        }
        K::ConnectionReset
        | K::ConnectionAborted
        | K::BrokenPipe
        | K::UnexpectedEof
        | K::NotConnected => NetCause::Reset,
        K::TimedOut => NetCause::Timeout,
        // getaddrinfo's failures are `Other`/`Uncategorized` with this text.
        _ if io.to_string().contains("lookup address") => NetCause::Dns,
        // rustls reports through io::Error(InvalidData, rustls::Error): the
        // wrapped error is recognised on the next link.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;
    use std::io;

    /// A link of a chain with a text and an optional source, like
    /// reqwest's and hyper-util's wrappers.
    #[derive(Debug)]
    struct Link(
        &'static str,
        Option<Box<dyn StdError + Send + Sync + 'static>>,
    );

    impl fmt::Display for Link {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Link {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
        }
    }

    fn chain(outer: &'static str, inner: impl StdError + Send + Sync + 'static) -> Link {
        Link(
            "error sending request",
            Some(Box::new(Link(outer, Some(Box::new(inner))))),
        )
    }

    #[test]
    fn a_refused_connection_keeps_its_errno_text() {
        let e = chain("tcp connect error", io::Error::from_raw_os_error(111));
        let f = classify(&e);
        assert_eq!(f.cause, NetCause::Refused);
        assert!(f.detail.unwrap().contains("os error 111"));
    }

    #[test]
    fn dns_failures_are_named_with_the_resolvers_words() {
        let resolver =
            io::Error::other("failed to lookup address information: Name or service not known");
        let f = classify(&chain("dns error", resolver));
        assert_eq!(f.cause, NetCause::Dns);
        assert_eq!(
            f.detail.as_deref(),
            Some("failed to lookup address information: Name or service not known")
        );
        // The wrapper alone still says DNS.
        assert_eq!(classify(&Link("dns error", None)).cause, NetCause::Dns);
    }

    #[test]
    fn a_tls_error_inside_an_io_error_is_found() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = io::Error::new(io::ErrorKind::InvalidData, tls);
        let f = classify(&chain("client error (Connect)", io));
        assert_eq!(f.cause, NetCause::Tls);
        assert!(
            f.detail.unwrap().contains("UnknownIssuer"),
            "the TLS reason is kept"
        );
    }

    #[test]
    fn a_refused_tunnel_is_the_proxys_fault_whatever_follows() {
        let e = Link(
            "error sending request",
            Some(Box::new(Link(
                "tunnel error: unsuccessful",
                Some(Box::new(io::Error::from(io::ErrorKind::ConnectionReset))),
            ))),
        );
        let f = classify(&e);
        assert_eq!(f.cause, NetCause::Proxy);
        assert_eq!(f.detail.as_deref(), Some("tunnel error: unsuccessful"));
    }

    #[test]
    fn resets_and_timeouts() {
        for kind in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::UnexpectedEof,
        ] {
            assert_eq!(
                classify(&chain("x", io::Error::from(kind))).cause,
                NetCause::Reset
            );
        }
        assert_eq!(
            classify(&chain("x", io::Error::from(io::ErrorKind::TimedOut))).cause,
            NetCause::Timeout
        );
        assert_eq!(
            classify(&Link("operation timed out", None)).cause,
            NetCause::Timeout
        );
    }

    #[test]
    fn messages_name_the_cause_and_only_final_ones_are_not_retried() {
        let refused = chain("tcp connect error", io::Error::from_raw_os_error(111));
        let (e, fatal) = error_for("reading x", &refused, false);
        assert_eq!(
            (e.code, fatal, e.network_cause),
            (ErrorCode::Network, false, Some(NetCause::Refused))
        );
        assert!(
            e.message.contains("refused") && e.message.contains("os error 111"),
            "{}",
            e.message
        );
        let tls = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
        );
        let (e, fatal) = error_for("reading x", &chain("c", tls), false);
        assert!(fatal && e.message.contains("not retried"), "{}", e.message);
        let (e, fatal) = error_for("reading x", &Link("odd", None), true);
        assert_eq!(
            (e.code, fatal, e.network_cause),
            (ErrorCode::Timeout, false, Some(NetCause::Timeout))
        );
        assert!(!e.message.contains("sending the request"));
    }

    #[test]
    fn anything_else_is_other_and_details_are_bounded() {
        assert_eq!(
            classify(&Link("something odd", None)),
            NetFailure {
                cause: NetCause::Other,
                detail: None
            }
        );
        let long: &'static str = Box::leak("\u{7}y".repeat(500).into_boxed_str());
        let e = chain(
            "tcp connect error",
            io::Error::new(io::ErrorKind::ConnectionRefused, long),
        );
        let d = classify(&e).detail.unwrap();
        assert!(d.len() <= MAX_DETAIL + '…'.len_utf8());
        assert!(
            !d.chars().any(char::is_control),
            "control characters are replaced"
        );
    }

    fn client() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    /// A real hyper error for an answer head larger than hyper reads: a
    /// server on loopback sends 1 MB of headers.
    #[tokio::test]
    async fn an_oversized_answer_head_is_named_not_blamed_on_sending() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let head = format!("HTTP/1.1 200 OK\r\nx-big: {}\r\n\r\n", "a".repeat(1 << 20));
            let _ = s.write_all(head.as_bytes()).await;
        });
        let err = client()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(classify(&err).cause, NetCause::HeadTooLarge);
    }

    /// A real refused connection through reqwest: nothing listens on the
    /// port of a listener that was just dropped.
    #[tokio::test]
    async fn a_real_refused_connection() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = client()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        let f = classify(&err);
        assert_eq!(f.cause, NetCause::Refused);
        assert!(f.detail.is_some());
    }
}
