//! genesys-emulator: a local Genesys Cloud Platform API for tests, demos and
//! benchmarks. The behaviour is specified in the crate's README.md.

mod admin;
mod analytics;
mod api;
mod app;
mod auth;
mod channels;
mod config;
mod errors;
mod faults;
mod gate;
mod ground;
mod log;
mod model;
mod notify;
mod oauth;
mod orgs;
mod ratelimit;
mod render;
mod replay;
mod script;
mod seed;
mod server;
mod ws;

pub use app::{App, Options};
pub use replay::Replay;
pub use seed::credentials_summary;
pub use server::{serve, spawn, Running};
