//! Crossing the boundary with serde: options in (`read_options`, napi's
//! deserializer into the core's typed options), values out (`Js`, napi's
//! serializer from the core's types). One declaration per field: the core's.

use genesys_cleanup_core::genesys::ids::IdInput;
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

/// A conversation id as the caller gave it: any JS value, never a reason to
/// reject a whole run (a non-string becomes a failed result of its own).
pub fn id_input(env: &Env, value: &Unknown) -> IdInput {
    let other = |kind: &'static str, shown: String| IdInput::Other { kind, shown };
    match value.get_type() {
        Ok(ValueType::String) => match unsafe { String::from_napi_value(env.raw(), value.raw()) } {
            Ok(s) => IdInput::Text(s),
            Err(_) => other("a string that could not be read", "[string]".into()),
        },
        Ok(ValueType::Number) => {
            let n = unsafe { f64::from_napi_value(env.raw(), value.raw()) }.unwrap_or(f64::NAN);
            other("a number", js_number(n))
        }
        Ok(ValueType::Undefined) => other("undefined", "undefined".into()),
        Ok(ValueType::Null) => other("null", "null".into()),
        Ok(ValueType::Boolean) => other("a boolean", "[boolean]".into()),
        Ok(ValueType::Symbol) => other("a Symbol", "[Symbol]".into()),
        Ok(ValueType::Function) => other("a function", "[function]".into()),
        Ok(ValueType::BigInt) => other("a bigint", "[bigint]".into()),
        Ok(ValueType::Object) => other("an object", "[object]".into()),
        _ => other("a value of unknown type", "[unknown]".into()),
    }
}

/// A number as JS prints it (`NaN`, `Infinity`, `42`, `1.5`).
fn js_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{n}")
    }
}
