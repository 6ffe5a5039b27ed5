//! Message types: the platform a message conversation came from, as Genesys
//! names it, and the `messageTypes` option every job that ends or finds
//! conversations takes (default `['webmessaging']`).

use crate::error::Error;

/// The message types Genesys names: the `type` of a `MessageMediaParticipant`
/// (the platform a message conversation came from), also the analytics
/// `messageType` dimension. From the official SDK models, less `unknown`
/// (what Genesys reports for a platform it cannot name: never a filter).
/// `index.d.ts`' `MessageType` union lists the same values (a test compares).
pub const MESSAGE_TYPES: &[&str] = &[
    "webmessaging",
    "open",
    "sms",
    "whatsapp",
    "facebook",
    "instagram",
    "twitter",
    "line",
    "telegram",
    "kakao",
];

/// What this library ends unless told otherwise: web messaging only (the
/// first of `MESSAGE_TYPES`).
pub const DEFAULT_MESSAGE_TYPE: &str = MESSAGE_TYPES[0];

/// The default of every `messageTypes` option.
pub fn default_message_types() -> Vec<String> {
    vec![DEFAULT_MESSAGE_TYPE.to_string()]
}

/// `messageTypes` names at least one type, and only Genesys's message types
/// ([`MESSAGE_TYPES`]) unless the caller opted in to unknown ones
/// (`allowUnknownMessageTypes`, for a type Genesys added after this release).
/// A refusal names the entry's index and the choices, never the value (it
/// could be a secret in the wrong field).
pub fn check_message_types(types: &[String], allow_unknown: bool) -> Result<(), Error> {
    if types.is_empty() {
        return Err(Error::invalid_argument(format!(
            "messageTypes must name at least one message type, e.g. ['{DEFAULT_MESSAGE_TYPE}']."
        )));
    }
    if allow_unknown {
        return Ok(());
    }
    let known = MESSAGE_TYPES;
    match types.iter().position(|t| !known.contains(&t.as_str())) {
        None => Ok(()),
        Some(i) => Err(Error::invalid_argument(format!(
            "messageTypes[{i}] is not a Genesys message type: expected one of {}. For a type Genesys added after this version of genesys-cleanup, also pass allowUnknownMessageTypes: true.",
            known
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_web_messaging() {
        assert_eq!(default_message_types(), ["webmessaging"]);
    }
}
