//! The `checkScopes` report as JS sees it. Temporary: the diagnosis module is
//! being split (gather, verdict, advice); its report will then derive
//! `Serialize` in the core like every other result, and this file goes.

use genesys_cleanup_core::access::{AccessCheck as CoreCheck, ScopeReport as CoreReport};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessCheck {
    pub name: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genesys_code: Option<String>,
    pub detail: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityRef {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeReport {
    pub can_close: bool,
    pub grant_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<EntityRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<EntityRef>,
    pub scopes: Vec<String>,
    pub scopes_apply: bool,
    pub required_scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub required_permissions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_permissions: Option<Vec<String>>,
    pub missing_permissions: Vec<String>,
    pub checks: Vec<AccessCheck>,
    pub advice: Vec<String>,
    pub requests: u32,
}

impl From<CoreCheck> for AccessCheck {
    fn from(c: CoreCheck) -> Self {
        AccessCheck {
            name: c.name,
            ok: c.ok,
            status: c.status.map(u32::from),
            genesys_code: c.genesys_code,
            detail: c.detail,
        }
    }
}

impl From<CoreReport> for ScopeReport {
    fn from(r: CoreReport) -> Self {
        ScopeReport {
            can_close: r.can_close,
            grant_type: r.grant_type.as_str().to_string(),
            organization: r.organization.map(|e| EntityRef {
                id: e.id,
                name: e.name,
            }),
            oauth_client: r.oauth_client.map(|e| EntityRef {
                id: e.id,
                name: e.name,
            }),
            scopes: r.scopes,
            scopes_apply: r.scopes_apply,
            required_scopes: r.required_scopes,
            missing_scopes: r.missing_scopes,
            required_permissions: r.required_permissions,
            granted_permissions: r.granted_permissions,
            missing_permissions: r.missing_permissions,
            checks: r.checks.into_iter().map(AccessCheck::from).collect(),
            advice: r.advice,
            requests: r.requests,
        }
    }
}
