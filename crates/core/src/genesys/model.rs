//! The fields of Genesys payloads that we use, and nothing more: parsing only
//! these keeps responses cheap to read. Every field is lenient (optional or
//! defaulted) because Genesys omits empty fields.

use crate::time::parse_time;
use serde::de::{self, Deserializer};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::time::SystemTime;

/// `GET /api/v2/conversations/messages/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageConversation {
    pub id: String,
    #[serde(default)]
    pub participants: Vec<MessageParticipant>,
    /// "The time in the future after which this conversation would be
    /// considered inactive" (present when a queue's inactivity timeout is on).
    #[serde(default)]
    pub inactivity_timeout: Option<String>,
    /// The divisions it belongs to (`ConversationDivisionMembership[]`).
    #[serde(default)]
    pub divisions: Vec<DivisionMembership>,
}

/// `{division: {id, name, selfUri}, entities: [...]}`; the entities are not read.
#[derive(Debug, Clone, Deserialize)]
pub struct DivisionMembership {
    #[serde(default)]
    pub division: Option<NamedEntity>,
}

impl MessageConversation {
    /// The times that mean someone did something: each participant's newest
    /// message, and participants starting or connecting. Never an end: our
    /// own disconnect sets those.
    pub fn activity_times(&self) -> impl Iterator<Item = &str> {
        self.participants.iter().flat_map(|p| {
            [
                p.messages.newest.as_ref().map(|(_, s)| s.as_str()),
                p.start_time.as_deref(),
                p.connected_time.as_deref(),
            ]
            .into_iter()
            .flatten()
        })
    }

    /// Its divisions, bounded (ids and names from the server are hostile).
    pub fn division_list(&self) -> Vec<crate::error::Division> {
        let mut out: Vec<crate::error::Division> = Vec::new();
        for d in self.divisions.iter().filter_map(|m| m.division.as_ref()) {
            let d = crate::error::Division::new(&d.id, d.name.as_deref());
            if !d.id.is_empty()
                && !out.iter().any(|o| o.id == d.id)
                && out.len() < crate::genesys::divisions::MAX_DIVISIONS
            {
                out.push(d);
            }
        }
        out
    }
}

/// `MessageMediaParticipant`, trimmed.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageParticipant {
    pub id: String,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    /// The message type: `webmessaging`, `open`, `whatsapp`, ...
    #[serde(default, rename = "type")]
    pub message_type: Option<String>,
    #[serde(default)]
    pub wrapup_required: Option<bool>,
    #[serde(default)]
    pub wrapup: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub connected_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub start_alerting_time: Option<String>,
    #[serde(default)]
    pub start_hold_time: Option<String>,
    #[serde(default)]
    pub park_time: Option<String>,
    #[serde(default)]
    pub resume_time: Option<String>,
    #[serde(default)]
    pub start_acw_time: Option<String>,
    #[serde(default)]
    pub end_acw_time: Option<String>,
    /// `MessageDetails[]`, of which only the newest readable `messageTime`
    /// is kept (see [`NewestMessage`]).
    #[serde(default)]
    pub messages: NewestMessage,
    /// The queue it was routed through (`queue {id}`): kept only as a valid
    /// UUID, lower-cased.
    #[serde(default, deserialize_with = "queue_ref")]
    pub queue: Option<String>,
    /// How it ended (`inactivity`, `peer`, `client`, ...): kept only when
    /// short (at most [`MAX_DISCONNECT_TYPE`] characters).
    #[serde(default, deserialize_with = "disconnect_type")]
    pub disconnect_type: Option<String>,
}

/// The longest `disconnectType` kept.
pub const MAX_DISCONNECT_TYPE: usize = 64;

fn queue_ref<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Ref<'a> {
        #[serde(default, borrow)]
        id: Option<Cow<'a, str>>,
    }
    let r: Option<Ref> = Option::deserialize(d)?;
    Ok(r.and_then(|r| r.id)
        .filter(|id| crate::genesys::ids::is_uuid(id))
        .map(|id| id.to_ascii_lowercase()))
}

fn disconnect_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s: Option<Cow<'de, str>> = Option::deserialize(d)?;
    Ok(s.filter(|s| s.len() <= MAX_DISCONNECT_TYPE)
        .map(Cow::into_owned))
}

/// The newest readable `messageTime` of a participant's `messages[]`, found
/// while deserializing: a conversation can carry many messages, and idle
/// detection needs only the newest, so no string is kept per message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewestMessage {
    /// The newest time and its text as the server wrote it (the first one
    /// in array order when several are equally new); `None` when no message
    /// carried a readable time.
    pub newest: Option<(SystemTime, String)>,
}

impl NewestMessage {
    /// Keeps `text` when it is a readable time newer than the newest so far.
    pub fn consider(&mut self, text: &str) {
        if let Some(t) = parse_time(text) {
            if self.newest.as_ref().is_none_or(|(b, _)| t > *b) {
                self.newest = Some((t, text.to_string()));
            }
        }
    }
}

