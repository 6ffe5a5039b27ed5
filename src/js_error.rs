//! core::Error -> a JS `Error` built on the JS thread, carrying the core
//! error's fields (`code`, `status`, `genesysCode`, ...) as properties, by the
//! error's own serde shape; `index.js` re-creates it as a `CleanupError` in
//! the caller's realm.

use genesys_cleanup_core::Error as CoreError;
use napi::bindgen_prelude::*;

/// The JS error for a core error (falls back to a plain message if building
/// it fails, which would need the JS engine to be out of memory).
pub fn build(env: &Env, e: &CoreError) -> napi::Error {
    match try_build(env, e) {
        Ok(err) => err,
        Err(_) => napi::Error::new(Status::GenericFailure, e.message.clone()),
    }
}

fn try_build(env: &Env, e: &CoreError) -> Result<napi::Error> {
    let mut error =
        env.create_error(napi::Error::new(Status::GenericFailure, e.message.clone()))?;
    let fields = env.to_js_value(e)?.coerce_to_object()?;
    let names = fields.get_property_names()?;
    for i in 0..names.get_array_length()? {
        let name: String = names.get_element(i)?;
        let value: Unknown = fields.get_named_property(&name)?;
        error.set_named_property(&name, value)?;
    }
    Ok(napi::Error::from(error.to_unknown()))
}

/// A panic is a bug in this library: report it as one instead of killing the
/// process or losing the message ("Panic in async function").
pub fn from_panic(panic: Box<dyn std::any::Any + Send>) -> CoreError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    CoreError::new(
        genesys_cleanup_core::ErrorCode::Internal,
        format!("genesys-cleanup hit an internal bug ({what}). Please report it with the steps that led here."),
    )
}
