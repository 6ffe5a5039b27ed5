//! The verdict: decided from the evidence alone. The probes decide; the
//! granted permissions stand in only where the probes were inconclusive, and
//! explain a scope refusal (Genesys checks scopes first, so a scope refusal
//! hides the permission check).

use super::evidence::{ConversationRead, Evidence, Probe, Reason, Refusal};
use super::owned;
use crate::genesys::divisions::Reach;
use crate::genesys::permissions::{
    permission_covers, END_PERMISSIONS, PARTICIPANT_PERMISSIONS, REQUIRED_PERMISSIONS,
    REQUIRED_SCOPES,
};

/// Which request ends a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// `PATCH /api/v2/conversations/messages/{id}`: one request.
    Conversation,
    /// The per-participant fallback: one request per participant.
    Participant,
}

/// May the token end conversations, and how do we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndAccess {
    /// A probe passed the API's checks this way.
    Passed(Way),
    /// The probes were inconclusive; the granted permissions allow this way.
    Inferred(Way),
    /// Every way was refused, by the API or by the granted permissions.
    Refused,
    /// The probes were inconclusive and the permissions are unknown.
    Unknown,
}

/// May the token read conversations (`closeConversation` reads first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    Passed,
    Refused,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub can_close: bool,
    pub end: EndAccess,
    pub read: ReadAccess,
    /// Role permissions to grant (any one of them).
    pub missing_permissions: Vec<String>,
    /// Permissions the API said were missing although the roles grant them
    /// (those of them the roles grant).
    pub refused_though_granted: Vec<String>,
    /// Scopes the token lacks (only where scopes apply).
    pub missing_scopes: Vec<String>,
    /// A probe was refused for a missing OAuth scope.
    pub scope_refused: bool,
    /// Where a permission that ends conversations is held (`None`: unknown).
    pub reach: Option<Reach>,
    /// The conversation asked about, if any.
    pub conversation: Option<ConversationAccess>,
    /// That conversation is of no message type a close would end
    /// (`messageTypes`): a close would skip it.
    pub type_skipped: bool,
}

/// Whether the token may end the one conversation asked about, decided from
/// its divisions and the token's grants (the PATCH is never tried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationAccess {
    /// A permission that ends it is held in one of its divisions, or in all.
    InReach,
    /// Held only in other divisions, or nowhere (the token can end no
    /// conversation at all): the PATCH would answer 403.
    OutOfReach,
    /// Where the permission is held, or the conversation's divisions, is unknown.
    Unknown,
    /// No such message conversation.
    NotFound,
    /// The read failed.
    Unreadable,
}

impl ConversationAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationAccess::InReach => "inReach",
            ConversationAccess::OutOfReach => "outOfReach",
            ConversationAccess::Unknown => "unknown",
            ConversationAccess::NotFound => "notFound",
            ConversationAccess::Unreadable => "unreadable",
        }
    }

    pub const ALL: [ConversationAccess; 5] = [
        ConversationAccess::InReach,
        ConversationAccess::OutOfReach,
        ConversationAccess::Unknown,
        ConversationAccess::NotFound,
        ConversationAccess::Unreadable,
    ];
}

serialize_as_str!(ConversationAccess);

impl EndAccess {
    pub fn allows(self) -> bool {
        matches!(self, EndAccess::Passed(_) | EndAccess::Inferred(_))
    }
}

pub fn verdict(e: &Evidence) -> Verdict {
    let end = end_access(e);
    let read = match e.read {
        Probe::Passed => ReadAccess::Passed,
        Probe::Refused(_) => ReadAccess::Refused,
        Probe::Inconclusive(_) => ReadAccess::Unknown,
    };
    let (missing_permissions, refused_though_granted) = if end.allows() {
        (Vec::new(), Vec::new())
    } else {
        missing_permissions(e)
    };
    let scope_refused = e.probes().any(|(_, p)| p.refused_for_scope());
    let reach = e.holdings.as_ref().map(|h| h.reach(&END_PERMISSIONS));
    let conversation = e
        .conversation
        .as_ref()
        .map(|c| conversation_access(c, reach.as_ref(), end));
    let in_reach = !matches!(
        conversation,
        Some(ConversationAccess::OutOfReach | ConversationAccess::NotFound)
    );
    let type_skipped = match &e.conversation {
        Some(ConversationRead::Found { message_types, .. }) => !message_types
            .iter()
            .any(|t| e.message_types.iter().any(|m| m == t)),
        _ => false,
    };
    Verdict {
        can_close: end.allows() && read != ReadAccess::Refused && in_reach && !type_skipped,
        type_skipped,
        end,
        read,
        missing_permissions,
        refused_though_granted,
        missing_scopes: missing_scopes(e, scope_refused),
        scope_refused,
        reach,
        conversation,
    }
}

