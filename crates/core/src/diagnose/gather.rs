//! The requests of a diagnosis, and nothing else: each answer is kept as
//! [`Evidence`] for the pure verdict and advice.

use super::evidence::{ConversationRead, Evidence, Lookup, LookupKind, Probe, ProbeKind, Refusal};
use super::{GrantType, NIL_UUID};
use crate::error::{Division, Error, ErrorCode};
use crate::genesys::divisions::{HeldGrant, Holdings};
use crate::genesys::model::{
    AuthzSubject, MessageConversation, OAuthClientDetails, OAuthClientInfo, Role, RoleDivision,
    TokenInfo, UserMe,
};
use crate::genesys::routes;
use crate::http::transport::{Call, Parsed, Request, Transport};
use bytes::Bytes;
use reqwest::Method;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

/// Asks the API what it knows about the token, then probes the endpoints a
/// close uses; with a `conversation_id` (already validated), also reads that
/// conversation for its divisions (never writes to it). Errs only when the
/// token is rejected (401) or the caller aborts: every other failure is
/// evidence.
pub async fn gather(
    t: &Transport,
    cancel: &CancellationToken,
    conversation_id: Option<&str>,
    message_types: &[String],
) -> Result<Evidence, Error> {
    let call = &mut t.call(cancel);
    let mut lookups = Vec::new();
    let token = get::<TokenInfo>(t, call, LookupKind::TokenInfo, routes::TOKENS_ME.into()).await?;
    let token = kept(&mut lookups, LookupKind::TokenInfo, token, |_| 0).unwrap_or_default();
    let (granted, holdings) = access(t, call, &mut lookups, &token).await?;
    let read = probe(t, call, ProbeKind::Read).await?;
    let end = probe(t, call, ProbeKind::End).await?;
    let participant = match end {
        Probe::Passed => None,
        _ => Some(probe(t, call, ProbeKind::Participant).await?),
    };
    let conversation = match conversation_id {
        Some(id) => Some(read_conversation(t, call, id).await?),
        None => None,
    };
    let queues = queue_listing(t, call).await?;
    Ok(Evidence {
        token,
        lookups,
        granted,
        holdings,
        read,
        end,
        participant,
        conversation,
        message_types: message_types.to_vec(),
        queues: Some(queues),
        requests: call.stats.requests,
    })
}

/// The permissions the token holds and where (each `None` when its lookups
/// failed): a user's from `users/me` and `authorization/subjects/me`, a
/// client's from its role/division pairs and each role.
async fn access(
    t: &Transport,
    call: &mut Call<'_>,
    lookups: &mut Vec<Lookup>,
    token: &TokenInfo,
) -> Result<(Option<Vec<String>>, Option<Holdings>), Error> {
    Ok(
        match (GrantType::from_genesys(grant(token)), &token.oauth_client) {
            (GrantType::User, _) => (
                user_permissions(t, call, lookups).await?,
                user_grants(t, call, lookups).await?,
            ),
            (GrantType::ClientCredentials, Some(c)) => {
                client_permissions(t, call, lookups, c).await?
            }
            _ => (None, None),
        },
    )
}

/// Where the token holds its permissions, for explaining a refused close:
/// the same lookups as a diagnosis, without the probes. `None` when they
/// failed (a refused close is explained without divisions then).
pub async fn holdings(t: &Transport, call: &mut Call<'_>) -> Option<Holdings> {
    let lookups = &mut Vec::new();
    let token = get::<TokenInfo>(t, call, LookupKind::TokenInfo, routes::TOKENS_ME.into())
        .await
        .ok()?
        .ok()?;
    // Only where the permissions are held: a user's flat list is not needed.
    match (GrantType::from_genesys(grant(&token)), &token.oauth_client) {
        (GrantType::User, _) => user_grants(t, call, lookups).await.ok()?,
        (GrantType::ClientCredentials, Some(c)) => {
            client_permissions(t, call, lookups, c).await.ok()?.1
        }
        _ => None,
    }
}

/// `GET /api/v2/conversations/messages/{id}`: its divisions, or why not.
async fn read_conversation(
    t: &Transport,
    call: &mut Call<'_>,
    id: &str,
) -> Result<ConversationRead, Error> {
    let req = Request {
        method: Method::GET,
        path: routes::fill(routes::MESSAGE_CONVERSATION, &[id]),
        route: routes::MESSAGE_CONVERSATION,
        body: None,
        action: "reading the conversation to diagnose",
    };
    let answer = t
        .send(&req, call, |status, body| match status {
            200 => match serde_json::from_slice::<MessageConversation>(body) {
                Ok(c) => Parsed::Accept(Some((c.division_list(), participant_types(&c)))),
                Err(_) => Parsed::Unreadable,
            },
            404 => Parsed::Accept(None),
            _ => Parsed::Reject,
        })
        .await;
    let id = id.to_string();
    Ok(match answer {
        Ok(reply) => match reply.value {
            Some((divisions, message_types)) => ConversationRead::Found {
                id,
                divisions,
                message_types,
            },
            None => ConversationRead::NotFound { id },
        },
        Err(e) if fatal(&e) => return Err(e),
        Err(error) => ConversationRead::Failed { id, error },
    })
}

