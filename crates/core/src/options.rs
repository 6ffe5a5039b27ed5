//! Reading options as JS callers give them. Every option is declared once, on
//! the typed options struct it configures (`ConnectionOptions`,
//! `CloseOptions`, `BulkSettings`, `FindOptions`), with serde attributes for
//! its JS name, default and bounds; the binding hands its JS object to
//! [`parse`], which reads it through serde (any `Deserializer`: napi's in the
//! addon, `serde_json`'s in tests) and validates the cross-field rules once.
//! Every refusal is `ERR_INVALID_ARGUMENT` naming the option.

use crate::error::Error;
use serde::de::{Deserialize, Deserializer, Error as _};
use std::time::Duration;

/// Options with rules that span fields, checked once after reading.
pub trait Validated: Sized {
    fn validated(self) -> Result<Self, Error>;
}

/// Reads and validates options; a type or range error names the option.
pub fn parse<'de, T, D>(d: D) -> Result<T, Error>
where
    T: Deserialize<'de> + Validated,
    D: Deserializer<'de>,
{
    let value: T = serde_path_to_error::deserialize(d).map_err(|e| {
        let path = e.path().to_string();
        Error::invalid_argument(describe(&path, &e.into_inner().to_string()))
    })?;
    value.validated()
}

/// Our own message from a serde one, naming the option and never echoing a
/// string value (a secret given in the wrong field must not be printed).
fn describe(path: &str, inner: &str) -> String {
    // napi's deserializer prefixes its status ("InvalidArg, ...").
    let inner = inner.strip_prefix("InvalidArg, ").unwrap_or(inner);
    if let Some(field) = inner
        .strip_prefix("missing field `")
        .and_then(|s| s.strip_suffix('`'))
    {
        return format!("{field} is required.");
    }
    if let Some(at) = inner.find(RULE) {
        return format!("{path} {}", &inner[at + RULE.len()..]);
    }
    // An enum's "unknown variant `x`, expected `a` or `b`": name the choices,
    // not the value given (it could be a secret in the wrong field).
    if let Some(expected) = inner
        .strip_prefix("unknown variant ")
        .and_then(|s| s.split_once(", expected "))
        .map(|(_, e)| e.replace('`', "'"))
    {
        return format!("{path} must be {expected}.");
    }
    let inner = redact_strings(inner)
        .replace("expected f64", "expected a number")
        .replace("expected u64", "expected a whole number")
        .replace("expected a boolean", "expected true or false")
        .replace("expected a sequence", "expected an array");
    format!("{path} has the wrong type ({inner}). Check it against index.d.ts.")
}

/// Marks the messages of our own rules (range checks), which read as
/// "<option> must be ...".
pub(crate) const RULE: &str = "rule: ";

fn redact_strings(s: &str) -> String {
    match (s.find("string \""), s.rfind("\", expected")) {
        (Some(a), Some(b)) if b > a => format!("{}a string{}", &s[..a], &s[b + 1..]),
        _ => s.to_string(),
    }
}

fn check_ms(v: f64, min: u64, max: u64) -> Result<Duration, String> {
    if v.is_finite() && v >= min as f64 && v <= max as f64 {
        Ok(Duration::from_secs_f64(v / 1000.0))
    } else {
        Err(format!(
            "{RULE}must be a number of milliseconds from {min} to {max}, got {v}."
        ))
    }
}

/// A duration given in milliseconds, within `MIN..=MAX`.
pub fn millis<'de, D: Deserializer<'de>, const MIN: u64, const MAX: u64>(
    d: D,
) -> Result<Duration, D::Error> {
    check_ms(f64::deserialize(d)?, MIN, MAX).map_err(D::Error::custom)
}

/// An optional duration in milliseconds, within `MIN..=MAX`.
pub fn opt_millis<'de, D: Deserializer<'de>, const MIN: u64, const MAX: u64>(
    d: D,
) -> Result<Option<Duration>, D::Error> {
    millis::<D, MIN, MAX>(d).map(Some)
}

