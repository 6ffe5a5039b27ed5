//! genesys-cleanup core: ends Genesys Cloud web messaging conversations and
//! diagnoses access. Pure Rust; the napi binding only converts types.

// `Error` carries everything a caller needs (status, Genesys code, correlation
// id, permissions...) and lives only on the cold path; boxing it would add an
// allocation and indirection to every error for no measurable gain.
#![allow(clippy::result_large_err)]

/// `Serialize` for a plain enum by its `as_str` name, so each JS string
/// is written once (in `as_str`).
macro_rules! serialize_as_str {
    ($($t:ty),* $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )*};
}

pub mod bulk;
pub mod client;
pub mod close;
pub mod diagnose;
pub mod discover;
pub mod error;
pub mod genesys;
pub mod http;
pub mod observe;
pub mod options;
pub mod session;
pub mod stats;
pub mod sweep;
pub mod text;
pub mod time;
pub mod watch;

pub use error::{Error, ErrorCode};
pub use tokio_util::sync::CancellationToken;
pub use uuid::Uuid;
