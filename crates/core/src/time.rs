//! Times as Genesys writes them: RFC 3339 in UTC (`2026-11-26T00:00:00.000Z`).

use std::time::SystemTime;

/// Reads a Genesys time; `None` when it is not one.
pub fn parse_time(s: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok()
}

/// Writes a time as Genesys does, to the millisecond.
pub fn format_millis(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}
