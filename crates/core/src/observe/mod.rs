//! What a listener sees of the work, never what decides it: nothing here
//! changes a request or a result.
//!
//! The parts:
//! - `events`: the structured events (`onEvent`, `logger`, OpenTelemetry);
//! - `event_buffer`: events waiting for a consumer that takes them in
//!   batches, bounded;
//! - `operation`: each public call as an operation, whose id every request
//!   event carries.

pub mod event_buffer;
pub mod events;
pub mod operation;