/// `MessageDetails`, trimmed to what idle detection reads (borrowed from the
/// body when it has no escapes).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageDetails<'a> {
    #[serde(default, borrow)]
    message_time: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for NewestMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = NewestMessage;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of MessageDetails")
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = NewestMessage::default();
                while let Some(m) = seq.next_element::<MessageDetails<'de>>()? {
                    if let Some(text) = m.message_time.as_deref() {
                        out.consider(text);
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

impl MessageParticipant {
    /// Every participant timestamp that marks a state change we can see.
    pub fn times(&self) -> [Option<&str>; 9] {
        [
            self.start_time.as_deref(),
            self.connected_time.as_deref(),
            self.end_time.as_deref(),
            self.start_alerting_time.as_deref(),
            self.start_hold_time.as_deref(),
            self.park_time.as_deref(),
            self.resume_time.as_deref(),
            self.start_acw_time.as_deref(),
            self.end_acw_time.as_deref(),
        ]
    }

    /// Ended: `disconnected` or `terminated` (Genesys has no conversation-level state).
    pub fn is_ended(&self) -> bool {
        matches!(
            self.state.as_deref(),
            Some("disconnected") | Some("terminated")
        )
    }

    pub fn is_agent(&self) -> bool {
        matches!(self.purpose.as_deref(), Some("agent") | Some("user"))
    }

    /// Ended by a queue's inactivity timer (`disconnectType: inactivity`).
    pub fn ended_by_inactivity(&self) -> bool {
        self.disconnect_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("inactivity"))
    }
}

impl MessageConversation {
    /// Any participant ended by a queue's inactivity timer (which one
    /// carries it is UNCONFIRMED).
    pub fn ended_by_inactivity(&self) -> bool {
        self.participants
            .iter()
            .any(MessageParticipant::ended_by_inactivity)
    }

    /// The queue of the newest `acd` participant, else of any participant.
    pub fn queue_id(&self) -> Option<&str> {
        let acd = |p: &&MessageParticipant| p.purpose.as_deref() == Some("acd");
        let ps = &self.participants;
        ps.iter()
            .rev()
            .filter(acd)
            .find_map(|p| p.queue.as_deref())
            .or_else(|| ps.iter().rev().find_map(|p| p.queue.as_deref()))
    }
}

/// `GET /api/v2/tokens/me`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    #[serde(default)]
    pub organization: Option<NamedEntity>,
    #[serde(default)]
    pub authorized_scope: Vec<String>,
    #[serde(default, rename = "OAuthClient")]
    pub oauth_client: Option<OAuthClientInfo>,
}

impl TokenInfo {
    /// How the token was granted (from its OAuth client's grant type).
    pub fn grant_type(&self) -> GrantType {
        GrantType::from_genesys(
            self.oauth_client
                .as_ref()
                .and_then(|c| c.authorized_grant_type.as_deref()),
        )
    }
}

/// How a token was granted (`grantType` of a diagnosis): a client's own
/// (client credentials), a user's, or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    ClientCredentials,
    User,
    Unknown,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::User => "user",
            GrantType::Unknown => "unknown",
        }
    }

    /// From Genesys's `authorizedGrantType`.
    pub fn from_genesys(g: Option<&str>) -> Self {
        match g.map(|s| s.to_ascii_uppercase()) {
            Some(g) if g == "CLIENT-CREDENTIALS" || g == "CLIENT_CREDENTIALS" => {
                GrantType::ClientCredentials
            }
            Some(g)
                if [
                    "CODE",
                    "TOKEN",
                    "SAML2-BEARER",
                    "PASSWORD",
                    "IMPLICIT",
                    "PKCE",
                ]
                .contains(&g.as_str()) =>
            {
                GrantType::User
            }
            _ => GrantType::Unknown,
        }
    }
}

serialize_as_str!(GrantType);

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NamedEntity {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClientInfo {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub authorized_grant_type: Option<String>,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub role_divisions: Option<Vec<RoleDivision>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDivision {
    pub role_id: String,
    #[serde(default)]
    pub division_id: Option<String>,
}

/// `GET /api/v2/users/me?expand=authorization`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserMe {
    #[serde(default)]
    pub authorization: Option<UserAuthorization>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserAuthorization {
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// `GET /api/v2/authorization/roles/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub permission_policies: Vec<PermissionPolicy>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionPolicy {
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub entity_name: String,
    #[serde(default)]
    pub action_set: Vec<String>,
}

impl Role {
    /// Every permission of the role as `domain:entity:action` strings.
    pub fn all_permissions(&self) -> Vec<String> {
        let mut out = self.permissions.clone();
        for p in &self.permission_policies {
            for a in &p.action_set {
                out.push(format!("{}:{}:{}", p.domain, p.entity_name, a));
            }
        }
        out
    }
}

/// `GET /api/v2/authorization/subjects/me` (`AuthzSubject`), trimmed to
/// its grants.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthzSubject {
    #[serde(default)]
    pub grants: Vec<AuthzGrant>,
}

/// `AuthzGrant`: one role in one division.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthzGrant {
    #[serde(default)]
    pub division: Option<NamedEntity>,
    #[serde(default)]
    pub role: Option<AuthzGrantRole>,
}

