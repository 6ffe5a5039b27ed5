//! core::Error -> a napi error the JS wrapper turns into a `CleanupError`
//! with a stable `code` and structured fields. The payload travels as JSON in
//! the message behind a marker, because a napi async error can only carry a
//! message; `index.js` rebuilds the real error in the caller's realm.

use genesys_cleanup_core::Error as CoreError;
use napi::Status;

pub const MARKER: &str = "GENESYS_CLEANUP_ERROR:";

pub fn to_napi(e: CoreError) -> napi::Error {
    let payload = serde_json::json!({
        "code": e.code.as_str(),
        "message": e.message,
        "status": e.status,
        "genesysCode": e.genesys_code,
        "correlationId": e.correlation_id,
        "missingPermissions": if e.missing_permissions.is_empty() { None } else { Some(&e.missing_permissions) },
        "missingScopes": if e.missing_scopes.is_empty() { None } else { Some(&e.missing_scopes) },
        "retryAfterMs": e.retry_after_ms,
    });
    napi::Error::new(Status::GenericFailure, format!("{MARKER}{payload}"))
}

/// A panic is a bug in this library: report it as one instead of killing the
/// process or losing the message ("Panic in async function").
pub fn from_panic(panic: Box<dyn std::any::Any + Send>) -> napi::Error {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    to_napi(CoreError::new(
        genesys_cleanup_core::ErrorCode::Internal,
        format!("genesys-cleanup hit an internal bug ({what}). Please report it with the steps that led here."),
    ))
}
