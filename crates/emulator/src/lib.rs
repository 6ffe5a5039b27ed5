//! genesys-emulator: a local Genesys Cloud Platform API for tests, demos and
//! benchmarks. Its contract is docs/emulator.md of the genesys-cleanup
//! package.
//!
//! The floors, each importing only those below it:
//! - `ground/`: the clock and ids;
//! - `model/`: the org's data and the conversation state machine;
//! - `genesys/`: how Genesys answers: errors, auth, JSON shapes, analytics,
//!   notification channels; `seed/`: the seeded org and generated
//!   conversations;
//! - `control/`: what tests set and read: config, rate limits, faults,
//!   scripts, the request log;
//! - `net`: serving a router on a socket (the accept loop);
//! - `app/`: the state behind the one lock, the shared handle, the orgs;
//! - `handlers/`: what each request does;
//! - `routes`: the route table; `server`: an emulator on a port.
//!
//! `replay` stands apart: it serves a recorded trace instead of emulating.

mod app;
mod control;
mod genesys;
mod ground;
mod handlers;
mod model;
mod net;
mod replay;
mod routes;
mod seed;
mod server;

pub use app::{App, Options};
pub use net::serve;
pub use replay::Replay;
pub use seed::credentials_summary;
pub use server::{spawn, Running};
