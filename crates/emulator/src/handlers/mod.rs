//! The handlers: what each request does, each importing the app state and
//! the floors below, never the route table (`routes.rs`) nor each other
//! across folders.
//!
//! - `gate`: the middleware in front of `/oauth/token` and `/api/v2`:
//!   latency, 401, scripts, 429, random faults, headers, transit faults, log;
//! - `oauth`: `POST /oauth/token`, the client-credentials grant;
//! - `api/`: the `/api/v2` calls, one file per family;
//! - `ws`: the WebSocket at a notification channel's `connectUri`;
//! - `guest/`: the Web Messaging Guest API WebSocket (`/v1?deploymentId=`);
//! - `admin/`: `/__emulator`, the test-control API.

pub mod admin;
pub mod api;
pub mod gate;
pub mod guest;
pub mod oauth;
pub mod ws;
