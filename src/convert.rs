//! `#[napi(object)]` option and result types, and their conversion to and
//! from the core's types. No decisions here: validation lives in the core.

use genesys_cleanup_core::access::{AccessCheck as CoreCheck, ScopeReport as CoreReport};
use genesys_cleanup_core::bulk::{
    BulkEntry, BulkOptions, BulkReport as CoreBulkReport, Counts, ProgressSink,
};
use genesys_cleanup_core::client::SweepReport as CoreSweepReport;
use genesys_cleanup_core::close::{
    CloseOptions as CoreCloseOptions, CloseResult as CoreCloseResult,
};
use genesys_cleanup_core::config::ConnectionOptions as CoreConnection;
use genesys_cleanup_core::discover::{FindOptions, IdleConversation as CoreIdle};
use genesys_cleanup_core::events::Event as CoreEvent;
use genesys_cleanup_core::options::{RawBulkSettings, RawCloseOptions, RawFindOptions};
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
    pub dry_run: Option<bool>,
    pub idle_for_ms: Option<f64>,
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
        RawCloseOptions {
            wrapup_code: self.wrapup_code.clone(),
            verify: self.verify,
            verify_timeout_ms: self.verify_timeout_ms,
            teardown_stuck: self.teardown_stuck,
            fast: self.fast,
            message_types: self.message_types.clone(),
            dry_run: self.dry_run,
            idle_for_ms: self.idle_for_ms,
        }
        .resolve()
    }
}

#[napi(object)]
pub struct CloseResult {
    pub conversation_id: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub skip_reason: Option<String>,
    pub last_activity_at: Option<String>,
    pub activity_source: Option<String>,
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
            skip_reason: r.skip_reason.map(|s| s.as_str().to_string()),
            last_activity_at: r.activity.as_ref().and_then(|a| a.last_at.clone()),
            activity_source: r.activity.map(|a| a.source.as_str().to_string()),
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

/// Bulk settings (the rest of the options object is a `CloseBehaviour`).
#[napi(object)]
#[derive(Default)]
pub struct BulkSettings {
    pub concurrency: Option<f64>,
    pub progress_interval_ms: Option<f64>,
}

/// Discovery settings for `findIdleConversations` and `sweep`.
#[napi(object)]
#[derive(Default)]
pub struct FindSettings {
    pub idle_for_ms: Option<f64>,
    pub lookback_ms: Option<f64>,
    pub page_size: Option<f64>,
    pub message_types: Option<Vec<String>>,
    pub limit: Option<f64>,
    pub dry_run: Option<bool>,
}

impl BulkSettings {
    pub fn to_core(
        &self,
        close: CoreCloseOptions,
        progress: Option<ProgressSink>,
    ) -> Result<BulkOptions, CoreError> {
        RawBulkSettings {
            concurrency: self.concurrency,
            progress_interval_ms: self.progress_interval_ms,
        }
        .resolve(close, progress)
    }
}

impl FindSettings {
    pub fn to_core(&self) -> Result<FindOptions, CoreError> {
        RawFindOptions {
            idle_for_ms: self.idle_for_ms,
            lookback_ms: self.lookback_ms,
            page_size: self.page_size,
            message_types: self.message_types.clone(),
            limit: self.limit,
        }
        .resolve()
    }
}

/// The error of one failed id in a bulk report.
#[napi(object)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    pub status: Option<u32>,
    pub genesys_code: Option<String>,
    pub correlation_id: Option<String>,
    pub missing_permissions: Option<Vec<String>>,
    pub missing_scopes: Option<Vec<String>>,
    pub retry_after_ms: Option<f64>,
}

impl From<CoreError> for ErrorInfo {
    fn from(e: CoreError) -> Self {
        ErrorInfo {
            code: e.code.as_str().to_string(),
            message: e.message,
            status: e.status.map(u32::from),
            genesys_code: e.genesys_code,
            correlation_id: e.correlation_id,
            missing_permissions: (!e.missing_permissions.is_empty())
                .then_some(e.missing_permissions),
            missing_scopes: (!e.missing_scopes.is_empty()).then_some(e.missing_scopes),
            retry_after_ms: e.retry_after_ms.map(|v| v as f64),
        }
    }
}

/// One input id's result in a bulk run.
#[napi(object)]
pub struct BulkResult {
    pub conversation_id: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub skip_reason: Option<String>,
    pub last_activity_at: Option<String>,
    pub activity_source: Option<String>,
    pub method: Option<String>,
    pub participants_disconnected: Option<u32>,
    pub requests: Option<u32>,
    pub retries: Option<u32>,
    pub correlation_ids: Option<Vec<String>>,
    pub elapsed_ms: Option<f64>,
    pub error: Option<ErrorInfo>,
}

