//! Genesys `ErrorBody` answers.
//!
//! Handlers return an [`ApiError`] without knowing the request's correlation
//! id; the gate middleware renders the body with `contextId` equal to the
//! `ININ-Correlation-Id` header it adds, so the two always agree.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The 403 answered when a permission is held, but in none of the
/// conversation's divisions. UNCONFIRMED: which body Genesys sends then, so
/// each candidate can be chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DivisionDenied {
    #[serde(rename = "missing.permissions")]
    MissingPermissions,
    #[serde(rename = "missing.any.permissions")]
    MissingAnyPermissions,
    #[serde(rename = "not.authorized")]
    NotAuthorized,
    /// A 403 with an empty body.
    #[serde(rename = "empty")]
    Empty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
    /// Answer with no body at all (one of the UNCONFIRMED division 403s).
    pub empty_body: bool,
}

impl ApiError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
            empty_body: false,
        }
    }

    /// A permission held, but not in the conversation's divisions: the body
    /// chosen by config `divisionDeniedBody` (UNCONFIRMED).
    pub fn division_denied(body: DivisionDenied, required: &[&str]) -> Self {
        let list = required.join(", ");
        match body {
            DivisionDenied::MissingPermissions => Self::new(
                403,
                "missing.permissions",
                format!("Unable to perform the requested action. You are missing the following permission(s): [{list}]"),
            ),
            DivisionDenied::MissingAnyPermissions => Self::new(
                403,
                "missing.any.permissions",
                format!("Unable to perform the requested action. You must have at least one of the following permissions assigned: [{list}]"),
            ),
            DivisionDenied::NotAuthorized => Self::for_status(403),
            DivisionDenied::Empty => ApiError {
                empty_body: true,
                ..Self::new(403, "", "")
            },
        }
    }

    /// The JSON body (`ErrorBody`).
    pub fn body(&self, context_id: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "message": self.message,
            "code": self.code,
            "status": self.status,
            "messageWithParams": self.message,
            "messageParams": {},
            "contextId": context_id,
            "details": [],
            "errors": [],
        }))
        .expect("error body serialises")
    }

    pub fn auth_required() -> Self {
        Self::new(
            401,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    }

    pub fn bad_credentials() -> Self {
        Self::new(401, "bad.credentials", "Invalid login credentials.")
    }

    pub fn credentials_expired() -> Self {
        Self::new(401, "credentials.expired", "The bearer token has expired.")
    }

    /// One required permission gives `missing.permissions`, several (any of)
    /// give `missing.any.permissions`, as Genesys does.
    pub fn missing_permissions(required: &[&str]) -> Self {
        let list = required.join(", ");
        if required.len() == 1 {
            Self::new(
                403,
                "missing.permissions",
                format!("Unable to perform the requested action. You are missing the following permission(s): [{list}]"),
            )
        } else {
            Self::new(
                403,
                "missing.any.permissions",
                format!("Unable to perform the requested action. You must have at least one of the following permissions assigned: [{list}]"),
            )
        }
    }

    pub fn scope(code: &str, required: &[&str]) -> Self {
        Self::new(
            403,
            code,
            format!("App not authorized to use scope [{}]", required.join(", ")),
        )
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                429,
                "too.many.requests.retry.after",
                format!(
                    "Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds"
                ),
            )
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad.request", message)
    }

    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(400, "invalid.value", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not.found", message)
    }

    /// Defaults for a scripted or injected answer that only names a status.
    pub fn for_status(status: u16) -> Self {
        let (code, message) = match status {
            400 => (
                "bad.request",
                "The request could not be understood by the server due to malformed syntax.",
            ),
            401 => ("bad.credentials", "Invalid login credentials."),
            403 => (
                "not.authorized",
                "You are not authorized to perform the requested action.",
            ),
            404 => ("not.found", "The requested resource was not found."),
            409 => (
                "conflict",
                "The request conflicts with the current state of the resource.",
            ),
            429 => ("too.many.requests", "Rate limit exceeded the maximum."),
            500 => (
                "internal.server.error",
                "The server encountered an unexpected condition.",
            ),
            502 => (
                "bad.gateway",
                "The server received an invalid response from an upstream server.",
            ),
            503 => ("service.unavailable", "Service is currently unavailable."),
            504 => ("request.timeout", "The request timed out."),
            _ => ("error", "Scripted error."),
        };
        Self::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    /// An empty-bodied response that carries the error; the gate fills the body.
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = status.into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_messages() {
        let one = ApiError::missing_permissions(&["conversation:communication:disconnect"]);
        assert_eq!(one.code, "missing.permissions");
        assert_eq!(one.message, "Unable to perform the requested action. You are missing the following permission(s): [conversation:communication:disconnect]");
        let any = ApiError::missing_permissions(&["a:b:c", "d:e:f"]);
        assert_eq!(any.code, "missing.any.permissions");
        assert_eq!(any.message, "Unable to perform the requested action. You must have at least one of the following permissions assigned: [a:b:c, d:e:f]");
        let s = ApiError::scope(
            "app.not.authorized.for.scope",
            &["conversations:readonly", "conversations"],
        );
        assert_eq!(
            s.message,
            "App not authorized to use scope [conversations:readonly, conversations]"
        );
        let body: serde_json::Value = serde_json::from_slice(&any.body("cid")).unwrap();
        assert_eq!(body["contextId"], "cid");
        assert_eq!(body["status"], 403);
        assert_eq!(body["messageParams"], serde_json::json!({}));
    }
}
