//! The fields of Genesys payloads that we use, and nothing more: parsing only
//! these keeps responses cheap to read. Every field is lenient (optional or
//! defaulted) because Genesys omits empty fields.

use serde::Deserialize;

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
    /// `MessageDetails`, of which only the time is kept.
    #[serde(default)]
    pub messages: Vec<MessageDetails>,
}

/// `MessageDetails`, trimmed to what idle detection reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDetails {
    #[serde(default)]
    pub message_time: Option<String>,
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
}

/// The part of the `Conversation` returned by PATCH that tells whether it
/// had already ended (fast mode reads nothing else).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub participants: Vec<serde::de::IgnoredAny>,
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

/// `GET /api/v2/oauth/clients/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClientDetails {
    #[serde(default)]
    pub role_divisions: Vec<RoleDivision>,
}

/// True when a granted permission (possibly with `*` parts) covers `wanted`.
pub fn permission_covers(granted: &str, wanted: &str) -> bool {
    if granted == "*" {
        return true;
    }
    let g: Vec<&str> = granted.split(':').collect();
    let w: Vec<&str> = wanted.split(':').collect();
    g.len() == w.len() && g.iter().zip(&w).all(|(g, w)| *g == "*" || g == w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(permission_covers(
            "conversation:*:*",
            "conversation:communication:disconnect"
        ));
        assert!(permission_covers(
            "conversation:communication:*",
            "conversation:communication:disconnect"
        ));
        assert!(!permission_covers(
            "conversation:communication:view",
            "conversation:communication:disconnect"
        ));
        assert!(permission_covers("*", "a:b:c"));
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
