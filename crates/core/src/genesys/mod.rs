//! The Genesys Cloud API as Genesys defines it, and our pure readings of it:
//! no request is made here (that is `http`), and nothing here decides what a
//! job does.
//!
//! The parts:
//! - `routes`: every endpoint we call, one table of path templates;
//! - `model`: the fields of Genesys payloads we read, and nothing more;
//! - `patch_answer`: the conversation a PATCH answers with, read in one
//!   lenient pass for its end time and newest activity;
//! - `ids`: conversation and participant ids, validated before they go
//!   into a path (ours and the server's alike);
//! - `region`: the regions, and the API and login hosts of each (or of a
//!   `baseUrl`);
//! - `api_error`: Genesys error bodies turned into our typed errors;
//! - `permissions`: the permissions and scopes that end a conversation;
//! - `divisions`: where the token holds them, and whether that reaches a
//!   conversation's divisions;
//! - `message_types`: the platforms a message conversation comes from, and
//!   the `messageTypes` option;
//! - `queue`: a queue's message media settings and our reading of its
//!   web messaging inactivity timer (both readings of its two switches);
//! - `deployment`: a Messenger deployment's settings, each with its source;
//! - `activity`: is a conversation idle? Read from the conversation itself;
//! - `guest_frames`: the Web Messaging Guest API frames, encoded and read.

pub mod activity;
pub mod api_error;
pub mod deployment;
pub mod divisions;
pub mod guest_frames;
pub mod ids;
pub mod message_types;
pub mod model;
pub mod patch_answer;
pub mod permissions;
pub mod queue;
pub mod region;
pub mod routes;