/// A whole number within `MIN..=MAX` (JS numbers are f64: 1.5 is refused).
pub fn whole<'de, D: Deserializer<'de>, const MIN: u64, const MAX: u64>(
    d: D,
) -> Result<u32, D::Error> {
    let n = f64::deserialize(d)?;
    if n.is_finite() && n.fract() == 0.0 && n >= MIN as f64 && n <= MAX as f64 {
        Ok(n as u32)
    } else {
        Err(D::Error::custom(format!(
            "{RULE}must be a whole number from {MIN} to {MAX}, got {n}."
        )))
    }
}

/// Conversations handled at once (`concurrency` of a bulk run, a sweep and
/// a watch): a whole number from 1 to 256, default 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency(u32);

impl Concurrency {
    pub const DEFAULT: u32 = 8;
    pub const MAX: u64 = 256;

    pub fn get(self) -> usize {
        self.0 as usize
    }
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency(Self::DEFAULT)
    }
}

impl<'de> Deserialize<'de> for Concurrency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        whole::<D, 1, { Concurrency::MAX }>(d).map(Concurrency)
    }
}

/// How far back to look for conversations that started (`lookbackMs` of a
/// discovery, a sweep and a watch's sweeps: the analytics query's interval):
/// from 1000 ms to 366 days, default 24 h. A window under a second finds
/// nothing, and is most likely a unit slip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookback(Duration);

impl Lookback {
    pub const MIN_MS: u64 = 1000;
    pub const MAX_MS: u64 = 31_622_400_000;

    pub fn get(self) -> Duration {
        self.0
    }
}

impl Default for Lookback {
    fn default() -> Self {
        Lookback(Duration::from_secs(24 * 3600))
    }
}

impl<'de> Deserialize<'de> for Lookback {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        millis::<D, { Lookback::MIN_MS }, { Lookback::MAX_MS }>(d).map(Lookback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::BulkSettings;
    use crate::close::CloseOptions;
    use crate::discover::FindOptions;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn read<T: for<'de> Deserialize<'de> + Validated>(v: serde_json::Value) -> Result<T, Error> {
        parse(v)
    }

    #[test]
    fn defaults_resolve() {
        let c: CloseOptions = read(json!({})).unwrap();
        assert_eq!(c.message_types, vec!["webmessaging"]);
        assert!(!c.fast && !c.verify && !c.dry_run && c.idle_for.is_none());
        let b: BulkSettings = read(json!({"fast": true, "unknownKey": [1, 2]})).unwrap();
        assert_eq!(b.concurrency.get(), 8);
        let f: FindOptions = read(json!({"idleForMs": 60_000})).unwrap();
        assert_eq!(f.idle_for, Duration::from_secs(60));
        assert_eq!(f.page_size, 100);
    }

    #[test]
    fn bad_values_name_the_option() {
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (
                json!({"concurrency": 0}),
                "concurrency must be a whole number from 1 to 256, got 0.",
            ),
            (
                json!({"concurrency": 1.5}),
                "concurrency must be a whole number",
            ),
            (
                json!({"concurrency": 257}),
                "concurrency must be a whole number",
            ),
            (
                json!({"progressIntervalMs": -1}),
                "progressIntervalMs must be a number of milliseconds",
            ),
            (
                json!({"concurrency": "8"}),
                "concurrency has the wrong type",
            ),
        ];
        for (bad, want) in cases {
            let e = read::<BulkSettings>(bad.clone()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument, "{bad}");
            assert!(e.message.contains(want), "{bad}: {}", e.message);
        }
        let e = read::<FindOptions>(json!({})).unwrap_err();
        assert_eq!(e.message, "idleForMs is required.");
        let e = read::<FindOptions>(json!({"idleForMs": 1, "pageSize": 101})).unwrap_err();
        assert!(e.message.starts_with("pageSize must be"), "{}", e.message);
        let e = read::<CloseOptions>(json!({"verifyTimeoutMs": -5})).unwrap_err();
        assert!(e.message.contains("verifyTimeoutMs"), "{}", e.message);
        let e = read::<CloseOptions>(json!({"messageTypes": []})).unwrap_err();
        assert!(e.message.contains("messageTypes"), "{}", e.message);
        let e = read::<CloseOptions>(json!({"messageTypes": "webmessaging"})).unwrap_err();
        assert!(
            e.message.starts_with("messageTypes has the wrong type"),
            "{}",
            e.message
        );
        let e = read::<CloseOptions>(json!({"idleForMs": "30m"})).unwrap_err();
        assert!(
            e.message.contains("idleForMs has the wrong type"),
            "{}",
            e.message
        );
        // The addon's deserializer (napi) prefixes its status to every message.
        assert_eq!(
            describe(
                "concurrency",
                "InvalidArg, rule: must be a whole number from 1 to 256, got 0."
            ),
            "concurrency must be a whole number from 1 to 256, got 0."
        );
    }

