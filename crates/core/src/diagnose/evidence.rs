//! What the API answered, kept as typed facts: the verdict and the advice are
//! decided from these, and the report's checks are worded from them.

use super::{any_of, AccessCheck, INVENTED_SCOPE};
use crate::error::{Division, Error, ErrorCode};
use crate::genesys::divisions::{describe, Holdings};
use crate::genesys::model::{GrantType, OAuthClientInfo, TokenInfo};
use crate::session::grants::{Lookup, LookupKind};

/// Everything a diagnosis learned from the API. Built by [`super::gather`], or
/// by hand in tests.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// `GET /api/v2/tokens/me`; the default (nothing known) when it failed.
    pub token: TokenInfo,
    /// The lookups made, in order: `tokenInfo`, then those for the permissions.
    pub lookups: Vec<Lookup>,
    /// The permissions the roles grant, when every lookup for them answered.
    pub granted: Option<Vec<String>>,
    /// Where the roles are granted (division by division), when known.
    pub holdings: Option<Holdings>,
    pub read: Probe,
    pub end: Probe,
    /// The per-participant fallback: probed only when `end` did not pass.
    pub participant: Option<Probe>,
    /// The one conversation asked about (`checkScopes({ conversationId })`).
    pub conversation: Option<ConversationRead>,
    /// The question, not an answer: the message types a close would end
    /// (`messageTypes`, default `['webmessaging']`), to judge that conversation by.
    pub message_types: Vec<String>,
    /// Watch mode's queue listing (`GET /api/v2/routing/queues`,
    /// `routing:queue:view`): apart from `lookups`, since it says nothing
    /// about closing. `None` when not asked.
    pub queues: Option<Lookup>,
    /// Requests made, retries included.
    pub requests: u32,
}

/// The read of the conversation a diagnosis was asked about. Only read: the
/// PATCH that would end it is a write, so it is never tried.
#[derive(Debug, Clone)]
pub enum ConversationRead {
    Found {
        id: String,
        divisions: Vec<Division>,
        /// Its participants' message types (`type`), each once, in order.
        message_types: Vec<String>,
    },
    NotFound {
        id: String,
    },
    Failed {
        id: String,
        error: Error,
    },
}

/// A side-effect-free request on the nil conversation id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Read,
    End,
    Participant,
}

/// The answer to one probe.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// 404 on the nil UUID: every gate passed.
    Passed,
    /// 403: a gate refused.
    Refused(Refusal),
    /// Network trouble or an unexpected answer: says nothing about access.
    Inconclusive(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub genesys_code: Option<String>,
    pub reason: Reason,
}

/// What a refusal named, taken from the error's fields (never its message).
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// An OAuth scope (any one of these).
    Scope(Vec<String>),
    /// A role permission (any one of these; the list may be empty).
    Permission(Vec<String>),
    /// A 403 that names neither.
    Other,
}

/// A lookup as one check of the report.
fn lookup_check(lookup: &Lookup) -> AccessCheck {
    let name = lookup.kind.name().to_string();
    match &lookup.found {
        Ok(n) => AccessCheck {
            name,
            ok: true,
            status: Some(200),
            genesys_code: None,
            detail: found_words(lookup.kind, *n),
        },
        Err(e) => AccessCheck {
            name,
            ok: false,
            status: e.status,
            genesys_code: e.genesys_code.clone(),
            detail: format!("{} failed: {}", lookup.kind.request(), failure(e)),
        },
    }
}

/// What a lookup that answered found, in a sentence.
fn found_words(kind: LookupKind, n: usize) -> String {
    match kind {
        LookupKind::TokenInfo => "GET /api/v2/tokens/me answered.".to_string(),
        LookupKind::UserPermissions => format!("The user has {n} permission(s) from roles."),
        LookupKind::ClientRoles => format!("The OAuth client has {n} role(s)."),
        LookupKind::RolePermissions => {
            format!("The client's roles grant {n} permission(s).")
        }
        LookupKind::UserGrants => {
            format!("The user has {n} role grant(s), each in a division.")
        }
        LookupKind::Queues => {
            format!("Watch mode can list the queues to subscribe to ({n} queue(s)).")
        }
    }
}

