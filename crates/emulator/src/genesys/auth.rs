//! Who is calling and what they may do: bearer tokens, Basic client
//! credentials, permissions (with `*` wildcards) and scopes.

use crate::genesys::errors::{ApiError, DivisionDenied};
use crate::model::{Grant, Store, ALL_DIVISIONS};
use base64::Engine;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    ClientCredentials,
    User,
}

impl TokenKind {
    /// As shown in the request log's `tokenKind`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::ClientCredentials => "clientCredentials",
            TokenKind::User => "user",
        }
    }
}

/// A resolved bearer token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub token: String,
    pub kind: TokenKind,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scopes: Vec<String>,
    /// Every permission held, in any division (what the permission gate checks).
    pub permissions: Vec<String>,
    /// `(permission, division id)` pairs: where each permission is held
    /// (`*`: every division).
    pub held: Vec<(String, String)>,
}

/// Request extension for `/api/v2` handlers: the caller plus the config bits
/// the scope check needs, copied so handlers check without the lock.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub caller: Caller,
    pub enforce_scopes: bool,
    pub scope_error_code: String,
    pub division_denied: DivisionDenied,
}

impl Ctx {
    /// Scope (user tokens only, when enforced) then permission, each "any of";
    /// an empty list means no requirement.
    pub fn require(&self, scopes: &[&str], permissions: &[&str]) -> Result<(), ApiError> {
        let c = &self.caller;
        if self.enforce_scopes
            && c.kind == TokenKind::User
            && !scopes.is_empty()
            && !scopes.iter().any(|s| c.scopes.iter().any(|have| have == s))
        {
            return Err(ApiError::scope(&self.scope_error_code, scopes));
        }
        if !permissions.is_empty() && !has_any_permission(&c.permissions, permissions) {
            return Err(ApiError::missing_permissions(permissions));
        }
        Ok(())
    }

    /// The division check on an existing conversation, after [`Ctx::require`]
    /// passed (the permission is held somewhere): one of `permissions` must be
    /// held in one of the conversation's divisions, or in all divisions.
    /// UNCONFIRMED: whether one shared division suffices (assumed here) and
    /// which body Genesys sends (config `divisionDeniedBody`).
    pub fn require_in(&self, permissions: &[&str], divisions: &[String]) -> Result<(), ApiError> {
        let allowed = self.caller.held.iter().any(|(p, d)| {
            (d == ALL_DIVISIONS || divisions.contains(d))
                && permissions.iter().any(|r| permission_matches(p, r))
        });
        if allowed {
            Ok(())
        } else {
            Err(ApiError::division_denied(self.division_denied, permissions))
        }
    }
}

/// The scheme of an Authorization header, for the log (never the credential).
pub fn scheme(header: Option<&str>) -> Option<&'static str> {
    let (scheme, _) = header?.trim_start().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        Some("Bearer")
    } else if scheme.eq_ignore_ascii_case("basic") {
        Some("Basic")
    } else {
        None
    }
}

pub fn bearer_token(header: Option<&str>) -> Result<&str, ApiError> {
    let (scheme, token) = header
        .and_then(|h| h.trim().split_once(' '))
        .ok_or_else(ApiError::auth_required)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::auth_required());
    }
    Ok(token)
}

/// Unknown or revoked: `bad.credentials`; past `expires_at`: `credentials.expired`.
pub fn resolve(store: &Store, token: &str, now: i64) -> Result<Caller, ApiError> {
    let t = store
        .tokens
        .get(token)
        .ok_or_else(ApiError::bad_credentials)?;
    if t.expires_at.is_some_and(|e| now >= e) {
        return Err(ApiError::credentials_expired());
    }
    let (kind, grants): (_, &[Grant]) = match &t.user_id {
        Some(uid) => {
            let user = store.users.get(uid).ok_or_else(ApiError::bad_credentials)?;
            (TokenKind::User, &user.grants)
        }
        None => {
            let client = store
                .clients
                .get(&t.client_id)
                .ok_or_else(ApiError::bad_credentials)?;
            (TokenKind::ClientCredentials, &client.grants)
        }
    };
    let held = store.permission_grants(grants);
    let mut permissions: Vec<String> = Vec::new();
    for (p, _) in &held {
        if !permissions.contains(p) {
            permissions.push(p.clone());
        }
    }
    Ok(Caller {
        token: token.to_owned(),
        kind,
        client_id: t.client_id.clone(),
        user_id: t.user_id.clone(),
        scopes: t.scopes.clone(),
        permissions,
        held,
    })
}

/// `domain:entity:action`; a granted `*` part matches any value of that part.
pub fn permission_matches(granted: &str, required: &str) -> bool {
    let mut g = granted.split(':');
    let mut r = required.split(':');
    loop {
        match (g.next(), r.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || a == b => {}
            _ => return false,
        }
    }
}

pub fn has_any_permission(granted: &[String], required: &[&str]) -> bool {
    required
        .iter()
        .any(|r| granted.iter().any(|g| permission_matches(g, r)))
}

