//! genesys-cleanup core: ends Genesys Cloud web messaging conversations and
//! diagnoses access. Pure Rust; the napi binding only converts types.
//!
//! The house, from the ground up: each part below imports only parts listed
//! before it, so no two import each other (docs/contributing/architecture.md
//! draws it).
//! - The ground floor, files at the top: `text` (outside text kept
//!   bounded), `time` (Genesys times), `error` (the error callers see, with
//!   what it carries: a network cause, divisions), `options` (reading JS
//!   options: bounds, defaults, refusals; the options several jobs share),
//!   `stats` (the counters results carry).
//! - `genesys/`: the API as Genesys defines it (routes, payloads, ids,
//!   regions, error bodies, permissions, divisions, message types) and our
//!   pure readings of it (is a conversation idle?). No request is made here.
//! - `observe/`: the events a listener sees, and operations.
//! - `http/`: everything a request passes through (config, the HTTP client,
//!   the token, the transport, retries, pacing, the write fence).
//! - `session/`: one client's connection as its jobs use it, with what is
//!   learned once per client (the token's grants, its organization).
//! - `native/`: Genesys's own timers (queue inactivity timeouts, Messenger
//!   deployment settings), read, advised on and attributed; beside `close/`.
//! - The jobs: `close/` (one conversation), `bulk` (many), `discover`
//!   (finding idle ones), `diagnose/` (`checkScopes`), `sweep/` (finding
//!   and closing), `watch/` (closing as they fall idle).
//! - `client`: the face: each public call, observed as an operation.

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

// The ground floor.
pub mod error;
pub mod options;
pub mod stats;
pub mod text;
pub mod time;

// The API, what a listener sees, and the way there and back.
pub mod genesys;
pub mod guest;
pub mod http;
pub mod observe;
pub mod session;

// The jobs, and the face.
pub mod bulk;
pub mod client;
pub mod close;
pub mod diagnose;
pub mod discover;
pub mod native;
pub mod sweep;
pub mod watch;

pub use error::{Error, ErrorCode};
pub use tokio_util::sync::CancellationToken;
pub use uuid::Uuid;
