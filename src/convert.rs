//! `#[napi(object)]` option and result types, and their conversion to and
//! from the core's types. No decisions here: validation lives in the core.

use genesys_cleanup_core::access::{AccessCheck as CoreCheck, ScopeReport as CoreReport};
use genesys_cleanup_core::close::{CloseOptions as CoreCloseOptions, CloseResult as CoreCloseResult};
use genesys_cleanup_core::config::{duration_ms, ConnectionOptions as CoreConnection};
use genesys_cleanup_core::Error as CoreError;
use napi_derive::napi;
use secrecy::SecretString;

/// Where and how to connect.
#[napi(object)]
#[derive(Default)]
pub struct ConnectionOptions {
    pub region: Option<String>,
    pub base_url: Option<String>,
    pub access_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub timeout_ms: Option<f64>,
    pub max_retries: Option<f64>,
    pub max_retry_after_ms: Option<f64>,
    pub deadline_ms: Option<f64>,
}

/// What to do when closing (the per-call part of `CloseOptions`).
#[napi(object)]
#[derive(Default)]
pub struct CloseBehaviour {
    pub wrapup_code: Option<String>,
    pub verify: Option<bool>,
    pub verify_timeout_ms: Option<f64>,
    pub teardown_stuck: Option<bool>,
    pub fast: Option<bool>,
    pub message_types: Option<Vec<String>>,
}

impl ConnectionOptions {
    pub fn to_core(&self) -> CoreConnection {
        CoreConnection {
            region: self.region.clone(),
            base_url: self.base_url.clone(),
            access_token: self.access_token.clone().map(SecretString::from),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone().map(SecretString::from),
            timeout_ms: self.timeout_ms,
            max_retries: self.max_retries,
            max_retry_after_ms: self.max_retry_after_ms,
            deadline_ms: self.deadline_ms,
        }
    }
}

impl CloseBehaviour {
    pub fn to_core(&self) -> Result<CoreCloseOptions, CoreError> {
        let defaults = CoreCloseOptions::default();
        Ok(CoreCloseOptions {
            wrapup_code: self.wrapup_code.clone(),
            verify: self.verify.unwrap_or(false),
            verify_timeout: match self.verify_timeout_ms {
                None => defaults.verify_timeout,
                v => duration_ms("verifyTimeoutMs", v, 0.0, 0.0, 600_000.0)?,
            },
            teardown_stuck: self.teardown_stuck.unwrap_or(false),
            fast: self.fast.unwrap_or(false),
            message_types: self.message_types.clone().unwrap_or(defaults.message_types),
        })
    }
}

#[napi(object)]
pub struct CloseResult {
    pub conversation_id: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub method: String,
    pub participants_disconnected: u32,
    pub requests: u32,
    pub retries: u32,
    pub correlation_ids: Vec<String>,
    pub elapsed_ms: f64,
}

impl From<CoreCloseResult> for CloseResult {
    fn from(r: CoreCloseResult) -> Self {
        CloseResult {
            conversation_id: r.conversation_id,
            outcome: r.outcome.as_str().to_string(),
            reason: r.reason,
            method: r.method.as_str().to_string(),
            participants_disconnected: r.participants_disconnected,
            requests: r.stats.requests,
            retries: r.stats.retries,
            correlation_ids: r.stats.correlation_ids,
            elapsed_ms: r.elapsed_ms,
        }
    }
}

#[napi(object)]
pub struct AccessCheck {
    pub name: String,
    pub ok: bool,
    pub status: Option<u32>,
    pub genesys_code: Option<String>,
    pub detail: String,
}

#[napi(object)]
pub struct EntityRef {
    pub id: String,
    pub name: Option<String>,
}

#[napi(object)]
pub struct ScopeReport {
    pub can_close: bool,
    pub grant_type: String,
    pub organization: Option<EntityRef>,
    pub oauth_client: Option<EntityRef>,
    pub scopes: Vec<String>,
    pub scopes_apply: bool,
    pub required_scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub required_permissions: Vec<String>,
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
            organization: r.organization.map(|e| EntityRef { id: e.id, name: e.name }),
            oauth_client: r.oauth_client.map(|e| EntityRef { id: e.id, name: e.name }),
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