    #[test]
    fn message_types_are_genesys_ones_unless_unknown_ones_are_allowed() {
        use crate::watch::WatchOptions;
        // Every options type that takes messageTypes checks it the same way.
        let close = |v| read::<CloseOptions>(v).map(|_| ());
        let find = |mut v: serde_json::Value| {
            v["idleForMs"] = json!(1000);
            read::<FindOptions>(v).map(|_| ())
        };
        let watch = |mut v: serde_json::Value| {
            v["idleMs"] = json!(1000);
            read::<WatchOptions>(v).map(|_| ())
        };
        let readers: [&dyn Fn(serde_json::Value) -> Result<(), Error>; 3] = [&close, &find, &watch];
        for read in readers {
            read(json!({"messageTypes": ["webmessaging", "open", "whatsapp"]})).unwrap();
            read(json!({"messageTypes": crate::genesys::message_types::MESSAGE_TYPES})).unwrap();
            let e = read(json!({"messageTypes": ["webmessaging", "webmesaging"]})).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument);
            assert!(
                e.message.starts_with("messageTypes[1] is not a Genesys message type: expected one of 'webmessaging', 'open',"),
                "{}",
                e.message
            );
            assert!(
                e.message.contains("allowUnknownMessageTypes: true"),
                "{}",
                e.message
            );
            assert!(
                !e.message.contains("webmesaging'"),
                "the value is not echoed: {}",
                e.message
            );
            // Exact, as Genesys spells them.
            read(json!({"messageTypes": ["WebMessaging"]})).unwrap_err();
            read(json!({"messageTypes": ["unknown"]})).unwrap_err();
            // The escape hatch, for a type Genesys adds later.
            read(json!({"messageTypes": ["applemessages"], "allowUnknownMessageTypes": true}))
                .unwrap();
            read(json!({"messageTypes": ["applemessages"], "allowUnknownMessageTypes": false}))
                .unwrap_err();
            // Still at least one.
            read(json!({"messageTypes": [], "allowUnknownMessageTypes": true})).unwrap_err();
        }
    }

    #[test]
    fn shared_options_have_one_declaration_and_one_bound() {
        use crate::watch::WatchOptions;
        let find = |v: serde_json::Value| read::<FindOptions>(v).map(|f| f.lookback);
        let watch = |v: serde_json::Value| read::<WatchOptions>(v).map(|w| w.lookback);
        for (lookback, extra) in [
            (find(json!({"idleForMs": 1, "lookbackMs": 999})), "find"),
            (watch(json!({"idleMs": 1000, "lookbackMs": 999})), "watch"),
        ] {
            let e = lookback.unwrap_err();
            assert!(
                e.message.starts_with(
                    "lookbackMs must be a number of milliseconds from 1000 to 31622400000"
                ),
                "{extra}: {}",
                e.message
            );
        }
        assert_eq!(find(json!({"idleForMs": 1})).unwrap(), Lookback::default());
        assert_eq!(watch(json!({"idleMs": 1000})).unwrap(), Lookback::default());
        let w = read::<WatchOptions>(json!({"idleMs": 1000, "concurrency": 257})).unwrap_err();
        assert!(
            w.message
                .starts_with("concurrency must be a whole number from 1 to 256"),
            "{}",
            w.message
        );
    }

    #[test]
    fn a_string_in_the_wrong_place_is_never_echoed() {
        let e = read::<CloseOptions>(json!({"verifyTimeoutMs": "secret-token-123"})).unwrap_err();
        assert!(!e.message.contains("secret-token-123"), "{}", e.message);
        assert!(e.message.contains("a string"), "{}", e.message);
    }
}
