//! Everything a request passes through on its way to Genesys and back. Below
//! the jobs, which say what to send; above `genesys` (routes, error bodies)
//! and `observe` (the events a request emits).
//!
//! The parts:
//! - `config`: the connection options, validated into a `ClientConfig`;
//! - `http_client`: the HTTP client itself, its trusted roots and proxy;
//! - `auth`: the token (static, or fetched and cached for client
//!   credentials, one fetch shared by every waiting caller);
//! - `transport/`: the one request pipeline (token, rate budget, one
//!   attempt, retries, deadline, events), and the token fetch;
//! - `retry`: which failures are retried (the classifier), the backoff and
//!   the retry budget;
//! - `pacing/`: the token's rate budget, from what each answer says;
//! - `net_error`: why a request failed below HTTP, recognised;
//! - `fence`: the write fence of a leased job;
//! - `websocket`: opening a WebSocket (the notification and Guest API sockets).

pub mod auth;
pub mod config;
pub mod fence;
pub mod http_client;
pub mod net_error;
pub mod pacing;
pub mod retry;
pub mod transport;
pub mod websocket;