/// Why a lookup failed, in a few words.
pub(super) fn failure(e: &Error) -> String {
    if e.code == ErrorCode::MissingPermission && !e.missing_permissions.is_empty() {
        format!("missing {}.", any_of(&e.missing_permissions))
    } else {
        e.message.clone()
    }
}

impl ProbeKind {
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::Read => "readConversation",
            ProbeKind::End => "endConversation",
            ProbeKind::Participant => "endParticipant",
        }
    }

    /// The request, as checks and advice name it.
    pub fn request(self) -> &'static str {
        match self {
            ProbeKind::Read => "GET /api/v2/conversations/messages/{id}",
            ProbeKind::End => {
                "PATCH /api/v2/conversations/messages/{id} {\"state\":\"disconnected\"}"
            }
            ProbeKind::Participant => {
                "PATCH /api/v2/conversations/messages/{id}/participants/{participantId}"
            }
        }
    }

    fn label(self) -> String {
        match self {
            ProbeKind::Participant => format!("{} (fallback)", self.request()),
            _ => self.request().to_string(),
        }
    }
}

impl Refusal {
    /// The refusal a 403 error describes.
    pub fn from_error(e: &Error) -> Refusal {
        Refusal {
            status: e.status.unwrap_or(403),
            genesys_code: e.genesys_code.clone(),
            reason: match e.code {
                ErrorCode::MissingScope => Reason::Scope(e.missing_scopes.clone()),
                ErrorCode::MissingPermission => Reason::Permission(e.missing_permissions.clone()),
                _ => Reason::Other,
            },
        }
    }

    /// What was missing, in a few words.
    fn why(&self) -> String {
        match &self.reason {
            Reason::Scope(s) => format!("a missing OAuth scope, one of [{}]", s.join(", ")),
            Reason::Permission(p) if !p.is_empty() => format!("missing permission, {}", any_of(p)),
            _ => match &self.genesys_code {
                Some(code) => format!("{} {code}", self.status),
                None => self.status.to_string(),
            },
        }
    }
}

impl Probe {
    pub fn refused_for_scope(&self) -> bool {
        matches!(
            self,
            Probe::Refused(Refusal {
                reason: Reason::Scope(_),
                ..
            })
        )
    }

    /// What the API did with the probe of `kind`, as a clause for advice. The
    /// check of the same probe is worded from the same answer.
    pub fn outcome(&self, kind: ProbeKind) -> String {
        let request = kind.request();
        match self {
            Probe::Passed => format!("the API let {request} past its permission checks"),
            Probe::Refused(r) => format!("the API refused {request} ({})", r.why()),
            Probe::Inconclusive(why) => format!("{request} was inconclusive ({why})"),
        }
    }

    fn check(&self, kind: ProbeKind) -> AccessCheck {
        let (name, what) = (kind.name().to_string(), kind.label());
        match self {
            Probe::Passed => AccessCheck {
                name,
                ok: true,
                status: Some(404),
                genesys_code: Some("not.found".into()),
                detail: format!(
                    "{what} with the nil id answered 404 not.found: access is granted."
                ),
            },
            Probe::Refused(r) => AccessCheck {
                name,
                ok: false,
                status: Some(r.status),
                genesys_code: r.genesys_code.clone(),
                detail: match &r.reason {
                    Reason::Scope(s) => format!(
                        "{what} was refused for a missing OAuth scope (needs one of [{}]).",
                        s.join(", ")
                    ),
                    Reason::Permission(p) if !p.is_empty() => {
                        format!("{what} was refused: missing permission, {}.", any_of(p))
                    }
                    _ => format!("{what} was refused ({}).", r.status),
                },
            },
            Probe::Inconclusive(why) => AccessCheck {
                name,
                ok: false,
                status: None,
                genesys_code: None,
                detail: format!("{what}: inconclusive ({why})."),
            },
        }
    }
}

