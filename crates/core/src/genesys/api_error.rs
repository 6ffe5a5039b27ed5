//! Parsing Genesys error answers (`ErrorBody`, OAuth errors) and turning them
//! into our typed errors with a message that says what to do.

use crate::error::{Error, ErrorCode};
use crate::text::{bound_text, bound_token, MAX_TEXT};
use serde::Deserialize;

/// The fields of Genesys's `ErrorBody` that we use. Unknown fields are ignored,
/// and every field is optional: a proxy or a gateway may answer with anything.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub context_id: Option<String>,
    // OAuth token endpoint style.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

impl ErrorBody {
    /// Parses a body leniently: anything that is not a JSON object gives an empty body.
    pub fn parse(bytes: &[u8]) -> ErrorBody {
        // Invalid UTF-8 (a broken proxy) must not cost the Genesys code: read
        // what can be read.
        let body = match serde_json::from_slice::<ErrorBody>(bytes) {
            Ok(b) => b,
            Err(_) => serde_json::from_str(&String::from_utf8_lossy(bytes)).unwrap_or_default(),
        };
        body.bounded()
    }

    /// Every string we keep, bounded: a hostile answer cannot make each
    /// result carry megabytes of "message" or "code".
    fn bounded(self) -> ErrorBody {
        let text = |s: Option<String>| s.map(|s| bound_text(&s, MAX_TEXT));
        let token = |s: Option<String>| s.map(|s| bound_token(&s));
        ErrorBody {
            message: text(self.message),
            code: token(self.code),
            status: self.status,
            context_id: token(self.context_id),
            error: token(self.error),
            description: text(self.description),
            error_description: text(self.error_description),
        }
    }

    /// The most useful human text in the body.
    pub fn text(&self) -> Option<&str> {
        self.message
            .as_deref()
            .or(self.error_description.as_deref())
            .or(self.description.as_deref())
            .or(self.error.as_deref())
            .filter(|s| !s.is_empty())
    }

    /// True for the token endpoint's own rate limit, which it signals as a 400.
    pub fn is_token_rate_limit(&self) -> bool {
        [
            &self.message,
            &self.description,
            &self.error_description,
            &self.error,
        ]
        .iter()
        .filter_map(|s| s.as_deref())
        .any(|s| s.to_ascii_lowercase().contains("rate limit exceeded"))
    }

    /// True for a 403 about OAuth scopes rather than role permissions. The code
    /// is UNCONFIRMED, so the message shape is accepted as well.
    pub fn is_scope_error(&self) -> bool {
        self.code.as_deref() == Some("app.not.authorized.for.scope")
            || self.message.as_deref().is_some_and(|m| {
                m.to_ascii_lowercase()
                    .contains("not authorized to use scope")
            })
    }

    pub fn is_permission_error(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("missing.permissions") | Some("missing.any.permissions")
        ) || self
            .message
            .as_deref()
            .is_some_and(|m| m.contains("following permission"))
    }
}

/// Extracts the bracketed list from a Genesys message:
/// `"... permission(s): [a:b:c, d:e:f]"` -> `["a:b:c", "d:e:f"]`.
pub fn bracketed_list(message: &str) -> Vec<String> {
    let Some(start) = message.rfind('[') else {
        return Vec::new();
    };
    let Some(len) = message[start + 1..].find(']') else {
        return Vec::new();
    };
    message[start + 1..start + 1 + len]
        .split(',')
        .map(|s| s.trim().trim_matches('"').trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The `[N]` seconds of a 429 message (`Retry the request in [N] seconds`),
/// used when the `Retry-After` header is missing.
pub fn retry_seconds_from_message(message: &str) -> Option<u64> {
    if !message.to_ascii_lowercase().contains("retry") {
        return None;
    }
    bracketed_list(message).first()?.parse().ok()
}

/// Who is calling, so a 403 can say where to change what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A client-credentials client (its id is known when we fetched the token).
    OAuthClient(String),
    /// A static token: we do not know whose it is.
    StaticToken,
}

impl Principal {
    fn describe(&self) -> String {
        match self {
            Principal::OAuthClient(id) => format!("OAuth client {id}"),
            Principal::StaticToken => {
                "the OAuth client (client credentials) or user behind this token".to_string()
            }
        }
    }
}

/// What a request was for, to word the error ("ending conversation X").
pub struct Context<'a> {
    pub action: &'a str,
    pub principal: &'a Principal,
}

