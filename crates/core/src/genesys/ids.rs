//! Identifier validation. An id is validated before it is put into a URL path,
//! so a malformed or hostile id (`../../users/me`) never reaches the network.

use crate::error::{Error, ErrorCode};
use uuid::Uuid;

/// True for the canonical hyphenated UUID form Genesys uses
/// (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, any case).
pub fn is_uuid(s: &str) -> bool {
    parse_uuid(s).is_some()
}

fn parse_uuid(s: &str) -> Option<Uuid> {
    // `Uuid::try_parse` also accepts braced, URN and 32-digit forms; Genesys
    // ids are always the 36-character hyphenated form, so require that too.
    if s.len() == 36 && s.as_bytes()[8] == b'-' {
        Uuid::try_parse(s).ok()
    } else {
        None
    }
}

/// Validates a conversation id and returns it lower-cased (Genesys ids are lower case).
pub fn conversation_id(raw: &str) -> Result<String, Error> {
    conversation_uuid(raw).map(|u| canonical(&u))
}

/// The id as Genesys writes it: hyphenated, lower case.
pub fn canonical(id: &Uuid) -> String {
    id.hyphenated().to_string()
}

/// Validates a conversation id into its value: two spellings of one id
/// (upper and lower case) are one value, and a value is 16 bytes to compare,
/// sort or keep, not a string.
pub fn conversation_uuid(raw: &str) -> Result<Uuid, Error> {
    if let Some(id) = parse_uuid(raw) {
        return Ok(id);
    }
    let shown = describe(raw);
    let hint = if raw.trim() != raw && is_uuid(raw.trim()) {
        " It has leading or trailing whitespace: trim it."
    } else {
        ""
    };
    Err(Error::new(
        ErrorCode::InvalidConversationId,
        format!(
            "Invalid conversation id {shown}: expected a UUID such as \
             3fa85f64-5717-4562-b3fc-2c963f66afa6.{hint} No request was sent."
        ),
    ))
}

/// The error for an id that is not a string at all (from a bulk input list).
pub fn not_a_string(type_name: &str) -> Error {
    Error::new(
        ErrorCode::InvalidConversationId,
        format!(
            "Invalid conversation id: expected a UUID string, got {type_name}. No request was sent."
        ),
    )
}

/// A conversation id as a caller gave it: any JS value.
#[derive(Debug, Clone, PartialEq)]
pub enum IdInput {
    Text(String),
    /// Not a string: what it was (`a number`, `undefined`, `a Symbol`...) and
    /// how to show it in a result (`NaN`, `undefined`, `[Symbol]`...).
    Other {
        kind: &'static str,
        shown: String,
    },
}

impl From<&str> for IdInput {
    fn from(s: &str) -> Self {
        IdInput::Text(s.to_string())
    }
}

impl From<String> for IdInput {
    fn from(s: String) -> Self {
        IdInput::Text(s)
    }
}

/// The longest input echoed back in a result (a hostile caller's 300 kB
/// "id" is not kept whole).
const SHOWN_MAX: usize = 256;

impl IdInput {
    /// How the input is named in its result.
    pub fn shown(&self) -> String {
        match self {
            IdInput::Text(s) if s.len() <= SHOWN_MAX => s.clone(),
            IdInput::Text(s) => {
                let mut cut: String = s.chars().take(SHOWN_MAX).collect();
                cut.push('…');
                cut
            }
            IdInput::Other { shown, .. } => shown.clone(),
        }
    }
}

/// Validates an id given as any JS value: only a string can be a conversation id.
pub fn conversation_id_input(raw: &IdInput) -> Result<String, Error> {
    conversation_uuid_input(raw).map(|u| canonical(&u))
}

/// `conversation_uuid` for an id given as any JS value.
pub fn conversation_uuid_input(raw: &IdInput) -> Result<Uuid, Error> {
    match raw {
        IdInput::Text(s) => conversation_uuid(s),
        IdInput::Other { kind, .. } => Err(not_a_string(kind)),
    }
}

/// Validates an id that came back from Genesys (participant ids) before it is
/// used in a path: a response must not be able to steer our next request.
pub fn from_response<'a>(what: &str, raw: &'a str) -> Result<&'a str, Error> {
    if is_uuid(raw) {
        Ok(raw)
    } else {
        Err(Error::new(
            ErrorCode::Upstream,
            format!(
                "Genesys returned a {what} id that is not a UUID ({}); refusing to use it in a request path.",
                describe(raw)
            ),
        ))
    }
}

/// Quotes a value for an error message, shortened so a huge input cannot
/// flood a log line.
pub fn describe(raw: &str) -> String {
    const MAX: usize = 64;
    if raw.is_empty() {
        return "\"\" (empty string)".to_string();
    }
    let mut shown: String = raw.chars().take(MAX).collect();
    if raw.chars().count() > MAX {
        shown.push('…');
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_canonical_uuids_in_any_case() {
        assert_eq!(
            conversation_id("3FA85F64-5717-4562-B3FC-2C963F66AFA6").unwrap(),
            "3fa85f64-5717-4562-b3fc-2c963f66afa6"
        );
        assert!(conversation_id("00000000-0000-0000-0000-000000000000").is_ok());
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "abc",
            "../../users/me",
            "3fa85f6457174562b3fc2c963f66afa6",
            "{3fa85f64-5717-4562-b3fc-2c963f66afa6}",
            "urn:uuid:3fa85f64-5717-4562-b3fc-2c963f66afa6",
            " 3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "3fa85f64-5717-4562-b3fc-2c963f66afa6/x",
            "3fa85f64-5717-4562-b3fc-2c963f66afaz",
            "3fa85f64_5717_4562_b3fc_2c963f66afa6",
        ] {
            let e = conversation_id(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidConversationId, "{bad}");
        }
    }

    #[test]
    fn whitespace_gets_a_hint() {
        let e = conversation_id(" 3fa85f64-5717-4562-b3fc-2c963f66afa6 ").unwrap_err();
        assert!(e.message.contains("trim"), "{}", e.message);
    }

    #[test]
    fn long_input_is_shortened_in_the_message() {
        let e = conversation_id(&"x".repeat(10_000)).unwrap_err();
        assert!(e.message.len() < 300);
    }

    proptest::proptest! {
        #[test]
        fn valid_iff_canonical_uuid(s in "\\PC{0,40}") {
            let ok = conversation_id(&s).is_ok();
            let expected = uuid::Uuid::try_parse(&s).map(|u| u.hyphenated().to_string() == s.to_ascii_lowercase()).unwrap_or(false);
            proptest::prop_assert_eq!(ok, expected);
        }

        #[test]
        fn any_generated_uuid_is_valid(bytes in proptest::array::uniform16(0u8..)) {
            let id = uuid::Uuid::from_bytes(bytes).hyphenated().to_string();
            proptest::prop_assert!(conversation_id(&id).is_ok());
        }

        #[test]
        fn valid_ids_are_safe_in_a_path(s in "\\PC{0,40}") {
            if let Ok(id) = conversation_id(&s) {
                proptest::prop_assert!(id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
            }
        }
    }
}
