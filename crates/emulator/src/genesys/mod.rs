//! How Genesys answers, apart from routing: who a caller is and what they
//! may do, error bodies, the JSON shapes of answers, the analytics query and
//! the notification channels. Imports only the model and the ground floor.
//!
//! - `errors`: `ErrorBody` answers (`ApiError`), the division-denied bodies;
//! - `auth`: bearer tokens and Basic credentials, permissions with `*`,
//!   scopes, division checks (`Ctx`);
//! - `render`: the JSON of every answer, and the admin view of a conversation;
//! - `analytics`: the conversation details query: filters, interval, paging;
//! - `notify`: notification channels, their topics and sockets, and the
//!   fan-out of conversation events to them;
//! - `guest`: the Guest API sockets (connections, the mute switch, the
//!   actions received) and their frames.

pub mod analytics;
pub mod auth;
pub mod errors;
pub mod guest;
pub mod notify;
pub mod render;
