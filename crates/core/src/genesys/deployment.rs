//! A Messenger deployment's settings that decide how a guest's conversation
//! can end (shared/genesys-native-and-guest.md section 2): read from a
//! configuration version (`messenger.apps.conversations.*`) or from the
//! public `config.json` (same path; there `sessionDurationSeconds` is
//! UNCONFIRMED). Pure: the merge keeps, for each setting, the first source
//! that carried it.

use crate::text::{bound_text, bound_token, MAX_TEXT};
use serde::Serialize;
use serde_json::Value;

/// Where a setting was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingSource {
    /// `GET /api/v2/webdeployments/configurations/{id}/versions/{version}`.
    ConfigurationVersion,
    /// `GET /api/v2/webdeployments/deployments/{id}/configurations`.
    ActiveConfiguration,
    /// The public `config.json` on the CDN.
    ConfigJson,
    /// No read carried it.
    None,
}

impl SettingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SettingSource::ConfigurationVersion => "configurationVersion",
            SettingSource::ActiveConfiguration => "activeConfiguration",
            SettingSource::ConfigJson => "configJson",
            SettingSource::None => "none",
        }
    }
}

serialize_as_str!(SettingSource);

/// One setting and where it was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessengerSetting<T> {
    pub value: Option<T>,
    pub source: SettingSource,
}

impl<T> Default for MessengerSetting<T> {
    fn default() -> Self {
        MessengerSetting {
            value: None,
            source: SettingSource::None,
        }
    }
}

/// `conversationDisconnect`: `{enabled, type: Send|ReadOnly}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disconnect {
    pub enabled: bool,
    #[serde(rename = "type")]
    pub kind: String,
}

/// One read made for the deployment, with its permission and result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentRead {
    /// The route (`GET /api/v2/webdeployments/deployments/{deploymentId}`).
    pub request: String,
    /// The permission it needs (null: none).
    pub permission: Option<String>,
    /// `ok`, `forbidden`, `notFound`, `failed` or `skipped`.
    pub result: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_permissions: Vec<String>,
}

/// A deployment's settings, each with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSettings {
    pub deployment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_version: Option<String>,
    pub conversation_disconnect: MessengerSetting<Disconnect>,
    pub conversation_clear: MessengerSetting<bool>,
    pub session_duration_seconds: MessengerSetting<u64>,
    pub reads: Vec<DeploymentRead>,
}

impl DeploymentSettings {
    pub fn new(deployment_id: &str) -> Self {
        DeploymentSettings {
            deployment_id: bound_token(deployment_id),
            status: None,
            configuration_version: None,
            conversation_disconnect: MessengerSetting::default(),
            conversation_clear: MessengerSetting::default(),
            session_duration_seconds: MessengerSetting::default(),
            reads: Vec::new(),
        }
    }

    /// Every setting has a value.
    pub fn complete(&self) -> bool {
        self.conversation_disconnect.value.is_some()
            && self.conversation_clear.value.is_some()
            && self.session_duration_seconds.value.is_some()
    }

    /// Fills each setting still missing from `config`, a configuration
    /// version or `config.json` (both carry `messenger.apps.conversations`).
    pub fn merge(&mut self, config: &Value, source: SettingSource) {
        let Some(c) = config
            .pointer("/messenger/apps/conversations")
            .filter(|c| c.is_object())
        else {
            return;
        };
        fill(&mut self.conversation_disconnect, source, || {
            let d = c.get("conversationDisconnect")?;
            Some(Disconnect {
                enabled: d.get("enabled")?.as_bool()?,
                kind: d
                    .get("type")
                    .and_then(Value::as_str)
                    .map(bound_token)
                    .unwrap_or_else(|| "Send".into()),
            })
        });
        fill(&mut self.conversation_clear, source, || {
            c.pointer("/conversationClear/enabled")?.as_bool()
        });
        fill(&mut self.session_duration_seconds, source, || {
            c.get("sessionDurationSeconds")?.as_u64().filter(|s| *s > 0)
        });
        if self.status.is_none() {
            self.status = text(config, "status");
        }
    }

    /// The deployment's own fields: `status` and `configuration {id, version}`.
    /// Returns the configuration's id and version to read next.
    pub fn read_deployment(&mut self, deployment: &Value) -> Option<(String, String)> {
        self.status = text(deployment, "status").or(self.status.take());
        let id = text(deployment.get("configuration")?, "id")?;
        let version = match deployment.pointer("/configuration/version")? {
            Value::String(s) => bound_token(s),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        self.configuration_version = Some(version.clone());
        Some((id, version))
    }
}

fn fill<T>(
    slot: &mut MessengerSetting<T>,
    source: SettingSource,
    read: impl FnOnce() -> Option<T>,
) {
    if slot.value.is_none() {
        if let Some(v) = read() {
            *slot = MessengerSetting {
                value: Some(v),
                source,
            };
        }
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(|s| bound_text(s, MAX_TEXT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_source_wins_and_gaps_fill_later() {
        let mut d = DeploymentSettings::new("dep");
        let version = json!({"messenger": {"apps": {"conversations": {
            "conversationDisconnect": {"enabled": true, "type": "ReadOnly"},
            "conversationClear": {"enabled": false}}}}});
        d.merge(&version, SettingSource::ConfigurationVersion);
        assert!(!d.complete());
        let cdn = json!({"status": "Active", "messenger": {"apps": {"conversations": {
            "conversationClear": {"enabled": true}, "sessionDurationSeconds": 7200}}}});
        d.merge(&cdn, SettingSource::ConfigJson);
        assert!(d.complete());
        assert_eq!(
            d.conversation_clear,
            MessengerSetting {
                value: Some(false),
                source: SettingSource::ConfigurationVersion
            }
        );
        assert_eq!(d.session_duration_seconds.source, SettingSource::ConfigJson);
        assert_eq!(
            d.conversation_disconnect
                .value
                .as_ref()
                .map(|v| v.kind.as_str()),
            Some("ReadOnly")
        );
        assert_eq!(d.status.as_deref(), Some("Active"));
    }

    #[test]
    fn deployment_names_its_configuration() {
        let mut d = DeploymentSettings::new("dep");
        let got = d.read_deployment(&json!({"status": "Active",
            "configuration": {"id": "c1", "version": "3"}}));
        assert_eq!(got, Some(("c1".into(), "3".into())));
        assert_eq!(d.configuration_version.as_deref(), Some("3"));
        assert_eq!(d.read_deployment(&json!({"status": "Active"})), None);
        // Nothing readable: nothing filled.
        d.merge(&json!({"messenger": 5}), SettingSource::ConfigJson);
        assert_eq!(d.conversation_clear.source, SettingSource::None);
    }
}
