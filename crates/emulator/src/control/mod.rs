//! What a test sets and reads through `/__emulator`, around the emulated
//! API: runtime settings, rate-limit windows, injected faults, scripted
//! answers and the request log. Imports `genesys::errors` and the ground floor.
//!
//! - `config`: the settings `GET/PATCH /__emulator/config` shows and merges;
//! - `ratelimit`: request windows per key in the selectable limiter shapes;
//! - `faults`: random and scripted faults, and the damage done in transit;
//! - `script`: queued rules that answer matching requests;
//! - `log`: the bounded request log and the counters behind `/stats`.

pub mod config;
pub mod faults;
pub mod log;
pub mod ratelimit;
pub mod script;
