//! Creating data: the fixed seeded organisation (roles, clients, users,
//! static tokens) and conversations, one from an admin spec or many at random.
//!
//! Its parts:
//! - `org`: the seeded organisation as data tables (divisions, queues,
//!   roles, clients, users, tokens) and the small builders that turn each
//!   row into the model's type; the startup banner read from them;
//! - `conversation`: one conversation, generated from a `Shape` or built
//!   from an admin `ConversationSpec`;
//! - `random`: many random conversations at once (`SeedSpec`, `seed`).

mod conversation;
mod org;
mod random;

pub use conversation::{from_spec, ConversationSpec, PostMessageSpec, Stamp};
pub use org::{base_store, credentials_summary, home_grants, queue_body};
pub use random::{seed, SeedSpec, MAX_SEED};

#[cfg(test)]
mod tests;
