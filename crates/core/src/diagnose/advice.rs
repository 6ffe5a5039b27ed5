//! What to do, worded from the evidence and the verdict. A sentence that names
//! a request takes its outcome from [`Probe::outcome`] or from the failed
//! lookup itself: the same answers the checks are built from.

use super::evidence::{failure, ConversationRead, Evidence, Probe, ProbeKind, Reason};
use super::verdict::{ConversationAccess, EndAccess, ReadAccess, Verdict, Way};
use super::{any_of, INVENTED_SCOPE};
use crate::genesys::divisions::{out_of_reach, Reach, GRANT_IN_DIVISION};
use crate::genesys::model::GrantType;
use crate::genesys::permissions::{
    permission_covers, PARTICIPANT_PERMISSIONS, REQUIRED_PERMISSIONS,
};
use crate::session::grants::LookupKind;

pub fn advice(e: &Evidence, v: &Verdict) -> Vec<String> {
    // The token in general; the one conversation (if asked) is said first.
    let general = v.end.allows() && v.read != ReadAccess::Refused;
    let mut out: Vec<String> = conversation(e, v, general).into_iter().collect();
    if v.conversation != Some(ConversationAccess::InReach) {
        out.extend(skipped_type(e, v));
    }
    if general && !v.can_close {
        // It can end conversations, but not the one asked about: where it can.
        out.extend(division_reach(v));
    } else if general {
        out.extend(can_close(e, v));
        out.extend(division_reach(v));
    } else {
        out.extend(cannot_close(e, v));
    }
    out.extend(unlisted_permissions(e));
    out
}

const NOT_TRIED: &str =
    "decided from its divisions and the token's grants: the PATCH that would end it was not tried";

/// The verdict on the conversation asked about, worded from its read (the
/// same answer its check is worded from).
fn conversation(e: &Evidence, v: &Verdict, general: bool) -> Option<String> {
    let read = e.conversation.as_ref()?;
    let said = capital(&read.outcome());
    let empty = Reach::default();
    let reach = v.reach.as_ref().unwrap_or(&empty);
    Some(match (v.conversation?, read) {
        (ConversationAccess::InReach, _) if v.type_skipped => format!(
            "{said}, where this token holds a permission that ends conversations. {}",
            skipped_type(e, v).unwrap_or_default()
        ),
        (ConversationAccess::InReach, _) if general => format!(
            "{said}, where this token holds a permission that ends conversations, so closeConversation can end it ({NOT_TRIED})."
        ),
        (ConversationAccess::InReach, _) => format!(
            "{said}, where this token holds a permission that ends conversations, but the token cannot end conversations yet (see below); the PATCH that would end it was not tried."
        ),
        (ConversationAccess::OutOfReach, _) if !v.end.allows() => format!(
            "{said}; this token holds no permission that ends conversations in any division (see below), so the API would refuse to end it with 403 ({NOT_TRIED})."
        ),
        (ConversationAccess::OutOfReach, ConversationRead::Found { id, divisions, .. }) => format!(
            "{} The API would refuse to end it with 403 ({NOT_TRIED}).",
            out_of_reach(id, divisions, &reach.clone().named_from(divisions))
        ),
        (ConversationAccess::Unknown, _) if v.reach.is_none() => format!(
            "{said}. Where this token holds the permissions that end conversations could not be read (see checks), so whether it reaches this conversation is unknown. The PATCH that would end it was not tried."
        ),
        (ConversationAccess::Unknown, _) if reach.is_empty() => format!(
            "{said}; this token holds no permission that ends conversations in any division (see below). The PATCH that would end it was not tried."
        ),
        (ConversationAccess::Unknown, _) => format!(
            "{said}, so whether this token's grants reach it is unknown. The PATCH that would end it was not tried."
        ),
        (ConversationAccess::NotFound, _) => {
            format!("{said}: there is nothing to end (closeConversation would answer notFound).")
        }
        (ConversationAccess::Unreadable | ConversationAccess::OutOfReach, _) => format!(
            "{said}: its divisions are unknown, so only the token itself was diagnosed; the PATCH that would end it was not tried."
        ),
    })
}

/// The conversation asked about is of no type a close would end.
fn skipped_type(e: &Evidence, v: &Verdict) -> Option<String> {
    let Some(ConversationRead::Found { message_types, .. }) = &e.conversation else {
        return None;
    };
    if !v.type_skipped {
        return None;
    }
    Some(match message_types.first() {
        Some(t) => format!(
            "It is a {} conversation, so closeConversation skips it (skipReason 'messageType') unless messageTypes includes '{t}' (default: {}); the PATCH that would end it was not tried.",
            message_types.join("/"),
            e.message_types.join(", ")
        ),
        None => "Its participants carry no message type, so closeConversation skips it (skipReason 'messageType'): it cannot be confirmed as web messaging.".to_string(),
    })
}

