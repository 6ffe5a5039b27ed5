//! The model: the emulated org's data as Genesys defines it, and the
//! conversation state machine. Plain data and pure methods; it imports only
//! the ground floor.
//!
//! - `org`: divisions, roles and grants, OAuth clients, users, tokens;
//! - `queue`: a routing queue as its whole JSON object, and its inactivity timer;
//! - `inactivity`: the queue timer live: deadlines, and ending at them;
//! - `deployment`: Messenger deployments, their configuration versions, guest sessions;
//! - `conversation`: media, participants, messages, and what a disconnect,
//!   a transfer or a teardown does to them;
//! - `store`: all of it in one place, conversations indexed by start time.

pub mod conversation;
pub mod deployment;
pub mod inactivity;
pub mod org;
pub mod queue;
pub mod store;

pub use conversation::{Conversation, Disconnect, Media, Message, Participant};
pub use org::{role_ids, Client, Division, Grant, Role, Token, User, ALL_DIVISIONS};
pub use queue::Queue;
pub use store::Store;
