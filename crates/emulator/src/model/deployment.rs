//! Messenger deployments with their published configuration versions, and
//! the guest sessions of the Web Messaging Guest API.
//!
//! Fields: the SDK's `WebDeployment` and `ConversationAppSettings`
//! (`conversationDisconnect {enabled, type}`, `conversationClear {enabled}`,
//! `sessionDurationSeconds`, `autoStart {enabled}`), DOCUMENTED.

use serde::Deserialize;

/// The conversation settings of one configuration version.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub conversation_disconnect: DisconnectSetting,
    #[serde(default = "yes")]
    pub conversation_clear: bool,
    #[serde(default)]
    pub session_duration_seconds: Option<u64>,
    #[serde(default)]
    pub auto_start: bool,
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            conversation_disconnect: DisconnectSetting::default(),
            conversation_clear: true,
            session_duration_seconds: None,
            auto_start: false,
        }
    }
}

/// `conversationDisconnect`: `type` is `Send` or `ReadOnly` (DOCUMENTED).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisconnectSetting {
    pub enabled: bool,
    #[serde(rename = "type", default = "send")]
    pub kind: String,
}

fn send() -> String {
    "Send".into()
}

impl Default for DisconnectSetting {
    fn default() -> Self {
        DisconnectSetting {
            enabled: false,
            kind: send(),
        }
    }
}

impl DisconnectSetting {
    /// An ended conversation leaves the guest's session read-only.
    pub fn read_only(&self) -> bool {
        self.enabled && self.kind == "ReadOnly"
    }
}

#[derive(Clone, Debug)]
pub struct Deployment {
    pub id: String,
    pub name: String,
    /// `Pending|Active|Inactive|Error|Deleting`.
    pub status: String,
    pub allowed_domains: Vec<String>,
    /// The configuration's id; its versions are "1", "2", ...
    pub configuration_id: String,
    /// Published versions, oldest first; the last is the active one.
    pub versions: Vec<Settings>,
    pub created_at: i64,
    pub modified_at: i64,
    /// Test knob: the body of the 403 to a disabled Clear (`{token}` is
    /// replaced by the guest's token, to prove a client redacts it).
    pub clear_forbidden_body: Option<String>,
}

impl Deployment {
    pub fn active(&self) -> &Settings {
        self.versions.last().expect("a deployment has a version")
    }

    /// The active version's number, as Genesys writes it (a string).
    pub fn version(&self) -> String {
        self.versions.len().to_string()
    }

    /// A published version by its number.
    pub fn version_of(&self, v: &str) -> Option<&Settings> {
        let n: usize = v.parse().ok()?;
        self.versions.get(n.checked_sub(1)?)
    }
}

/// A guest session, keyed by its token in the store.
#[derive(Clone, Debug)]
pub struct GuestSession {
    pub deployment_id: String,
    /// Its conversation, once a message (or the admin API) started one.
    pub conversation_id: Option<String>,
    /// Forced read-only (the admin API); otherwise derived from the
    /// conversation's end and `conversationDisconnect`.
    pub read_only: bool,
    /// Forced expiry (4006); otherwise `sessionDurationSeconds` after the
    /// last message.
    pub expired: bool,
    /// The server no longer knows it (4007).
    pub forgotten: bool,
    pub last_activity: i64,
}

impl GuestSession {
    pub fn new(deployment_id: String, now: i64) -> GuestSession {
        GuestSession {
            deployment_id,
            conversation_id: None,
            read_only: false,
            expired: false,
            forgotten: false,
            last_activity: now,
        }
    }

    /// Expired by force or by `duration_s` of inactivity at `now`.
    pub fn is_expired(&self, duration_s: Option<u64>, now: i64) -> bool {
        self.expired
            || duration_s
                .is_some_and(|d| now >= self.last_activity + (d as i64).saturating_mul(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_defaults_and_expiry() {
        let s: Settings = serde_json::from_value(json!({})).unwrap();
        assert_eq!(s, Settings::default());
        let s: Settings = serde_json::from_value(
            json!({"conversationDisconnect": {"enabled": true, "type": "ReadOnly"}, "conversationClear": false}),
        )
        .unwrap();
        assert!(s.conversation_disconnect.read_only() && !s.conversation_clear);
        let g = GuestSession::new("d".into(), 1000);
        assert!(!g.is_expired(None, 10_000_000));
        assert!(!g.is_expired(Some(2), 2999));
        assert!(g.is_expired(Some(2), 3000));
    }
}
