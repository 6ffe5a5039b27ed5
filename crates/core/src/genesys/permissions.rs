//! Role permissions and OAuth scopes as Genesys names them: which ones end a
//! conversation, and whether a granted one (with `*` parts) covers another.

/// Any one of these lets `PATCH /api/v2/conversations/messages/{id}` through.
pub const REQUIRED_PERMISSIONS: [&str; 2] = [
    "conversation:communication:disconnect",
    "conversation:message:park",
];
/// Any one of these lets the per-participant fallback through.
pub const PARTICIPANT_PERMISSIONS: [&str; 3] = [
    "conversation:participant:wrapup",
    "conversation:call:record",
    "conversation:communication:disconnect",
];
/// Every permission that lets one of the two ways end a conversation.
pub const END_PERMISSIONS: [&str; 4] = [
    "conversation:communication:disconnect",
    "conversation:message:park",
    "conversation:participant:wrapup",
    "conversation:call:record",
];
/// UNCONFIRMED in the API notes; the probes decide what is really enforced.
pub const REQUIRED_SCOPES: [&str; 1] = ["conversations"];

/// True when a granted permission (possibly with `*` parts) covers `wanted`.
pub fn permission_covers(granted: &str, wanted: &str) -> bool {
    if granted == "*" {
        return true;
    }
    let g: Vec<&str> = granted.split(':').collect();
    let w: Vec<&str> = wanted.split(':').collect();
    g.len() == w.len() && g.iter().zip(&w).all(|(g, w)| *g == "*" || g == w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(permission_covers(
            "conversation:*:*",
            "conversation:communication:disconnect"
        ));
        assert!(permission_covers(
            "conversation:communication:*",
            "conversation:communication:disconnect"
        ));
        assert!(!permission_covers(
            "conversation:communication:view",
            "conversation:communication:disconnect"
        ));
        assert!(permission_covers("*", "a:b:c"));
    }
}
