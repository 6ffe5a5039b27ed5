//! Why a request failed below HTTP, as a class (`networkCause` in JS): errors
//! and retry events carry it. Recognising the class in a failure is
//! `http::net_error`.

/// The class of a network failure (`networkCause` in JS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetCause {
    /// The host name could not be resolved.
    Dns,
    /// Nothing listens there (connection refused, host or network unreachable).
    Refused,
    /// The TLS handshake failed (certificate not trusted, expired, wrong host).
    Tls,
    /// The configured proxy refused or broke the CONNECT tunnel.
    Proxy,
    /// The connection was reset or closed before the answer was complete.
    Reset,
    /// Connecting or answering took too long.
    Timeout,
    /// The answer's status line and headers were larger than HTTP allows us to read.
    HeadTooLarge,
    /// Anything else (kept so that every failure has a class).
    Other,
}

impl NetCause {
    /// Every class, in the order `index.d.ts` lists them (tests/dts.rs).
    pub const ALL: [NetCause; 8] = [
        NetCause::Dns,
        NetCause::Refused,
        NetCause::Tls,
        NetCause::Proxy,
        NetCause::Reset,
        NetCause::Timeout,
        NetCause::HeadTooLarge,
        NetCause::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NetCause::Dns => "dns",
            NetCause::Refused => "refused",
            NetCause::Tls => "tls",
            NetCause::Proxy => "proxy",
            NetCause::Reset => "reset",
            NetCause::Timeout => "timeout",
            NetCause::HeadTooLarge => "headTooLarge",
            NetCause::Other => "other",
        }
    }

    /// What happened, in words for an error message.
    pub fn describe(self) -> &'static str {
        match self {
            NetCause::Dns => "the host name could not be resolved (DNS)",
            NetCause::Refused => {
                "the connection was refused (nothing listens there, or the host is unreachable)"
            }
            NetCause::Tls => {
                "the TLS handshake failed (certificate not trusted, expired or for another host)"
            }
            NetCause::Proxy => "the proxy refused to open a tunnel (CONNECT) to the host",
            NetCause::Reset => "the connection was reset or closed before the answer was complete",
            NetCause::Timeout => "it timed out",
            NetCause::HeadTooLarge => "the answer's headers were too large to read",
            NetCause::Other => "a transport error",
        }
    }
}

serialize_as_str!(NetCause);