/// A conversation is in reach when a permission that ends it is held in one
/// of its divisions (UNCONFIRMED: that one is enough) or in all divisions.
/// A token that can end nothing (every way refused) reaches no conversation.
/// Held nowhere while a probe passed contradicts itself: unknown.
fn conversation_access(
    read: &ConversationRead,
    reach: Option<&Reach>,
    end: EndAccess,
) -> ConversationAccess {
    match (read, reach) {
        (ConversationRead::NotFound { .. }, _) => ConversationAccess::NotFound,
        (ConversationRead::Failed { .. }, _) => ConversationAccess::Unreadable,
        (ConversationRead::Found { .. }, _) if end == EndAccess::Refused => {
            ConversationAccess::OutOfReach
        }
        (ConversationRead::Found { .. }, None) => ConversationAccess::Unknown,
        (ConversationRead::Found { .. }, Some(r)) if r.all => ConversationAccess::InReach,
        (ConversationRead::Found { divisions, .. }, Some(_)) if divisions.is_empty() => {
            ConversationAccess::Unknown
        }
        (ConversationRead::Found { .. }, Some(r)) if r.is_empty() => ConversationAccess::Unknown,
        (ConversationRead::Found { divisions, .. }, Some(r)) if r.reaches(divisions) => {
            ConversationAccess::InReach
        }
        (ConversationRead::Found { .. }, Some(_)) => ConversationAccess::OutOfReach,
    }
}

/// Whether the granted permissions (when known) cover any one of `wanted`.
fn covers<S: AsRef<str>>(granted: Option<&[String]>, wanted: &[S]) -> Option<bool> {
    granted.map(|g| {
        wanted
            .iter()
            .any(|w| g.iter().any(|p| permission_covers(p, w.as_ref())))
    })
}

fn end_access(e: &Evidence) -> EndAccess {
    let participant = e.participant.as_ref();
    if e.end == Probe::Passed {
        return EndAccess::Passed(Way::Conversation);
    }
    if participant == Some(&Probe::Passed) {
        return EndAccess::Passed(Way::Participant);
    }
    let refused = |p: Option<&Probe>| matches!(p, Some(Probe::Refused(_)));
    // Both ways need the same scope: one scope refusal closes both.
    let scope_refused =
        e.end.refused_for_scope() || participant.is_some_and(Probe::refused_for_scope);
    if scope_refused || (refused(Some(&e.end)) && refused(participant)) {
        return EndAccess::Refused;
    }
    let granted = e.granted.as_deref();
    if granted.is_none() {
        EndAccess::Unknown
    } else if !refused(Some(&e.end)) && covers(granted, &REQUIRED_PERMISSIONS) == Some(true) {
        EndAccess::Inferred(Way::Conversation)
    } else if !refused(participant) && covers(granted, &PARTICIPANT_PERMISSIONS) == Some(true) {
        EndAccess::Inferred(Way::Participant)
    } else {
        EndAccess::Refused
    }
}

/// The permissions to grant, and those the API refused although the roles
/// grant them. Only the API can name a missing permission when the roles are
/// unknown, and a scope refusal names none.
fn missing_permissions(e: &Evidence) -> (Vec<String>, Vec<String>) {
    let (named, by_api) = match &e.end {
        Probe::Refused(Refusal {
            reason: Reason::Permission(p),
            ..
        }) if !p.is_empty() => (p.clone(), true),
        Probe::Refused(r) => (
            owned(&REQUIRED_PERMISSIONS),
            !matches!(r.reason, Reason::Scope(_)),
        ),
        _ => (owned(&REQUIRED_PERMISSIONS), false),
    };
    match covers(e.granted.as_deref(), &named) {
        Some(true) if by_api => {
            let granted = e.granted.as_deref();
            let held = named
                .into_iter()
                .filter(|p| covers(granted, &[p]) == Some(true));
            (Vec::new(), held.collect())
        }
        Some(true) => (Vec::new(), Vec::new()),
        Some(false) => (named, Vec::new()),
        None if by_api => (named, Vec::new()),
        None => (Vec::new(), Vec::new()),
    }
}

/// Scopes apply to user tokens; they are reported missing when the API refused
/// for a scope or the token lists scopes at all (an organisation may not use them).
fn missing_scopes(e: &Evidence, scope_refused: bool) -> Vec<String> {
    let scopes = e.scopes();
    if !e.scopes_apply() || (!scope_refused && scopes.is_empty()) {
        return Vec::new();
    }
    REQUIRED_SCOPES
        .iter()
        .filter(|s| !scopes.iter().any(|have| have == *s || have == "*"))
        .map(|s| s.to_string())
        .collect()
}
