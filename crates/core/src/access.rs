//! `checkScopes`: can this token end web messaging conversations, and if not,
//! exactly why. The verdict rests on what the API itself answers to
//! side-effect-free probes (a nil-UUID conversation: 404 means the permission
//! gate was passed, 403 names what is missing); token introspection and role
//! permissions explain the answer.

use crate::api_error::bracketed_list;
use crate::error::{Error, ErrorCode};
use crate::model::{permission_covers, OAuthClientDetails, Role, TokenInfo, UserMe};
use crate::transport::{Call, Parsed, Request, Transport};
use bytes::Bytes;
use reqwest::Method;
use tokio_util::sync::CancellationToken;

pub const NIL_UUID: &str = "00000000-0000-0000-0000-000000000000";
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
/// UNCONFIRMED in the API notes; the probes decide what is really enforced.
pub const REQUIRED_SCOPES: [&str; 1] = ["conversations"];
pub const INVENTED_SCOPE: &str = "conversation:webmessaging:write";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    ClientCredentials,
    User,
    Unknown,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::User => "user",
            GrantType::Unknown => "unknown",
        }
    }

    fn from_genesys(g: Option<&str>) -> Self {
        match g.map(|s| s.to_ascii_uppercase()) {
            Some(g) if g == "CLIENT-CREDENTIALS" || g == "CLIENT_CREDENTIALS" => {
                GrantType::ClientCredentials
            }
            Some(g)
                if [
                    "CODE",
                    "TOKEN",
                    "SAML2-BEARER",
                    "PASSWORD",
                    "IMPLICIT",
                    "PKCE",
                ]
                .contains(&g.as_str()) =>
            {
                GrantType::User
            }
            _ => GrantType::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessCheck {
    pub name: String,
    pub ok: bool,
    pub status: Option<u16>,
    pub genesys_code: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct Entity {
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ScopeReport {
    pub can_close: bool,
    pub grant_type: GrantType,
    pub organization: Option<Entity>,
    pub oauth_client: Option<Entity>,
    pub scopes: Vec<String>,
    pub scopes_apply: bool,
    pub required_scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub required_permissions: Vec<String>,
    pub granted_permissions: Option<Vec<String>>,
    pub missing_permissions: Vec<String>,
    pub checks: Vec<AccessCheck>,
    pub advice: Vec<String>,
    pub requests: u32,
}

/// The answer to one probe.
#[derive(Debug, Clone, PartialEq)]
enum Probe {
    /// 404 on the nil UUID: every gate passed.
    Passed,
    Refused {
        status: u16,
        code: Option<String>,
        permissions: Vec<String>,
        scopes: Vec<String>,
        scope: bool,
    },
    /// Network trouble or an unexpected answer: says nothing about access.
    Inconclusive(String),
}

pub async fn check_scopes(t: &Transport, cancel: &CancellationToken) -> Result<ScopeReport, Error> {
    let mut call = t.call(cancel);
    let mut checks = Vec::new();

    let info = match get_json::<TokenInfo>(
        t,
        &mut call,
        "/api/v2/tokens/me".into(),
        "/api/v2/tokens/me",
        "reading the token's own details",
    )
    .await
    {
        Ok(info) => {
            checks.push(AccessCheck {
                name: "tokenInfo".into(),
                ok: true,
                status: Some(200),
                genesys_code: None,
                detail: "GET /api/v2/tokens/me answered.".into(),
            });
            Some(info)
        }
        Err(e) if e.code == ErrorCode::Unauthorized || e.code == ErrorCode::Aborted => {
            return Err(e)
        }
        Err(e) => {
            checks.push(check_from_error(
                "tokenInfo",
                &e,
                "GET /api/v2/tokens/me failed",
            ));
            None
        }
    };
    let info = info.unwrap_or_default();
    let client = info.oauth_client.clone();
    let grant_type = GrantType::from_genesys(
        client
            .as_ref()
            .and_then(|c| c.authorized_grant_type.as_deref()),
    );
    let scopes = info.authorized_scope.clone();
    let scopes_apply = grant_type != GrantType::ClientCredentials;

    let granted = match grant_type {
        GrantType::User => user_permissions(t, &mut call, &mut checks).await?,
        GrantType::ClientCredentials => {
            client_permissions(t, &mut call, &mut checks, &info).await?
        }
        GrantType::Unknown => None,
    };

    let read = probe(
        t,
        &mut call,
        Method::GET,
        format!("/api/v2/conversations/messages/{NIL_UUID}"),
        None,
    )
    .await?;
    checks.push(probe_check(
        "readConversation",
        "GET /api/v2/conversations/messages/{id}",
        &read,
    ));
    let end = probe(
        t,
        &mut call,
        Method::PATCH,
        format!("/api/v2/conversations/messages/{NIL_UUID}"),
        Some(crate::close::DISCONNECT_BODY),
    )
    .await?;
    checks.push(probe_check(
        "endConversation",
        "PATCH /api/v2/conversations/messages/{id} {\"state\":\"disconnected\"}",
        &end,
    ));
    let participant = if end == Probe::Passed {
        None
    } else {
        let p = probe(
            t,
            &mut call,
            Method::PATCH,
            format!("/api/v2/conversations/messages/{NIL_UUID}/participants/{NIL_UUID}"),
            Some(crate::close::DISCONNECT_BODY),
        )
        .await?;
        checks.push(probe_check(
            "endParticipant",
            "PATCH /api/v2/conversations/messages/{id}/participants/{participantId} (fallback)",
            &p,
        ));
        Some(p)
    };

    let covers = |wanted: &[&str]| {
        granted.as_ref().map(|g| {
            wanted
                .iter()
                .any(|w| g.iter().any(|p| permission_covers(p, w)))
        })
    };
    let end_ok = match (&end, &participant) {
        (Probe::Passed, _) | (_, Some(Probe::Passed)) => Some(true),
        (Probe::Refused { .. }, Some(Probe::Refused { .. })) => Some(false),
        _ => covers(&REQUIRED_PERMISSIONS)
            .map(|a| a || covers(&PARTICIPANT_PERMISSIONS) == Some(true)),
    };
    let read_ok = match &read {
        Probe::Passed => Some(true),
        Probe::Refused { .. } => Some(false),
        Probe::Inconclusive(_) => None,
    };
    let can_close = end_ok == Some(true) && read_ok != Some(false);

    // A scope refusal hides the permission check (Genesys checks scopes
    // first), so then only the granted permissions can say one is missing.
    let end_scope_refused = matches!(end, Probe::Refused { scope: true, .. });
    let granted_covers = covers(&REQUIRED_PERMISSIONS);
    let mut missing_permissions = Vec::new();
    if end_ok != Some(true)
        && (granted_covers == Some(false) || (granted_covers.is_none() && !end_scope_refused))
    {
        missing_permissions = match &end {
            Probe::Refused {
                permissions,
                scope: false,
                ..
            } if !permissions.is_empty() => permissions.clone(),
            _ => REQUIRED_PERMISSIONS.iter().map(|s| s.to_string()).collect(),
        };
    }
    let scope_refused = [&read, &end]
        .iter()
        .any(|p| matches!(p, Probe::Refused { scope: true, .. }));
    let mut missing_scopes: Vec<String> = Vec::new();
    if scopes_apply && (scope_refused || !scopes.is_empty()) {
        for s in REQUIRED_SCOPES {
            if !scopes.iter().any(|have| have == s || have == "*") {
                missing_scopes.push(s.to_string());
            }
        }
    }

    let who = match (&client, grant_type) {
        (Some(c), GrantType::ClientCredentials) => {
            format!("OAuth client {}", label(&c.id, c.name.as_deref()))
        }
        (_, GrantType::User) => "the user who signed in".to_string(),
        _ => "the owner of this token".to_string(),
    };
    let mut advice = Vec::new();
    if can_close {
        advice.push("This token can end web messaging conversations: the API let PATCH /api/v2/conversations/messages/{id} {\"state\":\"disconnected\"} past its permission checks.".to_string());
        if end != Probe::Passed {
            advice.push("Only the per-participant fallback is allowed (one request per participant): a role with conversation:communication:disconnect makes each close a single call.".to_string());
        }
    } else {
        if !missing_permissions.is_empty() {
            let where_ = if grant_type == GrantType::ClientCredentials {
                " (Admin > Roles / Permissions, then Admin > Integrations > OAuth > the client > Roles). Scopes do not apply to client-credentials clients: changing scopes will not fix this."
            } else {
                " (Admin > People > the user > Roles)."
            };
            advice.push(format!(
                "Grant {who} a role holding {}{where_}",
                any_of(&missing_permissions)
            ));
        }
        if !missing_scopes.is_empty() || scope_refused {
            let client_name = client
                .as_ref()
                .map(|c| label(&c.id, c.name.as_deref()))
                .unwrap_or_else(|| "the OAuth client".into());
            advice.push(format!(
                "Add the scope {} to {client_name}'s allowed scopes (Admin > Integrations > OAuth > Scope) and have the user sign in again; conversations:readonly is not enough to end conversations.",
                if missing_scopes.is_empty() { REQUIRED_SCOPES.join(", ") } else { missing_scopes.join(", ") }
            ));
        }
        if read_ok == Some(false) && end_ok == Some(true) {
            advice.push("The token may end conversations but not read them; closeConversation reads first to end only web messaging conversations, so add read access (scope conversations or conversations:readonly).".to_string());
        }
        if end_ok.is_none() {
            advice.push(
                "The probes were inconclusive (see checks): retry when Genesys is reachable."
                    .to_string(),
            );
        }
        advice.push(format!(
            "There is no scope or permission named {INVENTED_SCOPE} and no endpoint DELETE /api/v2/conversations/webmessaging/{{id}}: both come from an answer that circulates online. What is really needed is the role permission conversation:communication:disconnect (or conversation:message:park){}.",
            if scopes_apply { " and, where the organisation enforces scopes, the OAuth scope conversations" } else { "" }
        ));
    }
    if can_close && !missing_scopes.is_empty() {
        advice.push(format!(
            "The token lacks the scope {} but the API accepted it anyway (this organisation does not seem to enforce scopes); add it so the client keeps working if enforcement is turned on.",
            missing_scopes.join(", ")
        ));
    }
    if granted.is_none() && grant_type == GrantType::ClientCredentials {
        advice.push("The client's role permissions could not be listed (that needs oauth:client:view and authorization:role:view); the verdict rests on the API's own answers to the probes.".to_string());
    }

    Ok(ScopeReport {
        can_close,
        grant_type,
        organization: info.organization.map(|o| Entity {
            id: o.id,
            name: o.name,
        }),
        oauth_client: client.map(|c| Entity {
            id: c.id,
            name: c.name,
        }),
        scopes,
        scopes_apply,
        required_scopes: REQUIRED_SCOPES.iter().map(|s| s.to_string()).collect(),
        missing_scopes,
        required_permissions: REQUIRED_PERMISSIONS.iter().map(|s| s.to_string()).collect(),
        granted_permissions: granted,
        missing_permissions,
        checks,
        advice,
        requests: call.stats.requests,
    })
}

fn label(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

fn any_of(perms: &[String]) -> String {
    if perms.len() == 1 {
        perms[0].clone()
    } else {
        format!("one of {}", perms.join(", "))
    }
}

async fn user_permissions(
    t: &Transport,
    call: &mut Call<'_>,
    checks: &mut Vec<AccessCheck>,
) -> Result<Option<Vec<String>>, Error> {
    match get_json::<UserMe>(
        t,
        call,
        "/api/v2/users/me?expand=authorization".into(),
        "/api/v2/users/me",
        "reading the user's permissions",
    )
    .await
    {
        Ok(me) => {
            let perms = me.authorization.map(|a| a.permissions).unwrap_or_default();
            checks.push(AccessCheck {
                name: "userPermissions".into(),
                ok: true,
                status: Some(200),
                genesys_code: None,
                detail: format!("The user has {} permission(s) from roles.", perms.len()),
            });
            Ok(Some(perms))
        }
        Err(e) if e.code == ErrorCode::Aborted => Err(e),
        Err(e) => {
            checks.push(check_from_error(
                "userPermissions",
                &e,
                "GET /api/v2/users/me?expand=authorization failed",
            ));
            Ok(None)
        }
    }
}

async fn client_permissions(
    t: &Transport,
    call: &mut Call<'_>,
    checks: &mut Vec<AccessCheck>,
    info: &TokenInfo,
) -> Result<Option<Vec<String>>, Error> {
    let Some(client) = &info.oauth_client else {
        return Ok(None);
    };
    // Whether tokens/me lists roleDivisions is UNCONFIRMED: use it when present,
    // else ask for the client's details.
    let role_ids: Vec<String> = match &client.role_divisions {
        Some(rd) if !rd.is_empty() => rd.iter().map(|r| r.role_id.clone()).collect(),
        _ => {
            if !is_safe_segment(&client.id) {
                return Ok(None);
            }
            match get_json::<OAuthClientDetails>(
                t,
                call,
                format!("/api/v2/oauth/clients/{}", client.id),
                "/api/v2/oauth/clients/{clientId}",
                "reading the OAuth client's roles",
            )
            .await
            {
                Ok(d) => {
                    checks.push(AccessCheck {
                        name: "clientRoles".into(),
                        ok: true,
                        status: Some(200),
                        genesys_code: None,
                        detail: format!("The OAuth client has {} role(s).", d.role_divisions.len()),
                    });
                    d.role_divisions.into_iter().map(|r| r.role_id).collect()
                }
                Err(e) if e.code == ErrorCode::Aborted => return Err(e),
                Err(e) => {
                    checks.push(check_from_error(
                        "clientRoles",
                        &e,
                        "GET /api/v2/oauth/clients/{id} failed",
                    ));
                    return Ok(None);
                }
            }
        }
    };
    let mut perms = Vec::new();
    let mut seen = Vec::new();
    for role_id in role_ids {
        if seen.contains(&role_id) || !is_safe_segment(&role_id) {
            continue;
        }
        seen.push(role_id.clone());
        match get_json::<Role>(
            t,
            call,
            format!("/api/v2/authorization/roles/{role_id}"),
            "/api/v2/authorization/roles/{roleId}",
            "reading a role's permissions",
        )
        .await
        {
            Ok(role) => perms.extend(role.all_permissions()),
            Err(e) if e.code == ErrorCode::Aborted => return Err(e),
            Err(e) => {
                checks.push(check_from_error(
                    "rolePermissions",
                    &e,
                    "GET /api/v2/authorization/roles/{id} failed",
                ));
                return Ok(None);
            }
        }
    }
    perms.sort();
    perms.dedup();
    checks.push(AccessCheck {
        name: "rolePermissions".into(),
        ok: true,
        status: Some(200),
        genesys_code: None,
        detail: format!("The client's roles grant {} permission(s).", perms.len()),
    });
    Ok(Some(perms))
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

async fn get_json<T: serde::de::DeserializeOwned>(
    t: &Transport,
    call: &mut Call<'_>,
    path: String,
    route: &'static str,
    action: &str,
) -> Result<T, Error> {
    let req = Request {
        method: Method::GET,
        path,
        route,
        body: None,
        action,
    };
    t.send(&req, call, |status, body| match status {
        200 => match serde_json::from_slice::<T>(body) {
            Ok(v) => Parsed::Accept(v),
            Err(_) => Parsed::Unreadable,
        },
        _ => Parsed::Reject,
    })
    .await
    .map(|r| r.value)
}

async fn probe(
    t: &Transport,
    call: &mut Call<'_>,
    method: Method,
    path: String,
    body: Option<&'static [u8]>,
) -> Result<Probe, Error> {
    let req = Request {
        method,
        path,
        route: "probe",
        body: body.map(Bytes::from_static),
        action: "probing access with the nil conversation id",
    };
    match t
        .send(&req, call, |status, _| {
            if status == 404 || (200..300).contains(&status) {
                Parsed::Accept(())
            } else {
                Parsed::Reject
            }
        })
        .await
    {
        Ok(_) => Ok(Probe::Passed),
        Err(e) if e.code == ErrorCode::Aborted || e.code == ErrorCode::Unauthorized => Err(e),
        Err(e) if e.status == Some(403) => Ok(Probe::Refused {
            status: 403,
            code: e.genesys_code.clone(),
            permissions: e.missing_permissions.clone(),
            scopes: e.missing_scopes.clone(),
            scope: e.code == ErrorCode::MissingScope,
        }),
        Err(e) => Ok(Probe::Inconclusive(format!("{}: {}", e.code, e.message))),
    }
}

fn probe_check(name: &str, what: &str, p: &Probe) -> AccessCheck {
    match p {
        Probe::Passed => AccessCheck {
            name: name.into(),
            ok: true,
            status: Some(404),
            genesys_code: Some("not.found".into()),
            detail: format!("{what} with the nil id answered 404 not.found: access is granted."),
        },
        Probe::Refused {
            status,
            code,
            permissions,
            scopes,
            scope,
        } => AccessCheck {
            name: name.into(),
            ok: false,
            status: Some(*status),
            genesys_code: code.clone(),
            detail: if *scope {
                format!(
                    "{what} was refused for a missing OAuth scope (needs one of [{}]).",
                    scopes.join(", ")
                )
            } else if !permissions.is_empty() {
                format!(
                    "{what} was refused: missing permission, {}.",
                    any_of(permissions)
                )
            } else {
                format!("{what} was refused (403).")
            },
        },
        Probe::Inconclusive(why) => AccessCheck {
            name: name.into(),
            ok: false,
            status: None,
            genesys_code: None,
            detail: format!("{what}: inconclusive ({why})."),
        },
    }
}

fn check_from_error(name: &str, e: &Error, what: &str) -> AccessCheck {
    let perms = if e.missing_permissions.is_empty() {
        bracketed_list(&e.message)
    } else {
        e.missing_permissions.clone()
    };
    AccessCheck {
        name: name.into(),
        ok: false,
        status: e.status,
        genesys_code: e.genesys_code.clone(),
        detail: if e.code == ErrorCode::MissingPermission && !perms.is_empty() {
            format!("{what}: missing {}.", any_of(&perms))
        } else {
            format!("{what}: {}", e.message)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_types() {
        assert_eq!(
            GrantType::from_genesys(Some("CLIENT-CREDENTIALS")),
            GrantType::ClientCredentials
        );
        assert_eq!(GrantType::from_genesys(Some("CODE")), GrantType::User);
        assert_eq!(
            GrantType::from_genesys(Some("SAML2-BEARER")),
            GrantType::User
        );
        assert_eq!(GrantType::from_genesys(None), GrantType::Unknown);
    }

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