/// Maps a non-success Genesys answer to a typed error.
pub fn from_response(
    status: u16,
    body: &[u8],
    correlation_id: Option<String>,
    ctx: &Context<'_>,
) -> Error {
    let parsed = ErrorBody::parse(body);
    let genesys_text = parsed.text().map(str::to_string);
    let said = genesys_text
        .as_deref()
        .map(|t| format!(" Genesys said: {t}"))
        .unwrap_or_default();
    let action = ctx.action;
    let mut err = match status {
        401 => unauthorized(ctx, &said),
        403 => forbidden(&parsed, genesys_text.as_deref(), ctx, &said),
        404 => Error::new(ErrorCode::NotFound, format!("Not found while {action} (404).{said}")),
        409 => Error::new(
            ErrorCode::Conflict,
            format!("Genesys refused {action} because of the conversation's state (409).{said}"),
        ),
        429 => Error::new(
            ErrorCode::RateLimited,
            format!(
                "Rate limited while {action} (429) and the retries ran out. Lower the concurrency or ask Genesys support to raise the token's limit.{said}"
            ),
        ),
        400 if parsed.is_token_rate_limit() => Error::new(
            ErrorCode::RateLimited,
            format!("The token endpoint's rate limit was exceeded while {action}.{said}"),
        ),
        400..=499 => Error::new(
            ErrorCode::InvalidArgument,
            format!("Genesys rejected the request for {action} ({status}).{said}"),
        ),
        _ => Error::new(
            ErrorCode::Upstream,
            format!(
                "Genesys answered {status} while {action}; retries, if allowed, did not help.{said}"
            ),
        ),
    };
    err.status = Some(status);
    err.genesys_code = parsed.code.or(parsed.error);
    err.correlation_id = correlation_id.or(parsed.context_id);
    err
}

fn unauthorized(ctx: &Context<'_>, said: &str) -> Error {
    let action = ctx.action;
    Error::new(
        ErrorCode::Unauthorized,
        match ctx.principal {
            Principal::StaticToken => format!(
                "Genesys rejected the access token while {action} (401): it expired, was revoked, or belongs to another region. Get a new token, or pass clientId/clientSecret so it is refreshed automatically.{said}"
            ),
            Principal::OAuthClient(id) => format!(
                "Genesys rejected the token of OAuth client {id} while {action} (401), even after fetching a new one. Check the client still exists and is in this region.{said}"
            ),
        },
    )
}