/// `Authorization: Basic base64(id:secret)`.
pub fn basic_credentials(header: Option<&str>) -> Option<(String, String)> {
    let (scheme, b64) = header?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::base_store;

    #[test]
    fn wildcards() {
        assert!(permission_matches(
            "conversation:*:*",
            "conversation:communication:disconnect"
        ));
        assert!(permission_matches(
            "*:*:*",
            "analytics:conversationDetail:view"
        ));
        assert!(permission_matches(
            "conversation:communication:*",
            "conversation:communication:view"
        ));
        assert!(!permission_matches(
            "conversation:*",
            "conversation:communication:view"
        ));
        assert!(!permission_matches(
            "conversation:message:*",
            "conversation:communication:view"
        ));
        assert!(!permission_matches(
            "analytics:*:*",
            "conversation:communication:view"
        ));
    }

    fn ctx(token: &str, enforce: bool) -> Ctx {
        Ctx {
            caller: resolve(&base_store(), token, 0).unwrap(),
            enforce_scopes: enforce,
            scope_error_code: "app.not.authorized.for.scope".into(),
            division_denied: DivisionDenied::NotAuthorized,
        }
    }

    #[test]
    fn scope_then_permission() {
        let patch_perms = [
            "conversation:communication:disconnect",
            "conversation:message:park",
        ];
        // Scope fails before permission.
        let e = ctx("user-noscope-token", true)
            .require(&["conversations"], &patch_perms)
            .unwrap_err();
        assert_eq!(e.code, "app.not.authorized.for.scope");
        assert_eq!(e.message, "App not authorized to use scope [conversations]");
        // Not enforced: the permission check passes for Agent Smith.
        assert!(ctx("user-noscope-token", false)
            .require(&["conversations"], &patch_perms)
            .is_ok());
        // Scope ok, permission missing.
        let e = ctx("user-readonly-token", true)
            .require(&["conversations"], &patch_perms)
            .unwrap_err();
        assert_eq!(e.code, "missing.any.permissions");
        // Client credentials: scopes never apply.
        assert!(ctx("cc-cleanup-token", true)
            .require(&["conversations"], &patch_perms)
            .is_ok());
        let e = ctx("cc-readonly-token", true)
            .require(&["conversations"], &patch_perms[..1])
            .unwrap_err();
        assert_eq!(e.code, "missing.permissions");
    }

    #[test]
    fn division_checks_honour_the_grant_division() {
        use crate::ground::ids::HOME_DIVISION_ID;
        let sales = "d-sales".to_string();
        let held_in = |ctx: &mut Ctx, division: &str| {
            ctx.caller.held = vec![(
                "conversation:communication:disconnect".into(),
                division.into(),
            )];
        };
        let perms = ["conversation:communication:disconnect"];
        let mut c = ctx("cc-cleanup-token", true);
        assert!(c.require_in(&perms, &[HOME_DIVISION_ID.into()]).is_ok());
        let e = c
            .require_in(&perms, std::slice::from_ref(&sales))
            .unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "not.authorized"));
        // One shared division is enough.
        assert!(c
            .require_in(&perms, &[sales.clone(), HOME_DIVISION_ID.into()])
            .is_ok());
        held_in(&mut c, ALL_DIVISIONS);
        assert!(c.require_in(&perms, std::slice::from_ref(&sales)).is_ok());
        held_in(&mut c, HOME_DIVISION_ID);
        for (body, code) in [
            (DivisionDenied::MissingPermissions, "missing.permissions"),
            (
                DivisionDenied::MissingAnyPermissions,
                "missing.any.permissions",
            ),
            (DivisionDenied::Empty, ""),
        ] {
            c.division_denied = body;
            let e = c
                .require_in(&perms, std::slice::from_ref(&sales))
                .unwrap_err();
            assert_eq!(e.code, code);
            assert_eq!(e.empty_body, body == DivisionDenied::Empty);
        }
    }

    #[test]
    fn token_resolution() {
        let mut s = base_store();
        assert_eq!(resolve(&s, "nope", 0).unwrap_err().code, "bad.credentials");
        s.tokens.get_mut("cc-cleanup-token").unwrap().expires_at = Some(10);
        assert_eq!(
            resolve(&s, "cc-cleanup-token", 10).unwrap_err().code,
            "credentials.expired"
        );
        assert!(resolve(&s, "cc-cleanup-token", 9).is_ok());
        assert_eq!(
            bearer_token(None).unwrap_err().code,
            "authentication.required"
        );
        assert_eq!(
            bearer_token(Some("Basic abc")).unwrap_err().code,
            "authentication.required"
        );
        assert_eq!(bearer_token(Some("bearer  tok ")).unwrap(), "tok");
        assert_eq!(
            basic_credentials(Some("Basic Y2xlYW51cC1jbGllbnQ6Y2xlYW51cC1zZWNyZXQ=")),
            Some(("cleanup-client".into(), "cleanup-secret".into()))
        );
    }
}