impl From<BulkEntry> for BulkResult {
    fn from(e: BulkEntry) -> Self {
        let outcome = e.outcome().to_string();
        let bare =
            |conversation_id: String, outcome: String, error: Option<ErrorInfo>| BulkResult {
                conversation_id,
                outcome,
                reason: None,
                skip_reason: None,
                last_activity_at: None,
                activity_source: None,
                method: None,
                participants_disconnected: None,
                requests: None,
                retries: None,
                correlation_ids: None,
                elapsed_ms: None,
                error,
            };
        match e {
            BulkEntry::Done(r) => {
                let r = CloseResult::from(r);
                BulkResult {
                    conversation_id: r.conversation_id,
                    outcome: r.outcome,
                    reason: r.reason,
                    skip_reason: r.skip_reason,
                    last_activity_at: r.last_activity_at,
                    activity_source: r.activity_source,
                    method: Some(r.method),
                    participants_disconnected: Some(r.participants_disconnected),
                    requests: Some(r.requests),
                    retries: Some(r.retries),
                    correlation_ids: Some(r.correlation_ids),
                    elapsed_ms: Some(r.elapsed_ms),
                    error: None,
                }
            }
            BulkEntry::Failed {
                conversation_id,
                error,
            } => bare(conversation_id, outcome, Some(error.into())),
            BulkEntry::Duplicate { conversation_id } | BulkEntry::Aborted { conversation_id } => {
                bare(conversation_id, outcome, None)
            }
        }
    }
}

/// Counts so far, for `onProgress`.
#[napi(object)]
#[derive(Clone, Copy)]
pub struct BulkProgress {
    pub done: u32,
    pub total: u32,
    pub closed: u32,
    pub already_closed: u32,
    pub not_found: u32,
    pub skipped: u32,
    pub would_close: u32,
    pub duplicate: u32,
    pub failed: u32,
    pub aborted: u32,
}

impl From<Counts> for BulkProgress {
    fn from(c: Counts) -> Self {
        BulkProgress {
            done: c.done,
            total: c.total,
            closed: c.closed,
            already_closed: c.already_closed,
            not_found: c.not_found,
            skipped: c.skipped,
            would_close: c.would_close,
            duplicate: c.duplicate,
            failed: c.failed,
            aborted: c.aborted,
        }
    }
}

#[napi(object)]
pub struct BulkReport {
    pub total: u32,
    pub closed: u32,
    pub already_closed: u32,
    pub not_found: u32,
    pub skipped: u32,
    pub would_close: u32,
    pub duplicate: u32,
    pub failed: u32,
    pub aborted: u32,
    pub results: Vec<BulkResult>,
    pub requests: u32,
    pub retries: u32,
    pub rate_limited: u32,
    pub elapsed_ms: f64,
}

impl From<CoreBulkReport> for BulkReport {
    fn from(r: CoreBulkReport) -> Self {
        let c = r.counts;
        BulkReport {
            total: c.total,
            closed: c.closed,
            already_closed: c.already_closed,
            not_found: c.not_found,
            skipped: c.skipped,
            would_close: c.would_close,
            duplicate: c.duplicate,
            failed: c.failed,
            aborted: c.aborted,
            results: r.results.into_iter().map(BulkResult::from).collect(),
            requests: r.totals.requests,
            retries: r.totals.retries,
            rate_limited: r.totals.rate_limited,
            elapsed_ms: r.elapsed_ms,
        }
    }
}

#[napi(object)]
pub struct IdleConversation {
    pub conversation_id: String,
    pub started_at: String,
    pub last_activity_at: Option<String>,
    pub activity_source: Option<String>,
    pub participants: u32,
    pub idle_ms: Option<f64>,
    pub confirmed: bool,
    pub unconfirmed_reason: Option<String>,
}

impl From<CoreIdle> for IdleConversation {
    fn from(c: CoreIdle) -> Self {
        IdleConversation {
            conversation_id: c.conversation_id,
            started_at: c.started_at,
            last_activity_at: c.last_activity_at,
            activity_source: c.activity_source.map(|s| s.as_str().to_string()),
            participants: c.participants,
            idle_ms: c.idle_ms,
            confirmed: c.confirmed,
            unconfirmed_reason: c.unconfirmed_reason,
        }
    }
}

#[napi(object)]
pub struct SweepReport {
    pub dry_run: bool,
    pub scanned: u32,
    pub candidates: u32,
    pub found: Vec<IdleConversation>,
    pub spared_active: u32,
    pub close: BulkReport,
    pub requests: u32,
    pub retries: u32,
    pub rate_limited: u32,
    pub elapsed_ms: f64,
}

impl From<CoreSweepReport> for SweepReport {
    fn from(r: CoreSweepReport) -> Self {
        SweepReport {
            dry_run: r.dry_run,
            scanned: r.scanned,
            candidates: r.candidates,
            found: r.found.into_iter().map(IdleConversation::from).collect(),
            spared_active: r.spared_active,
            close: r.bulk.into(),
            requests: r.totals.requests,
            retries: r.totals.retries,
            rate_limited: r.totals.rate_limited,
            elapsed_ms: r.elapsed_ms,
        }
    }
}

/// A structured event for `onEvent` (never an id, a token or a secret).
#[napi(object)]
pub struct ClientEvent {
    #[napi(ts_type = "'request' | 'response' | 'retry' | 'rateLimitWait' | 'tokenRefresh'")]
    pub kind: String,
    pub method: String,
    pub route: String,
    pub attempt: u32,
    pub status: Option<u32>,
    pub duration_ms: Option<f64>,
    pub wait_ms: Option<f64>,
    pub correlation_id: Option<String>,
    pub reason: Option<String>,
}

impl From<CoreEvent> for ClientEvent {
    fn from(e: CoreEvent) -> Self {
        ClientEvent {
            kind: e.kind.as_str().to_string(),
            method: e.method.to_string(),
            route: e.route.to_string(),
            attempt: e.attempt,
            status: e.status.map(u32::from),
            duration_ms: e.duration_ms,
            wait_ms: e.wait_ms,
            correlation_id: e.correlation_id,
            reason: e.reason,
        }
    }
}
