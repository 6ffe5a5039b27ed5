//! What the token holds, looked up: its own details (`tokens/me`), then a
//! user's permissions and role grants, or a client's role/division pairs
//! and each role's permissions. A diagnosis records every lookup (`Lookup`)
//! for its checks; a refused close needs only where the permissions are held
//! (`holdings`, once per client).

use crate::error::{Division, Error, ErrorCode};
use crate::genesys::divisions::{HeldGrant, Holdings};
use crate::genesys::model::{
    AuthzSubject, GrantType, OAuthClientDetails, OAuthClientInfo, Role, RoleDivision, TokenInfo,
    UserMe,
};
use crate::genesys::routes;
use crate::http::transport::{Call, Parsed, Request, Transport};
use reqwest::Method;
use serde::de::DeserializeOwned;

/// A request that reads facts about the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    TokenInfo,
    UserPermissions,
    ClientRoles,
    RolePermissions,
    /// `GET /api/v2/authorization/subjects/me`: a user's grants per division.
    UserGrants,
    /// Watch mode lists queues (its own field of the evidence, not a lookup
    /// for the permissions).
    Queues,
}

impl LookupKind {
    pub fn name(self) -> &'static str {
        match self {
            LookupKind::TokenInfo => "tokenInfo",
            LookupKind::UserPermissions => "userPermissions",
            LookupKind::ClientRoles => "clientRoles",
            LookupKind::RolePermissions => "rolePermissions",
            LookupKind::UserGrants => "userGrants",
            LookupKind::Queues => "listQueues",
        }
    }

    /// The request, as checks and advice name it.
    pub fn request(self) -> &'static str {
        match self {
            LookupKind::TokenInfo => "GET /api/v2/tokens/me",
            LookupKind::UserPermissions => "GET /api/v2/users/me?expand=authorization",
            LookupKind::ClientRoles => "GET /api/v2/oauth/clients/{id}",
            LookupKind::RolePermissions => "GET /api/v2/authorization/roles/{id}",
            LookupKind::UserGrants => "GET /api/v2/authorization/subjects/me",
            LookupKind::Queues => "GET /api/v2/routing/queues",
        }
    }

    /// The path template of a lookup, for events.
    fn route(self) -> &'static str {
        match self {
            LookupKind::TokenInfo => routes::TOKENS_ME,
            LookupKind::UserPermissions => routes::USERS_ME,
            LookupKind::ClientRoles => routes::OAUTH_CLIENT,
            LookupKind::RolePermissions => routes::ROLE,
            LookupKind::UserGrants => routes::SUBJECTS_ME,
            LookupKind::Queues => routes::QUEUES,
        }
    }

    fn action(self) -> &'static str {
        match self {
            LookupKind::TokenInfo => "reading the token's own details",
            LookupKind::UserPermissions => "reading the user's permissions",
            LookupKind::ClientRoles => "reading the OAuth client's roles",
            LookupKind::RolePermissions => "reading a role's permissions",
            LookupKind::UserGrants => "reading the user's role grants per division",
            LookupKind::Queues => "listing queues (watch mode)",
        }
    }
}

/// One lookup: how many things it found (roles or permissions), or its error.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub kind: LookupKind,
    pub found: Result<usize, Error>,
}

/// The permissions the token holds and where (each `None` when its lookups
/// failed): a user's from `users/me` and `authorization/subjects/me`, a
/// client's from its role/division pairs and each role.
pub async fn access(
    t: &Transport,
    call: &mut Call<'_>,
    lookups: &mut Vec<Lookup>,
    token: &TokenInfo,
) -> Result<(Option<Vec<String>>, Option<Holdings>), Error> {
    Ok(match (token.grant_type(), &token.oauth_client) {
        (GrantType::User, _) => (
            user_permissions(t, call, lookups).await?,
            user_grants(t, call, lookups).await?,
        ),
        (GrantType::ClientCredentials, Some(c)) => client_permissions(t, call, lookups, c).await?,
        _ => (None, None),
    })
}

/// Where the token holds its permissions, for explaining a refused close:
/// the same lookups as a diagnosis, without the probes. `None` when they
/// failed (a refused close is explained without divisions then). Looked up
/// once per client: see `Session::holdings`.
pub(super) async fn holdings(t: &Transport, call: &mut Call<'_>) -> Option<Holdings> {
    let lookups = &mut Vec::new();
    let token = get::<TokenInfo>(t, call, LookupKind::TokenInfo, routes::TOKENS_ME.into())
        .await
        .ok()?
        .ok()?;
    // Only where the permissions are held: a user's flat list is not needed.
    match (token.grant_type(), &token.oauth_client) {
        (GrantType::User, _) => user_grants(t, call, lookups).await.ok()?,
        (GrantType::ClientCredentials, Some(c)) => {
            client_permissions(t, call, lookups, c).await.ok()?.1
        }
        _ => None,
    }
}

/// Records a lookup's outcome (`count` says how many things it found) and
/// hands back its value when it answered.
pub fn kept<T>(
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
pub fn fatal(e: &Error) -> bool {
    e.code == ErrorCode::Unauthorized || e.code == ErrorCode::Aborted
}

/// One lookup: the outer error is fatal, the inner one is evidence.
pub async fn get<T: DeserializeOwned>(
    t: &Transport,
    call: &mut Call<'_>,
    kind: LookupKind,
    path: String,
) -> Result<Result<T, Error>, Error> {
    let req = Request {
        method: Method::GET,
        path,
        route: kind.route(),
        body: None,
        action: kind.action(),
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
