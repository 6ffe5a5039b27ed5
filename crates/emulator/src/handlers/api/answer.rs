//! The answers of the `/api/v2` handlers: the result type, reading a JSON
//! object body, and the 404s.

use crate::genesys::errors::ApiError;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

pub type ApiResult = Result<Response, ApiError>;

pub fn ok(v: Value) -> ApiResult {
    Ok(Json(v).into_response())
}

/// Any route or method not served here.
pub async fn not_found() -> ApiError {
    ApiError::not_found("The requested resource was not found.")
}

pub fn conversation_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Conversation {id} was not found."))
}

pub fn participant_not_found(pid: &str) -> ApiError {
    ApiError::not_found(format!("Participant {pid} was not found."))
}

pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("A request body is required."));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(_) => Err(ApiError::bad_request(
            "The request could not be understood by the server due to malformed syntax.",
        )),
    }
}
