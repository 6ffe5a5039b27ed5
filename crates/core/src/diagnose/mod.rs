//! `checkScopes`: can this token end web messaging conversations, and if not,
//! exactly why. Three steps, kept apart so that the decision is tested without
//! HTTP (like `close.rs` `decide`):
//! - [`gather`] makes the requests and keeps what the API answered, as
//!   [`Evidence`]: token introspection, the role permissions, and
//!   side-effect-free probes (a nil-UUID conversation: 404 means the permission
//!   gate was passed, 403 names what is missing);
//! - [`verdict`] decides from the evidence alone; the probes decide, the
//!   permissions explain (and stand in only where a probe was inconclusive);
//! - [`advice`] says what to do, from the evidence and the verdict. A sentence
//!   that names a request states the outcome of that request's check, worded
//!   from the same answer the check is built from, so the two cannot disagree.

mod advice;
mod evidence;
mod gather;
#[cfg(test)]
mod tests;
mod verdict;

pub use advice::advice;
pub use evidence::{ConversationRead, Evidence, Probe, ProbeKind, Reason, Refusal};
pub use gather::gather;
pub use verdict::{verdict, ConversationAccess, EndAccess, ReadAccess, Verdict, Way};

use crate::error::{Division, Error};
use crate::genesys::divisions::HeldPermission;
use crate::genesys::message_types::default_message_types;
use crate::genesys::model::GrantType;
use crate::genesys::permissions::{END_PERMISSIONS, REQUIRED_PERMISSIONS, REQUIRED_SCOPES};
use crate::http::transport::Transport;
use crate::native::{self, TimersOptions, TimersReport};
use crate::options::Validated;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// Options of `checkScopes` beyond the connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeOptions {
    /// Diagnose this conversation too: read it, and compare its divisions
    /// with those in which the token holds a permission that ends it. The
    /// PATCH that would end it is never tried.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// Report Genesys's own timers too (`ScopeReport.timers`; default true),
    /// read with the same object's `TimersOptions`.
    #[serde(default = "report_timers")]
    pub timers: bool,
}

fn report_timers() -> bool {
    true
}

impl Default for ScopeOptions {
    fn default() -> Self {
        ScopeOptions {
            conversation_id: None,
            timers: report_timers(),
        }
    }
}

impl Validated for ScopeOptions {
    fn validated(self) -> Result<Self, Error> {
        Ok(ScopeOptions {
            conversation_id: match self.conversation_id {
                Some(raw) => Some(crate::genesys::ids::conversation_id(&raw)?),
                None => None,
            },
            timers: self.timers,
        })
    }
}

pub const NIL_UUID: &str = "00000000-0000-0000-0000-000000000000";
/// The scope an answer that circulates online invents (it exists neither as a
/// scope nor as a permission).
pub const INVENTED_SCOPE: &str = "conversation:webmessaging:write";

/// One probe or lookup the diagnosis made, with what it returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessCheck {
    pub name: String,
    /// The lookup answered, or the probe passed the permission gate.
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genesys_code: Option<String>,
    /// One sentence on what was asked and what came back.
    pub detail: String,
}

/// An organization or OAuth client: `{id, name?}`.
#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What `checkScopes` found: whether the token can close, and if not, why
/// and what to change.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeReport {
    pub can_close: bool,
    /// Watch mode can run: the token can close and can list the queues it
    /// subscribes to (`routing:queue:view`; `GET /api/v2/routing/queues`).
    pub can_watch: bool,
    pub grant_type: GrantType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Entity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<Entity>,
    pub scopes: Vec<String>,
    pub scopes_apply: bool,
    pub required_scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub required_permissions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_permissions: Option<Vec<String>>,
    pub missing_permissions: Vec<String>,
    /// Each permission that ends conversations, with the divisions it is
    /// held in (when the grants could be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_divisions: Option<Vec<HeldPermission>>,
    /// The divisions whose conversations this token can end (`*`: all), when
    /// it can end conversations and the grants could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_divisions: Option<Vec<Division>>,
    /// The one conversation asked about (`conversationId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationReport>,
    pub checks: Vec<AccessCheck>,
    pub advice: Vec<String>,
    pub requests: u32,
    /// Genesys's own timers (null with `timers: false`): which queues end
    /// idle conversations themselves, a deployment's settings, and advice.
    pub timers: Option<TimersReport>,
}