/// When the token can end conversations only in some divisions.
fn division_reach(v: &Verdict) -> Option<String> {
    let reach = v.reach.as_ref().filter(|r| !r.all && !r.is_empty())?;
    Some(format!(
        "It can close conversations in {} only: that is where it holds a permission that ends conversations (see permissionDivisions); conversations in other divisions answer 403. To reach them, grant the role holding conversation:communication:disconnect in those divisions too: {GRANT_IN_DIVISION}.",
        reach.describe()
    ))
}

fn can_close(e: &Evidence, v: &Verdict) -> Vec<String> {
    const CAN: &str = "This token can end web messaging conversations";
    const FALLBACK: &str =
        "through the per-participant fallback only (one request per participant)";
    let mut out = Vec::new();
    // gather probes the fallback whenever the conversation PATCH did not pass.
    let unprobed = Probe::Inconclusive("not probed".into());
    let participant = e.participant.as_ref().unwrap_or(&unprobed);
    match v.end {
        EndAccess::Passed(Way::Conversation) => {
            out.push(format!("{CAN}: {}.", e.end.outcome(ProbeKind::End)));
        }
        EndAccess::Passed(Way::Participant) => out.push(format!(
            "{CAN}, {FALLBACK}: {}.",
            participant.outcome(ProbeKind::Participant)
        )),
        EndAccess::Inferred(Way::Conversation) => out.push(format!(
            "{}, but the token's roles grant {}, so it should be able to end web messaging conversations; run checkScopes again when Genesys answers, to confirm.",
            capital(&e.end.outcome(ProbeKind::End)),
            any_of(&granted_of(e, &REQUIRED_PERMISSIONS)),
        )),
        EndAccess::Inferred(Way::Participant) => out.push(format!(
            "{}, but the token's roles grant {}, so it should be able to end web messaging conversations {FALLBACK}; run checkScopes again when Genesys answers, to confirm.",
            capital(&participant.outcome(ProbeKind::Participant)),
            any_of(&granted_of(e, &PARTICIPANT_PERMISSIONS)),
        )),
        EndAccess::Refused | EndAccess::Unknown => {}
    }
    if matches!(e.end, Probe::Refused(_)) {
        out.push(format!(
            "{}; a role with conversation:communication:disconnect makes each close a single call.",
            capital(&e.end.outcome(ProbeKind::End))
        ));
    }
    if !v.missing_scopes.is_empty() {
        out.push(unenforced_scope(v));
    }
    out
}

/// Those of `wanted` that the granted permissions cover.
fn granted_of(e: &Evidence, wanted: &[&str]) -> Vec<String> {
    let granted = e.granted.as_deref().unwrap_or(&[]);
    wanted
        .iter()
        .filter(|w| granted.iter().any(|g| permission_covers(g, w)))
        .map(|w| w.to_string())
        .collect()
}

fn unenforced_scope(v: &Verdict) -> String {
    let scopes = v.missing_scopes.join(", ");
    if matches!(v.end, EndAccess::Passed(_)) {
        format!("The token lacks the scope {scopes} but the API accepted it anyway (this organisation does not seem to enforce scopes); add it so the client keeps working if enforcement is turned on.")
    } else {
        format!("The token lacks the scope {scopes}: where the organisation enforces scopes, ending conversations needs it; add it to the OAuth client's allowed scopes.")
    }
}

fn cannot_close(e: &Evidence, v: &Verdict) -> Vec<String> {
    let mut out = Vec::new();
    if !v.missing_permissions.is_empty() {
        out.push(grant_role(e, &v.missing_permissions));
    }
    if !v.refused_though_granted.is_empty() {
        out.push(format!(
            "{} although the token's roles grant {}: the token may predate a change to its roles; get a new token and run checkScopes again.",
            capital(&e.end.outcome(ProbeKind::End)),
            any_of(&v.refused_though_granted)
        ));
    }
    if !v.missing_scopes.is_empty() || v.scope_refused {
        out.push(add_scope(e, v));
    }
    out.extend(read_refused(e));
    out.extend(inconclusive(e, v).map(str::to_string));
    out.extend(circulating(e, v));
    out
}

/// When no probe answered, what the verdict rests on.
fn inconclusive(e: &Evidence, v: &Verdict) -> Option<&'static str> {
    let answered = |p: &Probe| matches!(p, Probe::Refused(_));
    match v.end {
        EndAccess::Unknown => {
            Some("The probes were inconclusive (see checks): retry when Genesys is reachable.")
        }
        EndAccess::Refused if !answered(&e.end) && !e.participant.as_ref().is_some_and(answered) => Some(
            "The probes were inconclusive (see checks), so the verdict rests on the token's roles, which grant no permission that ends conversations; run checkScopes again when Genesys answers, to confirm.",
        ),
        _ => None,
    }
}

