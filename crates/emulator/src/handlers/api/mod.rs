//! The `/api/v2` handlers. The gate has already resolved the caller
//! (`Ctx`), applied the rate limit, scripts and random faults; each handler
//! then checks scope -> permission -> body -> existence -> state.
//!
//! - `require`: the scopes and permissions each call requires;
//! - `answer`: the result type, a JSON-object body, the 404s;
//! - `identity`: `tokens/me`, `users/me`, `subjects/me`, OAuth clients, roles;
//! - `conversations`: reads, PATCHes, wrap-up, DELETE and disconnect;
//! - `analytics`: the conversation details query;
//! - `queues`: `GET /api/v2/routing/queues`, `GET`/`PUT` one queue;
//! - `deployments`: Messenger deployments, configuration versions, `config.json`;
//! - `channels`: notification channels and their subscriptions.

pub mod analytics;
pub mod answer;
pub mod channels;
pub mod conversations;
pub mod deployments;
pub mod identity;
pub mod queues;
pub mod require;