/// The diagnosis of one conversation: decided from its divisions and the
/// token's grants, without writing to it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationReport {
    pub conversation_id: String,
    /// `inReach`, `outOfReach`, `unknown`, `notFound` or `unreadable`:
    /// whether the token's grants reach it (`outOfReach` also when the token
    /// can end no conversation in any division).
    pub access: ConversationAccess,
    /// The divisions it belongs to (empty when it could not be read).
    pub divisions: Vec<Division>,
    /// Its participants' message types, as the read showed them (empty when
    /// it could not be read).
    pub message_types: Vec<String>,
    /// `messageType` when none of its message types is one a close ends by
    /// default (`messageTypes` `['webmessaging']`): `closeConversation`
    /// without `messageTypes` naming its type skips it, whatever the token
    /// may do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<crate::close::SkipReason>,
    /// Same as the report's `canClose`: false when `access` is `outOfReach`
    /// or `notFound`, when `skipReason` is set, or when the token cannot end
    /// conversations at all.
    pub can_close: bool,
}

/// Gathers the evidence, then decides and advises from it.
pub async fn check_scopes(
    t: &Transport,
    opts: &ScopeOptions,
    timer_options: &TimersOptions,
    cancel: &CancellationToken,
) -> Result<ScopeReport, Error> {
    let mut r = report(
        gather(
            t,
            cancel,
            opts.conversation_id.as_deref(),
            &default_message_types(),
        )
        .await?,
    );
    if opts.timers {
        let timers = native::queue_timers(t, timer_options, cancel).await?;
        r.requests += timers.requests;
        r.timers = Some(timers);
    }
    Ok(r)
}

/// The report of a diagnosis: the verdict, the checks it rests on and the
/// advice. Pure.
pub fn report(e: Evidence) -> ScopeReport {
    let v = verdict(&e);
    let mut advice = advice(&e, &v);
    let queues_listed = e.queues.as_ref().map(|l| l.found.as_ref().map(|_| ()));
    if let (true, Some(Err(err))) = (v.can_close, &queues_listed) {
        advice.push(watch_advice(err));
    }
    let can_watch = v.can_close && matches!(queues_listed, Some(Ok(())));
    let checks = e.checks();
    let permission_divisions = e
        .holdings
        .as_ref()
        .map(|h| h.per_permission(&END_PERMISSIONS));
    let close_divisions = match &v.reach {
        Some(r) if v.end.allows() && !r.is_empty() => Some(r.as_list()),
        _ => None,
    };
    let conversation = match (&e.conversation, v.conversation) {
        (Some(read), Some(access)) => Some(ConversationReport {
            conversation_id: read.id().to_string(),
            access,
            divisions: match read {
                ConversationRead::Found { divisions, .. } => divisions.clone(),
                _ => Vec::new(),
            },
            message_types: match read {
                ConversationRead::Found { message_types, .. } => message_types.clone(),
                _ => Vec::new(),
            },
            skip_reason: v
                .type_skipped
                .then_some(crate::close::SkipReason::MessageType),
            can_close: v.can_close,
        }),
        _ => None,
    };
    let grant_type = e.grant_type();
    let scopes_apply = e.scopes_apply();
    let client = e.token.oauth_client.map(|c| Entity {
        id: c.id,
        name: c.name,
    });
    ScopeReport {
        can_close: v.can_close,
        can_watch,
        grant_type,
        organization: e.token.organization.map(|o| Entity {
            id: o.id,
            name: o.name,
        }),
        oauth_client: client,
        scopes: e.token.authorized_scope,
        scopes_apply,
        required_scopes: owned(&REQUIRED_SCOPES),
        missing_scopes: v.missing_scopes,
        required_permissions: owned(&REQUIRED_PERMISSIONS),
        granted_permissions: e.granted,
        missing_permissions: v.missing_permissions,
        permission_divisions,
        close_divisions,
        conversation,
        checks,
        advice,
        requests: e.requests,
        timers: None,
    }
}

/// What to do when watch mode cannot list queues (closing works).
fn watch_advice(e: &Error) -> String {
    let how = if e.status == Some(403) {
        "was refused"
    } else {
        "failed"
    };
    format!(
        "Watch mode (CleanupClient.watch, genesys-cleanup watch) lists the queues it subscribes to with GET /api/v2/routing/queues, which {how}: grant routing:queue:view to the same role, or pass the queues to watch by id."
    )
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `a` or `one of a, b`: most permission lists are "any one of".
fn any_of(items: &[String]) -> String {
    match items {
        [one] => one.clone(),
        _ => format!("one of {}", items.join(", ")),
    }
}