/// Each participant `type` once, in order (a few at most: bounded anyway).
fn participant_types(c: &MessageConversation) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in c
        .participants
        .iter()
        .filter_map(|p| p.message_type.as_deref())
    {
        if out.len() < 8 && !out.iter().any(|o| o == t) {
            out.push(crate::text::bound_token(t));
        }
    }
    out
}

fn grant(token: &TokenInfo) -> Option<&str> {
    token
        .oauth_client
        .as_ref()
        .and_then(|c| c.authorized_grant_type.as_deref())
}

/// Records a lookup's outcome (`count` says how many things it found) and
/// hands back its value when it answered.
fn kept<T>(
    lookups: &mut Vec<Lookup>,
    kind: LookupKind,
    answer: Result<T, Error>,
    count: impl Fn(&T) -> usize,
) -> Option<T> {
    let found = answer.as_ref().map(&count).map_err(Clone::clone);
    lookups.push(Lookup { kind, found });
    answer.ok()
}

async fn user_permissions(
    t: &Transport,
    call: &mut Call<'_>,
    lookups: &mut Vec<Lookup>,
) -> Result<Option<Vec<String>>, Error> {
    let path = format!("{}?expand=authorization", routes::USERS_ME);
    let me = get::<UserMe>(t, call, LookupKind::UserPermissions, path).await?;
    let perms = me.map(|me| me.authorization.map(|a| a.permissions).unwrap_or_default());
    Ok(kept(lookups, LookupKind::UserPermissions, perms, Vec::len))
}

/// `GET /api/v2/authorization/subjects/me` (documented "Requires NO
/// permissions"): each grant's role policies in its division.
async fn user_grants(
    t: &Transport,
    call: &mut Call<'_>,
    lookups: &mut Vec<Lookup>,
) -> Result<Option<Holdings>, Error> {
    let path = routes::SUBJECTS_ME.to_string();
    let subject = get::<AuthzSubject>(t, call, LookupKind::UserGrants, path).await?;
    let holdings = subject.map(|s| Holdings {
        grants: s
            .grants
            .iter()
            .filter_map(|g| {
                let division = g.division.as_ref()?;
                Some(HeldGrant {
                    division: Division::new(&division.id, division.name.as_deref()),
                    permissions: g.role.as_ref()?.permissions(),
                })
            })
            .collect(),
    });
    Ok(kept(lookups, LookupKind::UserGrants, holdings, |h| {
        h.grants.len()
    }))
}

/// The client's permissions (all of them) and where it holds each.
async fn client_permissions(
    t: &Transport,
    call: &mut Call<'_>,
    lookups: &mut Vec<Lookup>,
    client: &OAuthClientInfo,
) -> Result<(Option<Vec<String>>, Option<Holdings>), Error> {
    // Whether tokens/me lists roleDivisions is UNCONFIRMED: use it when present,
    // else ask for the client's details.
    let pairs: Vec<RoleDivision> = match &client.role_divisions {
        Some(rd) if !rd.is_empty() => rd.clone(),
        _ if !is_safe_segment(&client.id) => return Ok((None, None)),
        _ => {
            let path = routes::fill(routes::OAUTH_CLIENT, &[&client.id]);
            let d = get::<OAuthClientDetails>(t, call, LookupKind::ClientRoles, path).await?;
            match kept(lookups, LookupKind::ClientRoles, d, |d| {
                d.role_divisions.len()
            }) {
                Some(d) => d.role_divisions,
                None => return Ok((None, None)),
            }
        }
    };
    let mut roles: Vec<(&str, Vec<String>)> = Vec::new();
    for pair in &pairs {
        let role_id = pair.role_id.as_str();
        if roles.iter().any(|(id, _)| *id == role_id) || !is_safe_segment(role_id) {
            continue;
        }
        let path = routes::fill(routes::ROLE, &[role_id]);
        match get::<Role>(t, call, LookupKind::RolePermissions, path).await? {
            Ok(role) => roles.push((role_id, role.all_permissions())),
            Err(e) => {
                let failed = kept(lookups, LookupKind::RolePermissions, Err(e), Vec::len);
                return Ok((failed, None));
            }
        }
    }
    let mut perms: Vec<String> = roles.iter().flat_map(|(_, p)| p.clone()).collect();
    perms.sort();
    perms.dedup();
    let holdings = role_holdings(&pairs, &roles);
    Ok((
        kept(lookups, LookupKind::RolePermissions, Ok(perms), Vec::len),
        holdings,
    ))
}

