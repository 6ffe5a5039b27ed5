//! The answers of the admin API: `{"error": "..."}` bodies on bad input,
//! and reading a JSON body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

pub type AdminResult = Result<Response, AdminError>;

/// Rendered as `{"error": "..."}`.
pub struct AdminError(StatusCode, String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

pub fn error(status: StatusCode, msg: impl Into<String>) -> AdminError {
    AdminError(status, msg.into())
}

pub fn bad(msg: impl Into<String>) -> AdminError {
    error(StatusCode::BAD_REQUEST, msg)
}

pub fn not_found(msg: impl Into<String>) -> AdminError {
    error(StatusCode::NOT_FOUND, msg)
}

pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| bad(format!("bad body: {e}")))
}

/// An empty body is the default; anything else must parse.
pub fn parse_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, AdminError> {
    if body.is_empty() {
        Ok(T::default())
    } else {
        parse(body)
    }
}

pub fn ok(v: Value) -> AdminResult {
    Ok(Json(v).into_response())
}
