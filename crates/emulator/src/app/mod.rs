//! The app: the state behind the one lock and the handle every handler
//! gets. Imports the floors below; never a handler or the route table.
//!
//! - `state`: `State` (settings, the store, the RNG, rate-limit windows,
//!   scripts, the request log, notification channels), `App` (the shared
//!   handle: lock, reset, options, orgs) and `Options` (the CLI's start-up
//!   settings, which a reset returns to);
//! - `orgs`: the registry of the isolated orgs started from this emulator.

pub mod orgs;
pub mod state;

pub use state::{App, Intercept, Options, State};
