//! The error taxonomy seen by callers. Codes are stable strings shared with JS
//! (`ERR_*`): extend the list, never rename an entry.
//!
//! The parts: this file (`ErrorCode`, `Error`), and what an error carries:
//! `cause` (the class of a network failure) and `division` (a division, for
//! a close refused in one), and `guest` (the kind of a Guest API refusal).

pub mod cause;
pub mod division;
pub mod guest;

pub use cause::NetCause;
pub use division::Division;
pub use guest::GuestReason;

use serde::Serialize;
use std::fmt;

/// Stable, machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidArgument,
    InvalidConversationId,
    InsecureUrl,
    Unauthorized,
    MissingPermission,
    MissingScope,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    Timeout,
    Network,
    Upstream,
    Aborted,
    /// A bug in this library (a caught panic), never an API answer.
    Internal,
    /// This replica's lease on the job was lost or ran out: no write is sent.
    LeaseLost,
}

impl ErrorCode {
    /// Every code, in the order of `ERROR_CODES` (tests/dts.rs checks index.d.ts against it).
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::InvalidArgument,
        ErrorCode::InvalidConversationId,
        ErrorCode::InsecureUrl,
        ErrorCode::Unauthorized,
        ErrorCode::MissingPermission,
        ErrorCode::MissingScope,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::Timeout,
        ErrorCode::Network,
        ErrorCode::Upstream,
        ErrorCode::Aborted,
        ErrorCode::Internal,
        ErrorCode::LeaseLost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "ERR_INVALID_ARGUMENT",
            ErrorCode::InvalidConversationId => "ERR_INVALID_CONVERSATION_ID",
            ErrorCode::InsecureUrl => "ERR_INSECURE_URL",
            ErrorCode::Unauthorized => "ERR_UNAUTHORIZED",
            ErrorCode::MissingPermission => "ERR_MISSING_PERMISSION",
            ErrorCode::MissingScope => "ERR_MISSING_SCOPE",
            ErrorCode::Forbidden => "ERR_FORBIDDEN",
            ErrorCode::NotFound => "ERR_NOT_FOUND",
            ErrorCode::Conflict => "ERR_CONFLICT",
            ErrorCode::RateLimited => "ERR_RATE_LIMITED",
            ErrorCode::Timeout => "ERR_TIMEOUT",
            ErrorCode::Network => "ERR_NETWORK",
            ErrorCode::Upstream => "ERR_UPSTREAM",
            ErrorCode::Aborted => "ERR_ABORTED",
            ErrorCode::Internal => "ERR_INTERNAL",
            ErrorCode::LeaseLost => "ERR_LEASE_LOST",
        }
    }
}

serialize_as_str!(ErrorCode);

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with everything a caller needs to act on it. The message never
/// contains a secret: it is built from our own text and Genesys's error body,
/// which never echoes credentials.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[error("{message}")]
#[serde(rename_all = "camelCase")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// HTTP status of the response that caused it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Genesys's own `code` from the error body (e.g. `missing.any.permissions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genesys_code: Option<String>,
    /// `ININ-Correlation-Id` of that response: quote it to Genesys support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Permissions named by a 403 (any one of them would do for `missing.any.permissions`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_permissions: Vec<String>,
    /// Scopes named by a scope 403.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_scopes: Vec<String>,
    /// How long Genesys asked us to wait (429 `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// In a bulk run: no request was sent for this id, because an earlier one
    /// of the run was refused this way (rejected credentials).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_attempted: bool,
    /// A close refused with 403 although the permission is held elsewhere:
    /// the divisions the conversation belongs to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conversation_divisions: Vec<Division>,
    /// ...and the divisions in which the token holds a permission that ends
    /// conversations (none of them is the conversation's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permission_divisions: Vec<Division>,
    /// Why a request failed below HTTP (`dns`, `refused`, `tls`, `proxy`, `reset`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_cause: Option<NetCause>,
    /// The lowest-level words for it: the OS error, the TLS reason, the proxy's refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_detail: Option<String>,
    /// A Guest API failure: the frame's `code` (403, 4006, 4029...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_code: Option<u32>,
    /// A Guest API failure: which kind (`clearDisabled`, `handshakeRefused`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_reason: Option<GuestReason>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            status: None,
            genesys_code: None,
            correlation_id: None,
            missing_permissions: Vec::new(),
            missing_scopes: Vec::new(),
            retry_after_ms: None,
            not_attempted: false,
            conversation_divisions: Vec::new(),
            permission_divisions: Vec::new(),
            network_cause: None,
            network_detail: None,
            guest_code: None,
            guest_reason: None,
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    pub fn aborted() -> Self {
        Error::new(
            ErrorCode::Aborted,
            "The operation was aborted by its AbortSignal before it finished.",
        )
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_correlation_id(mut self, id: Option<String>) -> Self {
        self.correlation_id = id;
        self
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