/// Each role/division pair with the role's permissions; `None` when a pair
/// names no division (where it is held is then unknown).
fn role_holdings(pairs: &[RoleDivision], roles: &[(&str, Vec<String>)]) -> Option<Holdings> {
    let mut grants = Vec::new();
    for pair in pairs {
        let division = pair.division_id.as_deref()?;
        if let Some((_, perms)) = roles.iter().find(|(id, _)| *id == pair.role_id) {
            grants.push(HeldGrant {
                division: Division::new(division, None),
                permissions: perms.clone(),
            });
        }
    }
    Some(Holdings { grants })
}

/// Ids that come back from Genesys are put in paths only if they cannot change the path.
fn is_safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Fatal for a diagnosis: the token is rejected, or the caller gave up.
fn fatal(e: &Error) -> bool {
    e.code == ErrorCode::Unauthorized || e.code == ErrorCode::Aborted
}

/// One lookup: the outer error is fatal, the inner one is evidence.
async fn get<T: DeserializeOwned>(
    t: &Transport,
    call: &mut Call<'_>,
    kind: LookupKind,
    path: String,
) -> Result<Result<T, Error>, Error> {
    let req = Request {
        method: Method::GET,
        path,
        route: route(kind),
        body: None,
        action: action(kind),
    };
    let answer = t
        .send(&req, call, |status, body| match status {
            200 => match serde_json::from_slice::<T>(body) {
                Ok(v) => Parsed::Accept(v),
                Err(_) => Parsed::Unreadable,
            },
            _ => Parsed::Reject,
        })
        .await;
    match answer {
        Ok(reply) => Ok(Ok(reply.value)),
        Err(e) if fatal(&e) => Err(e),
        Err(e) => Ok(Err(e)),
    }
}

/// The path template of a lookup, for events.
fn route(kind: LookupKind) -> &'static str {
    match kind {
        LookupKind::TokenInfo => routes::TOKENS_ME,
        LookupKind::UserPermissions => routes::USERS_ME,
        LookupKind::ClientRoles => routes::OAUTH_CLIENT,
        LookupKind::RolePermissions => routes::ROLE,
        LookupKind::UserGrants => routes::SUBJECTS_ME,
        LookupKind::Queues => routes::QUEUES,
    }
}

fn action(kind: LookupKind) -> &'static str {
    match kind {
        LookupKind::TokenInfo => "reading the token's own details",
        LookupKind::UserPermissions => "reading the user's permissions",
        LookupKind::ClientRoles => "reading the OAuth client's roles",
        LookupKind::RolePermissions => "reading a role's permissions",
        LookupKind::UserGrants => "reading the user's role grants per division",
        LookupKind::Queues => "listing queues (watch mode)",
    }
}

/// `QueueEntityListing`, only its total.
#[derive(serde::Deserialize)]
struct QueueTotal {
    #[serde(default)]
    total: Option<u64>,
}

/// Can watch mode list the queues it subscribes to (`routing:queue:view`)?
async fn queue_listing(t: &Transport, call: &mut Call<'_>) -> Result<Lookup, Error> {
    let path = format!("{}?pageSize=1&pageNumber=1", routes::QUEUES);
    let found = get::<QueueTotal>(t, call, LookupKind::Queues, path)
        .await?
        .map(|q| q.total.unwrap_or(0).min(usize::MAX as u64) as usize);
    Ok(Lookup {
        kind: LookupKind::Queues,
        found,
    })
}

async fn probe(t: &Transport, call: &mut Call<'_>, kind: ProbeKind) -> Result<Probe, Error> {
    let conversation = routes::fill(routes::MESSAGE_CONVERSATION, &[NIL_UUID]);
    let disconnect = Some(Bytes::from_static(routes::DISCONNECT_BODY));
    let (method, path, body) = match kind {
        ProbeKind::Read => (Method::GET, conversation, None),
        ProbeKind::End => (Method::PATCH, conversation, disconnect),
        ProbeKind::Participant => (
            Method::PATCH,
            routes::fill(routes::MESSAGE_PARTICIPANT, &[NIL_UUID, NIL_UUID]),
            disconnect,
        ),
    };
    let req = Request {
        method,
        path,
        route: "probe",
        body,
        action: "probing access with the nil conversation id",
    };
    let answer = t
        .send(&req, call, |status, _| match status {
            404 | 200..=299 => Parsed::Accept(()),
            _ => Parsed::Reject,
        })
        .await;
    match answer {
        Ok(_) => Ok(Probe::Passed),
        Err(e) if fatal(&e) => Err(e),
        Err(e) if e.status == Some(403) => Ok(Probe::Refused(Refusal::from_error(&e))),
        Err(e) => Ok(Probe::Inconclusive(format!("{}: {}", e.code, e.message))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_segments() {
        assert!(is_safe_segment("cleanup-client"));
        assert!(is_safe_segment("3fa85f64-5717-4562-b3fc-2c963f66afa6"));
        assert!(!is_safe_segment(".."));
        assert!(!is_safe_segment("a/b"));
        assert!(!is_safe_segment("a?b"));
        assert!(!is_safe_segment(""));
    }
}