fn grant_role(e: &Evidence, missing: &[String]) -> String {
    let (who, where_) = match (e.client(), e.grant_type()) {
        (Some(c), GrantType::ClientCredentials) => (
            format!("OAuth client {}", label(&c.id, c.name.as_deref())),
            " (Admin > Roles / Permissions, then Admin > Integrations > OAuth > the client > Roles). Scopes do not apply to client-credentials clients: changing scopes will not fix this.",
        ),
        (_, GrantType::User) => (
            "the user who signed in".to_string(),
            " (Admin > People > the user > Roles).",
        ),
        _ => ("the owner of this token".to_string(), "."),
    };
    format!("Grant {who} a role holding {}{where_}", any_of(missing))
}

fn add_scope(e: &Evidence, v: &Verdict) -> String {
    let held = e.scopes();
    let to_add = if v.missing_scopes.is_empty() {
        refused_scopes(e)
    } else {
        v.missing_scopes.clone()
    };
    if to_add.is_empty() {
        return format!(
            "The API refused for a missing OAuth scope although the token holds {}: have the user sign in again so that the token carries the client's current scopes.",
            held.join(", ")
        );
    }
    let client = e
        .client()
        .map(|c| label(&c.id, c.name.as_deref()))
        .unwrap_or_else(|| "the OAuth client".into());
    let readonly = if held.iter().any(|s| s == "conversations:readonly") {
        "; conversations:readonly is not enough to end conversations"
    } else {
        ""
    };
    let scopes = match to_add.as_slice() {
        [one] => format!("the scope {one}"),
        _ => format!("one of the scopes {}", to_add.join(", ")),
    };
    format!("Add {scopes} to {client}'s allowed scopes (Admin > Integrations > OAuth > Scope) and have the user sign in again{readonly}.")
}

/// The scopes the first scope refusal named that the token does not hold.
fn refused_scopes(e: &Evidence) -> Vec<String> {
    let held = e.scopes();
    e.probes()
        .find_map(|(_, p)| match p {
            Probe::Refused(r) => match &r.reason {
                Reason::Scope(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|s| !held.contains(s))
        .collect()
}

/// A read refused for other than a scope (a scope is advised on its own).
fn read_refused(e: &Evidence) -> Option<String> {
    let Probe::Refused(r) = &e.read else {
        return None;
    };
    let grant = match &r.reason {
        Reason::Scope(_) => return None,
        Reason::Permission(p) if !p.is_empty() => format!("a role holding {}", any_of(p)),
        _ => "read access".to_string(),
    };
    Some(format!(
        "{}: closeConversation reads a conversation before ending it (to end only web messaging conversations), so grant {grant} too.",
        capital(&e.read.outcome(ProbeKind::Read))
    ))
}

/// Said once, in a failing report, and only where the circulating answer
/// would mislead: a missing role permission (that answer sends people to a
/// scope), or the invented name seen in the token's scopes, the client's or
/// the permissions.
fn circulating(e: &Evidence, v: &Verdict) -> Option<String> {
    if v.missing_permissions.is_empty() && !e.names_invented_scope() {
        return None;
    }
    Some(format!(
        "There is no scope or permission named {INVENTED_SCOPE} and no endpoint DELETE /api/v2/conversations/webmessaging/{{id}}: both come from an answer that circulates online. What is really needed is the role permission conversation:communication:disconnect (or conversation:message:park){}.",
        if e.scopes_apply() {
            " and, where the organisation enforces scopes, the OAuth scope conversations"
        } else {
            ""
        }
    ))
}

/// When the permissions could not be listed: why, and what the verdict rests on.
fn unlisted_permissions(e: &Evidence) -> Option<String> {
    if e.granted.is_some() {
        return None;
    }
    let whose = match e.grant_type() {
        GrantType::ClientCredentials => "The client's role permissions",
        GrantType::User => "The user's permissions",
        GrantType::Unknown => return None,
    };
    let why = match e.failed_lookup() {
        Some((kind, err)) if kind != LookupKind::TokenInfo => {
            let said = failure(err);
            format!("{} failed: {}", kind.request(), said.trim_end_matches('.'))
        }
        _ => "the client id in tokens/me cannot be put in a request path".to_string(),
    };
    let needs = if e.grant_type() == GrantType::ClientCredentials {
        "; listing them needs oauth:client:view and authorization:role:view"
    } else {
        ""
    };
    let probes_answered = e
        .probes()
        .all(|(_, p)| !matches!(p, Probe::Inconclusive(_)));
    let rests = if probes_answered {
        "; the verdict rests on the API's own answers to the probes"
    } else {
        ""
    };
    Some(format!(
        "{whose} could not be listed ({why}{needs}){rests}."
    ))
}

/// `name (id)`, or the id alone when the name adds nothing.
fn label(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() && n != id => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

fn capital(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
