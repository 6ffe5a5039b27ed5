//! Messenger deployments: `WebDeployment`, `WebDeploymentConfigurationVersion`
//! (the SDK models, DOCUMENTED) and the public `config.json` in the shape
//! of the Messenger transport SDK's `DeploymentConfig` (DOCUMENTED there).

use crate::ground::clock::format_iso;
use crate::model::deployment::{Deployment, Settings};
use serde_json::{json, Map, Value};

/// `WebDeployment`, its `configuration` the active version.
pub fn deployment(d: &Deployment) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "description": "",
        "allowAllDomains": d.allowed_domains.is_empty(),
        "allowedDomains": d.allowed_domains,
        "status": d.status,
        "configuration": {
            "id": d.configuration_id,
            "name": format!("{} configuration", d.name),
            "version": d.version(),
            "selfUri": format!("/api/v2/webdeployments/configurations/{}", d.configuration_id),
        },
        "dateCreated": format_iso(d.created_at),
        "dateModified": format_iso(d.modified_at),
        "selfUri": format!("/api/v2/webdeployments/deployments/{}", d.id),
    })
}

/// `ConversationAppSettings` of a version; `sessionDurationSeconds` only
/// when set (added in SDK 220).
fn conversations(s: &Settings, with_duration: bool) -> Value {
    let mut m = Map::new();
    m.insert("enabled".into(), json!(true));
    m.insert("autoStart".into(), json!({ "enabled": s.auto_start }));
    m.insert(
        "conversationDisconnect".into(),
        json!({ "enabled": s.conversation_disconnect.enabled, "type": s.conversation_disconnect.kind }),
    );
    m.insert(
        "conversationClear".into(),
        json!({ "enabled": s.conversation_clear }),
    );
    m.insert("showAgentTypingIndicator".into(), json!(true));
    m.insert("showUserTypingIndicator".into(), json!(true));
    if let Some(d) = s.session_duration_seconds.filter(|_| with_duration) {
        m.insert("sessionDurationSeconds".into(), json!(d));
    }
    Value::Object(m)
}

/// `WebDeploymentConfigurationVersion` of version `version`.
pub fn configuration_version(d: &Deployment, s: &Settings, version: &str) -> Value {
    json!({
        "id": d.configuration_id,
        "name": format!("{} configuration", d.name),
        "version": version,
        "status": "Active",
        "languages": ["en-us"],
        "defaultLanguage": "en-us",
        "messenger": {
            "enabled": true,
            "apps": { "conversations": conversations(s, true) },
            "styles": { "primaryColor": "#ff4f1f" },
            "launcherButton": { "visibility": "On" },
            "fileUpload": { "modes": [] },
        },
        "journeyEvents": { "enabled": false },
        "authenticationSettings": { "enabled": false, "allowSessionUpgrade": false },
        "dateCreated": format_iso(d.created_at),
        "dateModified": format_iso(d.modified_at),
        "selfUri": format!("/api/v2/webdeployments/configurations/{}/versions/{version}", d.configuration_id),
    })
}

/// `config.json` (`DeploymentConfig`): `auth` rather than
/// `authenticationSettings`, plus `apiEndpoint` and `messagingEndpoint`;
/// `sessionDurationSeconds` only with `with_duration` (UNCONFIRMED).
pub fn config_json(d: &Deployment, base_url: &str, with_duration: bool) -> Value {
    let ws = base_url.replacen("http", "ws", 1);
    let mut conv = conversations(d.active(), with_duration);
    conv["messagingEndpoint"] = json!(ws);
    json!({
        "id": d.configuration_id,
        "version": d.version(),
        "languages": ["en-us"],
        "defaultLanguage": "en-us",
        "apiEndpoint": base_url,
        "messenger": {
            "enabled": true,
            "apps": { "conversations": conv },
            "styles": { "primaryColor": "#ff4f1f" },
            "launcherButton": { "visibility": "On" },
            "fileUpload": { "modes": [] },
        },
        "journeyEvents": { "enabled": false },
        "status": d.status,
        "auth": { "enabled": false, "allowSessionUpgrade": false },
    })
}