impl Evidence {
    pub fn client(&self) -> Option<&OAuthClientInfo> {
        self.token.oauth_client.as_ref()
    }

    pub fn grant_type(&self) -> GrantType {
        self.token.grant_type()
    }

    /// The token's own scopes (`authorizedScope`).
    pub fn scopes(&self) -> &[String] {
        &self.token.authorized_scope
    }

    /// Scopes do not apply to client-credentials clients; their roles do.
    pub fn scopes_apply(&self) -> bool {
        self.grant_type() != GrantType::ClientCredentials
    }

    /// The probes made, in order.
    pub fn probes(&self) -> impl Iterator<Item = (ProbeKind, &Probe)> {
        [
            (ProbeKind::Read, Some(&self.read)),
            (ProbeKind::End, Some(&self.end)),
        ]
        .into_iter()
        .chain([(ProbeKind::Participant, self.participant.as_ref())])
        .filter_map(|(k, p)| p.map(|p| (k, p)))
    }

    /// The first lookup that failed, if any.
    pub fn failed_lookup(&self) -> Option<(LookupKind, &Error)> {
        self.lookups
            .iter()
            .find_map(|l| l.found.as_ref().err().map(|e| (l.kind, e)))
    }

    /// True when the caller holds the invented name somewhere we can see it
    /// (the token's scopes, the client's allowed scopes, the permissions).
    pub fn names_invented_scope(&self) -> bool {
        let client_scopes = self.client().map(|c| c.scope.as_slice()).unwrap_or(&[]);
        let granted = self.granted.as_deref().unwrap_or(&[]);
        [self.scopes(), client_scopes, granted]
            .iter()
            .any(|list| list.iter().any(|s| s == INVENTED_SCOPE))
    }

    /// The report's checks: one per lookup, one per probe, then the
    /// conversation read.
    pub fn checks(&self) -> Vec<AccessCheck> {
        let lookups = self.lookups.iter().map(lookup_check);
        lookups
            .chain(self.probes().map(|(kind, p)| p.check(kind)))
            .chain(self.conversation.as_ref().map(ConversationRead::check))
            .chain(self.queues.iter().map(lookup_check))
            .collect()
    }
}

impl ConversationRead {
    pub fn id(&self) -> &str {
        match self {
            ConversationRead::Found { id, .. }
            | ConversationRead::NotFound { id }
            | ConversationRead::Failed { id, .. } => id,
        }
    }

    /// What the read answered, as a clause for advice; the check of the
    /// read is worded from the same answer.
    pub fn outcome(&self) -> String {
        let request = format!("GET /api/v2/conversations/messages/{}", self.id());
        match self {
            ConversationRead::Found { divisions, .. } if divisions.is_empty() => {
                format!("{request} answered, listing no divisions")
            }
            ConversationRead::Found { divisions, .. } => {
                format!("{request} answered: it belongs to {}", describe(divisions))
            }
            ConversationRead::NotFound { .. } => {
                format!("{request} found no such message conversation (404)")
            }
            ConversationRead::Failed { error, .. } => {
                format!("{request} failed: {}", failure(error).trim_end_matches('.'))
            }
        }
    }

    fn check(&self) -> AccessCheck {
        let (ok, status, genesys_code) = match self {
            ConversationRead::Found { .. } => (true, Some(200), None),
            ConversationRead::NotFound { .. } => (false, Some(404), Some("not.found".into())),
            ConversationRead::Failed { error, .. } => {
                (false, error.status, error.genesys_code.clone())
            }
        };
        AccessCheck {
            name: "conversation".into(),
            ok,
            status,
            genesys_code,
            detail: format!(
                "{} (read only: the PATCH that would end it was not tried).",
                self.outcome()
            ),
        }
    }
}
