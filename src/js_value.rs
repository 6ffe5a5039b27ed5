//! Crossing the boundary with serde: options in (`read_options`, napi's
//! deserializer into the core's typed options), values out (`Js`, napi's
//! serializer from the core's types). One declaration per field: the core's.

use genesys_cleanup_core::options::{self, Validated};
use genesys_cleanup_core::Error as CoreError;
use napi::bindgen_prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A core value that reaches JS by its serde shape (thread-safe callbacks).
pub struct Js<T>(pub T);

impl<T: Serialize> ToNapiValue for Js<T> {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let value = Env::from_raw(env).to_js_value(&val.0)?;
        Ok(value.raw())
    }
}

/// Reads one kind of options from the caller's options object (absent:
/// every default). Unknown keys are ignored: one JS object carries the
/// connection, the close behaviour and the bulk settings together.
pub fn read_options<T: DeserializeOwned + Validated>(
    env: &Env,
    options: &Option<Unknown>,
) -> std::result::Result<T, CoreError> {
    let Some(value) = options else {
        return options::parse(serde_json::json!({}));
    };
    match value.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => options::parse(serde_json::json!({})),
        Ok(ValueType::Object) => {
            let object = Object::from_raw(env.raw(), value.raw());
            options::parse(&mut napi::De::new(&object))
        }
        _ => Err(CoreError::invalid_argument("options must be an object.")),
    }
}
