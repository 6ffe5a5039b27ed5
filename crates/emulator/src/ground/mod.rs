//! The ground floor: what any part of the emulator may use, and which uses
//! no other part.
//!
//! - `clock`: the wall clock in epoch milliseconds, ISO 8601 at the edges;
//! - `ids`: the fixed ids every org has (the org itself, its Home division)
//!   and fresh random ids and tokens.

pub mod clock;
pub mod ids;