/// `AuthzGrantRole`: the role with its policies.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthzGrantRole {
    #[serde(default)]
    pub policies: Vec<AuthzGrantPolicy>,
}

/// `AuthzGrantPolicy`: `domain:entityName:action` for each action.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthzGrantPolicy {
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub entity_name: String,
    #[serde(default)]
    pub actions: Vec<String>,
}

impl AuthzGrantRole {
    pub fn permissions(&self) -> Vec<String> {
        self.policies
            .iter()
            .flat_map(|p| {
                p.actions
                    .iter()
                    .map(move |a| format!("{}:{}:{}", p.domain, p.entity_name, a))
            })
            .collect()
    }
}

/// `GET /api/v2/oauth/clients/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClientDetails {
    #[serde(default)]
    pub role_divisions: Vec<RoleDivision>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn queue_and_disconnect_type_are_read_and_bounded() {
        let q = "3FA85F64-5717-4562-B3FC-2C963F66AFA6";
        let long = "x".repeat(super::MAX_DISCONNECT_TYPE + 1);
        let conv: super::MessageConversation = serde_json::from_value(serde_json::json!({
            "id": "c",
            "participants": [
                {"id": "a", "purpose": "customer", "queue": {"id": "not a uuid"}, "disconnectType": long},
                {"id": "b", "purpose": "acd", "queue": {"id": q}, "disconnectType": "Inactivity"},
                {"id": "d", "purpose": "agent", "queue": null}
            ]
        }))
        .unwrap();
        let p = &conv.participants;
        assert_eq!(p[0].queue, None);
        assert_eq!(p[0].disconnect_type, None);
        assert!(p[1].ended_by_inactivity());
        assert!(conv.ended_by_inactivity());
        assert_eq!(conv.queue_id(), Some(q.to_ascii_lowercase().as_str()));
    }

    use super::*;

    #[test]
    fn newest_message_time() {
        // (case, messages JSON, expected newest text)
        let cases: [(&str, &str, Option<&str>); 6] = [
            ("none", "[]", None),
            (
                "no time",
                r#"[{"messageId":"m"},{"messageTime":null}]"#,
                None,
            ),
            (
                "unreadable ignored",
                r#"[{"messageTime":"yesterday"},{"messageTime":"2026-11-26T10:00:00.000Z"}]"#,
                Some("2026-11-26T10:00:00.000Z"),
            ),
            (
                "newest wins, any order",
                r#"[{"messageTime":"2026-11-26T10:00:00Z"},{"messageTime":"2026-11-26T11:00:00.5Z"},{"messageTime":"2026-11-26T10:30:00Z"}]"#,
                Some("2026-11-26T11:00:00.5Z"),
            ),
            (
                "first of equals kept",
                r#"[{"messageTime":"2026-11-26T11:00:00Z"},{"messageTime":"2026-11-26T11:00:00.000Z"}]"#,
                Some("2026-11-26T11:00:00Z"),
            ),
            (
                "escaped text",
                r#"[{"messageTime":"2026-11-26T11:00:00\u002e000Z","other":[1,{"a":2}]}]"#,
                Some("2026-11-26T11:00:00.000Z"),
            ),
        ];
        for (name, messages, want) in cases {
            let p: MessageParticipant =
                serde_json::from_str(&format!(r#"{{"id":"p","messages":{messages}}}"#)).unwrap();
            assert_eq!(
                p.messages.newest.as_ref().map(|(_, s)| s.as_str()),
                want,
                "{name}"
            );
            if let Some((t, s)) = &p.messages.newest {
                assert_eq!(Some(*t), parse_time(s), "{name}");
            }
        }
        assert!(serde_json::from_str::<MessageParticipant>(r#"{"id":"p","messages":{}}"#).is_err());
    }

    #[test]
    fn lenient_parsing() {
        let c: MessageConversation = serde_json::from_str(r#"{"id":"x","participants":[{"id":"p","state":"connected","type":"webmessaging","extra":{"a":1}}]}"#).unwrap();
        assert_eq!(
            c.participants[0].message_type.as_deref(),
            Some("webmessaging")
        );
        let t: TokenInfo = serde_json::from_str(
            r#"{"OAuthClient":{"id":"c","authorizedGrantType":"CLIENT-CREDENTIALS"}}"#,
        )
        .unwrap();
        assert_eq!(
            t.oauth_client.unwrap().authorized_grant_type.as_deref(),
            Some("CLIENT-CREDENTIALS")
        );
        let r: Role = serde_json::from_str(r#"{"permissionPolicies":[{"domain":"conversation","entityName":"communication","actionSet":["disconnect","view"]}]}"#).unwrap();
        assert_eq!(
            r.all_permissions(),
            vec![
                "conversation:communication:disconnect",
                "conversation:communication:view"
            ]
        );
    }
}
