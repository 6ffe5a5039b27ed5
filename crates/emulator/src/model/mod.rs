//! The model: the emulated org's data as Genesys defines it, and the
//! conversation state machine. Plain data and pure methods; it imports only
//! the ground floor.
//!
//! - `org`: divisions, queues, roles and grants, OAuth clients, users, tokens;
//! - `conversation`: media, participants, messages, and what a disconnect,
//!   a transfer or a teardown does to them;
//! - `store`: all of it in one place, conversations indexed by start time.

pub mod conversation;
pub mod org;
pub mod store;

pub use conversation::{Conversation, Disconnect, Media, Message, Participant};
pub use org::{role_ids, Client, Division, Grant, Queue, Role, Token, User, ALL_DIVISIONS};
pub use store::Store;
