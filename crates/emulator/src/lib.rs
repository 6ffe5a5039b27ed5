//! genesys-emulator: a local Genesys Cloud Platform API for tests, demos and
//! benchmarks. The behaviour is specified in the crate's README.md.

mod admin;
mod api;
mod app;
mod channels;
mod control;
mod gate;
mod genesys;
mod ground;
mod model;
mod oauth;
mod orgs;
mod replay;
mod seed;
mod server;
mod ws;

pub use app::{App, Options};
pub use replay::Replay;
pub use seed::credentials_summary;
pub use server::{serve, spawn, Running};