/// A 403: a scope, a role permission, or something else.
fn forbidden(parsed: &ErrorBody, text: Option<&str>, ctx: &Context<'_>, said: &str) -> Error {
    let action = ctx.action;
    let who = ctx.principal.describe();
    if parsed.is_scope_error() {
        let scopes = text.map(bracketed_list).unwrap_or_default();
        let mut e = Error::new(
            ErrorCode::MissingScope,
            format!(
                "The token lacks an OAuth scope needed for {action} (403): it needs one of [{}]. Add the scope to {who}'s allowed scopes in Admin > Integrations > OAuth, and request it when the user signs in.{said}",
                scopes.join(", ")
            ),
        );
        e.missing_scopes = scopes;
        return e;
    }
    if parsed.is_permission_error() {
        let perms = text.map(bracketed_list).unwrap_or_default();
        let any = parsed.code.as_deref() == Some("missing.any.permissions")
            || perms.len() > 1 && text.is_some_and(|t| t.contains("at least one"));
        let which = if any {
            format!("one of [{}]", perms.join(", "))
        } else {
            format!("[{}]", perms.join(", "))
        };
        let mut e = Error::new(
            ErrorCode::MissingPermission,
            format!(
                "Missing permission for {action} (403): grant a role holding {which} to {who} (Admin > Roles / Permissions). OAuth scopes do not help here: this is a role permission.{said}"
            ),
        );
        e.missing_permissions = perms;
        return e;
    }
    Error::new(
        ErrorCode::Forbidden,
        format!(
            "Genesys refused {action} (403) for {who}. Run checkScopes() for a diagnosis.{said}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::MAX_TOKEN;

    #[test]
    fn hostile_bodies_are_read_and_bounded() {
        // Invalid UTF-8 around a readable body keeps the code.
        let mut bytes = br#"{"code":"missing.any.permissions","message":"You must have at least one of the following permissions assigned: [a:b:c] "#.to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(br#""}"#);
        let b = ErrorBody::parse(&bytes);
        assert_eq!(b.code.as_deref(), Some("missing.any.permissions"));
        // Huge strings are cut; identifiers keep only identifier characters.
        let huge = format!(
            r#"{{"message":"{}","code":"{}","contextId":"abc-123\u0000<script>"}}"#,
            "m".repeat(1_000_000),
            "c".repeat(500)
        );
        let b = ErrorBody::parse(huge.as_bytes());
        assert!(b.message.as_ref().unwrap().len() <= MAX_TEXT + 3);
        assert_eq!(b.code.as_ref().unwrap().len(), MAX_TOKEN);
        assert_eq!(b.context_id.as_deref(), Some("abc-123"));
    }

    fn ctx() -> Context<'static> {
        static P: std::sync::OnceLock<Principal> = std::sync::OnceLock::new();
        Context {
            action: "ending conversation x",
            principal: P.get_or_init(|| Principal::OAuthClient("cleanup-client".into())),
        }
    }

    #[test]
    fn missing_any_permissions_is_parsed() {
        let body = br#"{"message":"Unable to perform the requested action. You must have at least one of the following permissions assigned: [conversation:communication:disconnect, conversation:message:park]","code":"missing.any.permissions","status":403,"contextId":"c-1"}"#;
        let e = from_response(403, body, None, &ctx());
        assert_eq!(e.code, ErrorCode::MissingPermission);
        assert_eq!(
            e.missing_permissions,
            vec![
                "conversation:communication:disconnect",
                "conversation:message:park"
            ]
        );
        assert_eq!(e.genesys_code.as_deref(), Some("missing.any.permissions"));
        assert_eq!(e.correlation_id.as_deref(), Some("c-1"));
        assert!(e.message.contains("OAuth client cleanup-client"));
        assert!(e
            .message
            .contains("one of [conversation:communication:disconnect"));
    }

    #[test]
    fn missing_permissions_is_parsed() {
        let body = br#"{"message":"Unable to perform the requested action. You are missing the following permission(s): [conversation:communication:disconnect]","code":"missing.permissions","status":403}"#;
        let e = from_response(403, body, Some("hdr".into()), &ctx());
        assert_eq!(
            e.missing_permissions,
            vec!["conversation:communication:disconnect"]
        );
        assert_eq!(e.correlation_id.as_deref(), Some("hdr"));
    }

    #[test]
    fn scope_error_by_code_or_by_message() {
        let by_code = br#"{"message":"App not authorized to use scope [conversations:readonly, conversations]","code":"app.not.authorized.for.scope","status":403}"#;
        let by_msg = br#"{"message":"App not authorized to use scope [conversations]","code":"not.authorized","status":403}"#;
        let e = from_response(403, by_code, None, &ctx());
        assert_eq!(e.code, ErrorCode::MissingScope);
        assert_eq!(
            e.missing_scopes,
            vec!["conversations:readonly", "conversations"]
        );
        assert_eq!(
            from_response(403, by_msg, None, &ctx()).code,
            ErrorCode::MissingScope
        );
    }

    #[test]
    fn other_statuses() {
        let plain = br#"{"message":"You are not authorized to perform the requested action.","code":"not.authorized","status":403}"#;
        assert_eq!(
            from_response(403, plain, None, &ctx()).code,
            ErrorCode::Forbidden
        );
        assert_eq!(
            from_response(401, b"", None, &ctx()).code,
            ErrorCode::Unauthorized
        );
        assert_eq!(
            from_response(404, b"{}", None, &ctx()).code,
            ErrorCode::NotFound
        );
        assert_eq!(
            from_response(409, b"x", None, &ctx()).code,
            ErrorCode::Conflict
        );
        assert_eq!(
            from_response(429, b"", None, &ctx()).code,
            ErrorCode::RateLimited
        );
        assert_eq!(
            from_response(503, b"<html>", None, &ctx()).code,
            ErrorCode::Upstream
        );
        let token_rl = br#"{"error":"invalid_request","description":"rate limit exceeded"}"#;
        assert_eq!(
            from_response(400, token_rl, None, &ctx()).code,
            ErrorCode::RateLimited
        );
    }

    #[test]
    fn retry_seconds() {
        assert_eq!(
            retry_seconds_from_message(
                "Rate limit exceeded the maximum. Retry the request in [7] seconds"
            ),
            Some(7)
        );
        assert_eq!(retry_seconds_from_message("nothing"), None);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(0u8.., 0..300), status in 100u16..600) {
            let _ = from_response(status, &bytes, None, &ctx());
        }

        #[test]
        fn bracketed_list_roundtrips(items in proptest::collection::vec("[a-z]{1,8}:[a-z]{1,8}:[a-z]{1,8}", 1..5)) {
            let msg = format!("You must have at least one of the following permissions assigned: [{}]", items.join(", "));
            proptest::prop_assert_eq!(bracketed_list(&msg), items);
        }
    }
}
