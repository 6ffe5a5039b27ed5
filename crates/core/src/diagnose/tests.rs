//! Table tests: every seeded client and token of the emulator, with the
//! evidence written by hand as the emulator answers it (scope, then
//! permission, each "any of"; see docs/emulator.md "Seeded data"),
//! plus the cases the emulator cannot produce. Every report is also held to
//! the rule that its advice never contradicts one of its checks.

use super::*;
use crate::error::ErrorCode;
use crate::genesys::model::{NamedEntity, OAuthClientInfo, RoleDivision, TokenInfo};
use crate::genesys::permissions::{
    permission_covers, PARTICIPANT_PERMISSIONS, REQUIRED_PERMISSIONS,
};
use crate::session::grants::{Lookup, LookupKind};

const DISCONNECT: &str = "conversation:communication:disconnect";
const PARK: &str = "conversation:message:park";
const WRAPUP: &str = "conversation:participant:wrapup";
const VIEW: &str = "conversation:communication:view";
const ANALYTICS: &str = "analytics:conversationDetail:view";
const CLIENT_VIEW: &str = "oauth:client:view";
const ROLE_VIEW: &str = "authorization:role:view";

// The emulator's seeded roles.
const CLEANUP: &[&str] = &[DISCONNECT, VIEW, ANALYTICS];
const READ_ONLY: &[&str] = &[VIEW, ANALYTICS];
const WRAP_UP_ONLY: &[&str] = &[WRAPUP, VIEW];
const INSPECTOR: &[&str] = &[CLIENT_VIEW, ROLE_VIEW];
/// `web-app`'s allowed scopes.
const WEB_APP: &[&str] = &["conversations", "conversations:readonly", "analytics"];

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn union(roles: &[&[&str]]) -> Vec<String> {
    let mut all: Vec<String> = roles.iter().flat_map(|r| strings(r)).collect();
    all.sort();
    all.dedup();
    all
}

fn token_info(
    client: &str,
    grant: &str,
    scopes: &[&str],
    allowed: &[&str],
    roles: Option<usize>,
) -> TokenInfo {
    let role = |i: usize| RoleDivision {
        role_id: format!("a0000000-0000-4000-8000-00000000000{i}"),
        division_id: Some("d0000000-0000-4000-8000-000000000001".into()),
    };
    TokenInfo {
        organization: Some(NamedEntity {
            id: "6f1f6b2e-0000-4000-8000-00000000000a".into(),
            name: Some("Emulated Org".into()),
        }),
        authorized_scope: strings(scopes),
        oauth_client: Some(OAuthClientInfo {
            id: client.into(),
            name: Some(client.into()),
            authorized_grant_type: Some(grant.into()),
            scope: strings(allowed),
            role_divisions: roles.map(|n| (1..=n).map(role).collect()),
        }),
    }
}

/// The emulator's 403 for missing permissions (several: any of them).
fn missing(perms: &[&str]) -> Error {
    let code = if perms.len() == 1 {
        "missing.permissions"
    } else {
        "missing.any.permissions"
    };
    let mut e = Error::new(ErrorCode::MissingPermission, "Missing permission (403).");
    e.status = Some(403);
    e.genesys_code = Some(code.into());
    e.missing_permissions = strings(perms);
    e
}

fn scope_error(scopes: &[&str]) -> Error {
    let mut e = Error::new(
        ErrorCode::MissingScope,
        "The token lacks an OAuth scope (403).",
    );
    e.status = Some(403);
    e.genesys_code = Some("app.not.authorized.for.scope".into());
    e.missing_scopes = strings(scopes);
    e
}

fn refused(e: Error) -> Probe {
    Probe::Refused(Refusal::from_error(&e))
}

fn lookup(kind: LookupKind, found: Result<usize, Error>) -> Lookup {
    Lookup { kind, found }
}

/// What the emulator answers a client-credentials client holding `roles`;
/// `divisions`: its config `tokenInfoRoleDivisions` (roles listed in tokens/me).
fn client_credentials(id: &str, roles: &[&[&str]], divisions: bool) -> Evidence {
    let perms = union(roles);
    let holds = |p: &str| perms.iter().any(|g| g == p);
    let token = token_info(
        id,
        "CLIENT-CREDENTIALS",
        &[],
        &[],
        divisions.then_some(roles.len()),
    );
    let mut lookups = vec![lookup(LookupKind::TokenInfo, Ok(0))];
    let mut granted = None;
    let roles_known = if divisions && !roles.is_empty() {
        true
    } else if holds(CLIENT_VIEW) {
        lookups.push(lookup(LookupKind::ClientRoles, Ok(roles.len())));
        true
    } else {
        lookups.push(lookup(
            LookupKind::ClientRoles,
            Err(missing(&[CLIENT_VIEW])),
        ));
        false
    };
    let mut holdings = None;
    if roles_known && (roles.is_empty() || holds(ROLE_VIEW)) {
        lookups.push(lookup(LookupKind::RolePermissions, Ok(perms.len())));
        granted = Some(perms.clone());
        // A client's role/division pairs carry division ids only.
        holdings = Some(in_home(roles, None));
    } else if roles_known {
        lookups.push(lookup(
            LookupKind::RolePermissions,
            Err(missing(&[ROLE_VIEW])),
        ));
    }
    let mut e = probed(token, lookups, granted, &perms, None);
    e.holdings = holdings;
    e
}

/// What the emulator answers a user token of `web-app` (scopes checked when `enforce`).
fn user(scopes: &[&str], roles: &[&[&str]], enforce: bool) -> Evidence {
    let perms = union(roles);
    let token = token_info("web-app", "CODE", scopes, WEB_APP, None);
    let lookups = vec![
        lookup(LookupKind::TokenInfo, Ok(0)),
        lookup(LookupKind::UserPermissions, Ok(perms.len())),
        lookup(LookupKind::UserGrants, Ok(roles.len())),
    ];
    let mut e = probed(
        token,
        lookups,
        Some(perms.clone()),
        &perms,
        enforce.then_some(scopes),
    );
    // authorization/subjects/me names each grant's division.
    e.holdings = Some(in_home(roles, Some("Home")));
    e
}

/// The emulator's grants: every role in Home.
fn in_home(roles: &[&[&str]], name: Option<&str>) -> crate::genesys::divisions::Holdings {
    crate::genesys::divisions::Holdings {
        grants: roles
            .iter()
            .map(|r| crate::genesys::divisions::HeldGrant {
                division: crate::error::Division::new(HOME_DIVISION, name),
                permissions: strings(r),
            })
            .collect(),
    }
}

const HOME_DIVISION: &str = "d0000000-0000-4000-8000-000000000001";

/// The probes as the emulator gates them: scope (user tokens, when enforced), then permission.
fn probed(
    token: TokenInfo,
    lookups: Vec<Lookup>,
    granted: Option<Vec<String>>,
    perms: &[String],
    scopes: Option<&[&str]>,
) -> Evidence {
    let gate = |need_scopes: &[&str], need: &[&str]| match scopes {
        Some(held) if !need_scopes.iter().any(|s| held.contains(s)) => {
            refused(scope_error(need_scopes))
        }
        _ if need.is_empty() || need.iter().any(|p| perms.iter().any(|g| g == p)) => Probe::Passed,
        _ => refused(missing(need)),
    };
    let end = gate(&["conversations"], &REQUIRED_PERMISSIONS);
    let participant =
        (end != Probe::Passed).then(|| gate(&["conversations"], &PARTICIPANT_PERMISSIONS));
    Evidence {
        requests: (lookups.len() + 3) as u32,
        token,
        lookups,
        granted,
        read: gate(&["conversations:readonly", "conversations"], &[]),
        end,
        participant,
        holdings: None,
        conversation: None,
        message_types: vec!["webmessaging".into()],
        queues: None,
    }
}

struct Case {
    name: String,
    evidence: Evidence,
    can_close: bool,
    end: EndAccess,
    /// Each check as `name+` (ok) or `name-`, in order.
    checks: &'static str,
    missing_permissions: Vec<String>,
    missing_scopes: Vec<String>,
    says: Vec<&'static str>,
    never_says: Vec<&'static str>,
    circulating: bool,
}

fn case(name: impl Into<String>, evidence: Evidence, end: EndAccess, checks: &'static str) -> Case {
    Case {
        name: name.into(),
        evidence,
        can_close: end.allows(),
        end,
        checks,
        missing_permissions: Vec::new(),
        missing_scopes: Vec::new(),
        says: Vec::new(),
        never_says: Vec::new(),
        circulating: false,
    }
}

impl Case {
    fn missing_permissions(mut self, p: &[&str]) -> Self {
        self.missing_permissions = strings(p);
        self
    }
    fn missing_scopes(mut self, s: &[&str]) -> Self {
        self.missing_scopes = strings(s);
        self
    }
    fn says(mut self, s: &[&'static str]) -> Self {
        self.says.extend(s);
        self
    }
    fn never_says(mut self, s: &[&'static str]) -> Self {
        self.never_says.extend(s);
        self
    }
    fn circulating(mut self) -> Self {
        self.circulating = true;
        self
    }
    fn cannot_close(mut self) -> Self {
        self.can_close = false;
        self
    }
}

const END: &str = "PATCH /api/v2/conversations/messages/{id} {\"state\":\"disconnected\"}";
const FALLBACK: &str = "PATCH /api/v2/conversations/messages/{id}/participants/{participantId}";

/// The seeded clients, by client id and by static token (answered alike), with
/// the roles in tokens/me (`tokenInfoRoleDivisions`) and without.
fn seeded_clients() -> Vec<Case> {
    let mut cases = Vec::new();
    for divisions in [false, true] {
        let pick =
            |without: &'static str, with: &'static str| if divisions { with } else { without };
        let names = |a: &str, b: &str| {
            [a, b].map(|n| format!("{n}, roleDivisions in tokens/me: {divisions}"))
        };
        for name in names("cleanup-client", "cc-cleanup-token") {
            let e = client_credentials("cleanup-client", &[CLEANUP, INSPECTOR], divisions);
            let checks = pick(
                "tokenInfo+ clientRoles+ rolePermissions+ readConversation+ endConversation+",
                "tokenInfo+ rolePermissions+ readConversation+ endConversation+",
            );
            cases.push(
                case(name, e, EndAccess::Passed(Way::Conversation), checks)
                    .says(&["can end", "let PATCH"]),
            );
        }
        for name in names("readonly-client", "cc-readonly-token") {
            let e = client_credentials("readonly-client", &[READ_ONLY, INSPECTOR], divisions);
            let checks = pick(
                "tokenInfo+ clientRoles+ rolePermissions+ readConversation+ endConversation- endParticipant-",
                "tokenInfo+ rolePermissions+ readConversation+ endConversation- endParticipant-",
            );
            cases.push(
                case(name, e, EndAccess::Refused, checks)
                    .missing_permissions(&[DISCONNECT, PARK])
                    .says(&[
                        "Grant OAuth client readonly-client a role holding one of",
                        "Scopes do not apply",
                    ])
                    .circulating(),
            );
        }
        for name in names("wrapup-client", "cc-wrapup-token") {
            let e = client_credentials("wrapup-client", &[WRAP_UP_ONLY], divisions);
            let checks = pick(
                "tokenInfo+ clientRoles- readConversation+ endConversation- endParticipant+",
                "tokenInfo+ rolePermissions- readConversation+ endConversation- endParticipant+",
            );
            let failed = pick(
                "(GET /api/v2/oauth/clients/{id} failed: missing oauth:client:view;",
                "(GET /api/v2/authorization/roles/{id} failed: missing authorization:role:view;",
            );
            cases.push(
                case(name, e, EndAccess::Passed(Way::Participant), checks)
                    .says(&[
                        "can end",
                        "per-participant fallback",
                        "The API refused PATCH",
                        "could not be listed",
                        failed,
                    ])
                    .never_says(&["let PATCH /api/v2/conversations/messages/{id} {"]),
            );
        }
        for name in names("bare-client", "bare-client (its token)") {
            let e = client_credentials("bare-client", &[], divisions);
            let checks =
                "tokenInfo+ clientRoles- readConversation+ endConversation- endParticipant-";
            cases.push(
                case(name, e, EndAccess::Refused, checks)
                    .missing_permissions(&[DISCONNECT, PARK])
                    .says(&[
                        "Grant OAuth client bare-client a role",
                        "could not be listed",
                        "rests on the API's own answers",
                    ])
                    .circulating(),
            );
        }
    }
    cases
}

/// The seeded user tokens (Agent Smith: Cleanup; Viewer Jones: Read only),
/// with scopes enforced and, for the one that lacks a scope, not.
fn seeded_users() -> Vec<Case> {
    let both = "tokenInfo+ userPermissions+ userGrants+ readConversation+ endConversation+";
    let refused = "tokenInfo+ userPermissions+ userGrants+ readConversation+ endConversation- endParticipant-";
    vec![
        case(
            "user-cleanup-token",
            user(&["conversations", "analytics"], &[CLEANUP], true),
            EndAccess::Passed(Way::Conversation),
            both,
        )
        .says(&["can end"]),
        case(
            "user-noscope-token",
            user(&["conversations:readonly"], &[CLEANUP], true),
            EndAccess::Refused,
            refused,
        )
        .missing_scopes(&["conversations"])
        .says(&[
            "Add the scope conversations to web-app's allowed scopes",
            "conversations:readonly is not enough",
        ])
        .never_says(&["Grant"]),
        case(
            "user-noscope-token, scopes not enforced",
            user(&["conversations:readonly"], &[CLEANUP], false),
            EndAccess::Passed(Way::Conversation),
            both,
        )
        .missing_scopes(&["conversations"])
        .says(&["does not seem to enforce scopes"]),
        case(
            "user-readonly-token",
            user(&["conversations"], &[READ_ONLY], true),
            EndAccess::Refused,
            refused,
        )
        .missing_permissions(&[DISCONNECT, PARK])
        .says(&[
            "Grant the user who signed in a role holding one of",
            "OAuth scope conversations",
        ])
        .circulating(),
    ]
}

fn inconclusive() -> Probe {
    Probe::Inconclusive("ERR_UPSTREAM: Genesys answered 503 while probing access".into())
}

fn forbidden() -> Probe {
    let mut e = Error::new(ErrorCode::Forbidden, "Genesys refused (403).");
    e.status = Some(403);
    e.genesys_code = Some("not.authorized".into());
    refused(e)
}

/// What the emulator cannot answer: outages, refusals it never gives.
fn unseeded() -> Vec<Case> {
    let cleanup = || client_credentials("cleanup-client", &[CLEANUP, INSPECTOR], false);
    let wrapup = || client_credentials("wrapup-client", &[WRAP_UP_ONLY], false);
    let down = |mut e: Evidence| {
        (e.read, e.end, e.participant) = (inconclusive(), inconclusive(), Some(inconclusive()));
        e
    };
    let mut unknown_token = cleanup();
    unknown_token.token = TokenInfo::default();
    unknown_token.granted = None;
    let mut upstream = Error::new(ErrorCode::Upstream, "Genesys answered 503.");
    upstream.status = Some(503);
    unknown_token.lookups = vec![lookup(LookupKind::TokenInfo, Err(upstream))];
    let mut inspected_wrapup =
        client_credentials("wrapup-client", &[WRAP_UP_ONLY, INSPECTOR], false);
    inspected_wrapup.participant = Some(inconclusive());
    let mut read_refused = cleanup();
    read_refused.read = refused(missing(&[VIEW]));
    let mut stale = cleanup();
    stale.end = refused(missing(&REQUIRED_PERMISSIONS));
    stale.participant = Some(refused(missing(&PARTICIPANT_PERMISSIONS)));
    let mut invented = user(&["conversations:readonly"], &[CLEANUP], true);
    invented
        .token
        .oauth_client
        .as_mut()
        .unwrap()
        .scope
        .push(INVENTED_SCOPE.into());
    let mut plain_403 = wrapup();
    (plain_403.end, plain_403.participant) = (forbidden(), Some(forbidden()));
    let mut held_scope = user(&["conversations"], &[CLEANUP], true);
    held_scope.end = refused(scope_error(&["conversations"]));
    held_scope.participant = Some(refused(scope_error(&["conversations"])));

    let all_failed = "tokenInfo+ clientRoles+ rolePermissions+ readConversation+ endConversation- endParticipant-";
    vec![
        case("Genesys down, permissions unknown", down(wrapup()), EndAccess::Unknown, "tokenInfo+ clientRoles- readConversation- endConversation- endParticipant-")
            .says(&["retry when Genesys is reachable", "could not be listed"])
            .never_says(&["Grant", "rests on the API's own answers"]),
        case("Genesys down, roles grant disconnect", down(cleanup()), EndAccess::Inferred(Way::Conversation), "tokenInfo+ clientRoles+ rolePermissions+ readConversation- endConversation- endParticipant-")
            .says(&["should be able to end", "was inconclusive"])
            .never_says(&["can end"]),
        case("Genesys down, roles grant neither", down(client_credentials("readonly-client", &[READ_ONLY, INSPECTOR], false)), EndAccess::Refused, "tokenInfo+ clientRoles+ rolePermissions+ readConversation- endConversation- endParticipant-")
            .missing_permissions(&[DISCONNECT, PARK])
            .says(&["the verdict rests on the token's roles", "Grant OAuth client readonly-client"])
            .circulating(),
        case("fallback inconclusive, roles grant wrap-up", inspected_wrapup, EndAccess::Inferred(Way::Participant), all_failed)
            .says(&["should be able to end", "per-participant fallback", "The API refused PATCH"]),
        case("tokens/me unreadable", unknown_token, EndAccess::Passed(Way::Conversation), "tokenInfo- readConversation+ endConversation+")
            .says(&["can end"])
            .never_says(&["could not be listed"]),
        case("read refused for a permission", read_refused, EndAccess::Passed(Way::Conversation), "tokenInfo+ clientRoles+ rolePermissions+ readConversation- endConversation+")
            .cannot_close()
            .says(&["The API refused GET", "grant a role holding conversation:communication:view"])
            .never_says(&["can end"]),
        case("refused although the roles grant it", stale, EndAccess::Refused, all_failed)
            .says(&["although the token's roles grant conversation:communication:disconnect:", "get a new token"])
            .never_says(&["Grant OAuth client"]),
        case("the invented scope among the client's scopes", invented, EndAccess::Refused, "tokenInfo+ userPermissions+ userGrants+ readConversation+ endConversation- endParticipant-")
            .missing_scopes(&["conversations"])
            .says(&["Add the scope conversations"])
            .circulating(),
        case("user token without any scope", user(&[], &[CLEANUP], true), EndAccess::Refused, "tokenInfo+ userPermissions+ userGrants+ readConversation- endConversation- endParticipant-")
            .missing_scopes(&["conversations"])
            .says(&["Add the scope conversations to web-app's"])
            .never_says(&["is not enough", "reads a conversation"]),
        case("a plain 403, permissions unknown", plain_403, EndAccess::Refused, "tokenInfo+ clientRoles- readConversation+ endConversation- endParticipant-")
            .missing_permissions(&[DISCONNECT, PARK])
            .circulating(),
        case("a scope refusal for a scope the token holds", held_scope, EndAccess::Refused, "tokenInfo+ userPermissions+ userGrants+ readConversation+ endConversation- endParticipant-")
            .says(&["although the token holds conversations"])
            .never_says(&["Add the scope"]),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = seeded_clients();
    cases.extend(seeded_users());
    cases.extend(unseeded());
    cases
}

fn signature(checks: &[AccessCheck]) -> String {
    let one = |c: &AccessCheck| format!("{}{}", c.name, if c.ok { "+" } else { "-" });
    checks.iter().map(one).collect::<Vec<_>>().join(" ")
}

/// Every request a check can stand for, by check name.
fn requests() -> Vec<(&'static str, &'static str)> {
    let lookups = [
        LookupKind::TokenInfo,
        LookupKind::UserPermissions,
        LookupKind::ClientRoles,
        LookupKind::RolePermissions,
        LookupKind::Queues,
    ];
    let probes = [ProbeKind::Read, ProbeKind::End, ProbeKind::Participant];
    let lookups = lookups.into_iter().map(|k| (k.name(), k.request()));
    lookups
        .chain(probes.into_iter().map(|k| (k.name(), k.request())))
        .chain([("userGrants", LookupKind::UserGrants.request())])
        .chain([("conversation", CONVERSATION_READ)])
        .collect()
}

const CONVERSATION_ID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const CONVERSATION_READ: &str =
    "GET /api/v2/conversations/messages/3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// Words that state a request's outcome.
const PASSED: [&str; 4] = ["past its", "accepted", "answered:", "answered,"];
const FAILED: [&str; 5] = ["refused", "inconclusive", "failed", "could not", "no such"];

/// Where the advice contradicts a check or the report: a sentence that names a
/// request must state the outcome its check shows (and name one request only).
fn contradictions(r: &ScopeReport) -> Vec<String> {
    let mut out = Vec::new();
    let ok_of = |name: &str| r.checks.iter().find(|c| c.name == name).map(|c| c.ok);
    for sentence in r.advice.iter().flat_map(|a| a.split(". ")) {
        let named: Vec<_> = requests()
            .into_iter()
            .filter(|(_, req)| sentence.contains(req))
            .collect();
        let [(name, req)] = named.as_slice() else {
            if named.len() > 1 {
                out.push(format!("{sentence:?} names several requests"));
            }
            continue;
        };
        let passed = PASSED.iter().any(|w| sentence.contains(w));
        let failed = FAILED.iter().any(|w| sentence.contains(w));
        match ok_of(name) {
            None => out.push(format!("{sentence:?} names {req}, which has no check")),
            Some(ok) if passed == failed || passed != ok => {
                out.push(format!("{sentence:?} misstates {req} (its check: ok={ok})"))
            }
            Some(_) => {}
        }
    }
    out.extend(report_contradictions(r));
    out
}

/// The advice against the report's own fields.
fn report_contradictions(r: &ScopeReport) -> Vec<String> {
    let all = r.advice.join(" ");
    let mut out = Vec::new();
    let mut fail = |bad: bool, why: &str| {
        if bad {
            out.push(why.to_string())
        }
    };
    fail(
        all.contains("can end") && !r.can_close,
        "says it can end, but canClose is false",
    );
    fail(
        r.can_close && !all.contains("can end") && !all.contains("should be able to end"),
        "canClose, but the advice does not say so",
    );
    fail(
        all.matches(INVENTED_SCOPE).count() > usize::from(!r.can_close),
        "the circulating answer twice, or in a passing report",
    );
    let granted = r.granted_permissions.as_deref().unwrap_or(&[]);
    let covered = r
        .missing_permissions
        .iter()
        .any(|m| granted.iter().any(|g| permission_covers(g, m)));
    fail(
        covered,
        "a permission called missing is granted by the roles",
    );
    let unlisted = r.granted_permissions.is_none() && r.grant_type != GrantType::Unknown;
    fail(
        all.contains("could not be listed") != unlisted,
        "says the permissions could not be listed, or hides it",
    );
    fail(
        r.scopes
            .iter()
            .any(|s| all.contains(&format!("Add the scope {s} "))),
        "asks to add a scope the token holds",
    );
    out
}

#[test]
fn every_seeded_client_and_token_and_more() {
    let cases = all_cases();
    assert_eq!(cases.len(), 16 + 4 + 11);
    for c in cases {
        let n = &c.name;
        let v = verdict(&c.evidence);
        assert_eq!(v.end, c.end, "{n}");
        let r = report(c.evidence);
        let all = r.advice.join("\n");
        assert_eq!(r.can_close, c.can_close, "{n}");
        assert_eq!(signature(&r.checks), c.checks, "{n}");
        assert_eq!(r.missing_permissions, c.missing_permissions, "{n}");
        assert_eq!(r.missing_scopes, c.missing_scopes, "{n}");
        for s in &c.says {
            assert!(all.contains(s), "{n}: the advice lacks {s:?}:\n{all}");
        }
        for s in &c.never_says {
            assert!(!all.contains(s), "{n}: the advice says {s:?}:\n{all}");
        }
        assert_eq!(
            all.contains(INVENTED_SCOPE),
            c.circulating,
            "{n}: the circulating answer:\n{all}"
        );
        assert_eq!(contradictions(&r), Vec::<String>::new(), "{n}:\n{all}");
    }
}

/// The checker catches what the old advice said: for wrapup-client, that the
/// conversation PATCH passed while its check shows it failed; and the
/// circulating answer twice.
#[test]
fn the_contradiction_checker_catches_the_old_advice() {
    let mut r = report(client_credentials("wrapup-client", &[WRAP_UP_ONLY], false));
    assert!(contradictions(&r).is_empty());
    r.advice.insert(0, format!("This token can end web messaging conversations: the API let {END} past its permission checks."));
    assert_eq!(contradictions(&r).len(), 1, "{:?}", contradictions(&r));
    let mut r = report(client_credentials(
        "readonly-client",
        &[READ_ONLY, INSPECTOR],
        false,
    ));
    let again = r.advice.last().unwrap().clone();
    r.advice.push(again);
    assert_eq!(
        contradictions(&r),
        vec!["the circulating answer twice, or in a passing report"]
    );
    let mut r = report(client_credentials(
        "readonly-client",
        &[READ_ONLY, INSPECTOR],
        false,
    ));
    r.advice.push(format!("Only {FALLBACK} was refused."));
    assert!(
        contradictions(&r).is_empty(),
        "the fallback was refused: true"
    );
    r.advice
        .push(format!("The API let {FALLBACK} past its checks."));
    assert_eq!(contradictions(&r).len(), 1);
}

#[test]
fn permissions_come_from_the_error_fields_not_its_message() {
    let mut e = missing(&[CLIENT_VIEW]);
    e.message = "Missing permission: grant a role holding [decoy:from:message].".into();
    let mut evidence = client_credentials("bare-client", &[], false);
    evidence.lookups[1].found = Err(e.clone());
    let detail = &report(evidence.clone()).checks[1].detail;
    assert!(
        detail.ends_with("failed: missing oauth:client:view."),
        "{detail}"
    );
    // Without the field, the message is quoted as it is, never mined for names.
    e.missing_permissions.clear();
    evidence.lookups[1].found = Err(e.clone());
    let r = report(evidence);
    let said = format!("{} {}", r.checks[1].detail, r.advice.join(" "));
    assert!(!said.contains("missing decoy"), "{said}");
    assert_eq!(
        Refusal::from_error(&e).reason,
        Reason::Permission(Vec::new())
    );
}

#[test]
fn grant_types() {
    assert_eq!(
        GrantType::from_genesys(Some("CLIENT-CREDENTIALS")),
        GrantType::ClientCredentials
    );
    assert_eq!(GrantType::from_genesys(Some("CODE")), GrantType::User);
    assert_eq!(
        GrantType::from_genesys(Some("SAML2-BEARER")),
        GrantType::User
    );
    assert_eq!(GrantType::from_genesys(None), GrantType::Unknown);
}

mod divisions {
    //! Division-scoped grants: the verdict on one conversation, decided from
    //! its divisions and the grants (never by writing), and the advice held
    //! to its checks.
    use super::*;
    use crate::error::Division;
    use crate::genesys::divisions::{HeldGrant, Holdings};

    const HOME: &str = "d0000000-0000-4000-8000-000000000001";
    const SALES: &str = "d5a1e500-0000-4000-8000-000000000002";

    fn grants(list: &[(&str, &[&str])]) -> Holdings {
        Holdings {
            grants: list
                .iter()
                .map(|(d, perms)| HeldGrant {
                    division: Division::new(d, None),
                    permissions: strings(perms),
                })
                .collect(),
        }
    }

    fn home_only() -> Evidence {
        let mut e = client_credentials("cleanup-client", &[CLEANUP, INSPECTOR], false);
        e.holdings = Some(grants(&[(HOME, CLEANUP), (HOME, INSPECTOR)]));
        e
    }

    fn asking(mut e: Evidence, read: ConversationRead) -> Evidence {
        e.conversation = Some(read);
        e
    }

    fn found(divisions: &[(&str, &str)]) -> ConversationRead {
        found_of("webmessaging", divisions)
    }

    fn found_of(message_type: &str, divisions: &[(&str, &str)]) -> ConversationRead {
        ConversationRead::Found {
            id: CONVERSATION_ID.into(),
            divisions: divisions
                .iter()
                .map(|(id, name)| Division::new(id, Some(name)))
                .collect(),
            message_types: vec![message_type.to_string()],
        }
    }

    struct DivCase {
        name: &'static str,
        evidence: Evidence,
        access: Option<ConversationAccess>,
        can_close: bool,
        says: &'static [&'static str],
        never_says: &'static [&'static str],
    }

    fn cases() -> Vec<DivCase> {
        let mut not_found = home_only();
        not_found.conversation = Some(ConversationRead::NotFound {
            id: CONVERSATION_ID.into(),
        });
        let mut failed = home_only();
        let mut boom = Error::new(ErrorCode::Upstream, "Genesys answered 503.");
        boom.status = Some(503);
        failed.conversation = Some(ConversationRead::Failed {
            id: CONVERSATION_ID.into(),
            error: boom,
        });
        let mut unknown = asking(
            client_credentials("cleanup-client", &[CLEANUP, INSPECTOR], false),
            found(&[(SALES, "Sales")]),
        );
        unknown.holdings = None;
        let mut everywhere = user(&["conversations"], &[CLEANUP], true);
        everywhere.holdings = Some(grants(&[("*", CLEANUP)]));
        let mut nowhere = client_credentials("readonly-client", &[READ_ONLY, INSPECTOR], false);
        nowhere.holdings = Some(grants(&[(HOME, READ_ONLY), (HOME, INSPECTOR)]));
        vec![
            DivCase {
                name: "held in Home only, no conversation named",
                evidence: home_only(),
                access: None,
                can_close: true,
                says: &["can end", "It can close conversations in division d0000000-0000-4000-8000-000000000001 only", "Admin > Integrations > OAuth"],
                never_says: &["not tried"],
            },
            DivCase {
                name: "a Home conversation, held in Home",
                evidence: asking(home_only(), found(&[(HOME, "Home")])),
                access: Some(ConversationAccess::InReach),
                can_close: true,
                says: &["it belongs to division Home", "closeConversation can end it", "was not tried"],
                never_says: &["would refuse"],
            },
            DivCase {
                name: "a Sales conversation, held in Home only",
                evidence: asking(home_only(), found(&[(SALES, "Sales")])),
                access: Some(ConversationAccess::OutOfReach),
                can_close: false,
                says: &[
                    "belongs to division Sales (d5a1e500",
                    // A client's role/division pairs carry ids only.
                    "only in division d0000000-0000-4000-8000-000000000001.",
                    "in division Sales (d5a1e500-0000-4000-8000-000000000002): for a user",
                    "would refuse to end it with 403",
                    "was not tried",
                    "It can close conversations in division d0000000",
                ],
                never_says: &["closeConversation can end it", "This token can end"],
            },
            DivCase {
                name: "a conversation in Sales and Home, held in Home",
                evidence: asking(home_only(), found(&[(SALES, "Sales"), (HOME, "Home")])),
                access: Some(ConversationAccess::InReach),
                can_close: true,
                says: &["divisions Sales", "closeConversation can end it"],
                never_says: &["would refuse"],
            },
            DivCase {
                name: "held in all divisions (a user's * grant)",
                evidence: asking(everywhere, found(&[(SALES, "Sales")])),
                access: Some(ConversationAccess::InReach),
                can_close: true,
                says: &["closeConversation can end it"],
                never_says: &["It can close conversations in", "would refuse"],
            },
            DivCase {
                name: "no such conversation",
                evidence: not_found,
                access: Some(ConversationAccess::NotFound),
                can_close: false,
                says: &["no such message conversation (404)", "nothing to end"],
                never_says: &["This token can end"],
            },
            DivCase {
                name: "the read failed",
                evidence: failed,
                access: Some(ConversationAccess::Unreadable),
                can_close: true,
                says: &["failed", "its divisions are unknown"],
                never_says: &["would refuse"],
            },
            DivCase {
                name: "grants unknown",
                evidence: unknown,
                access: Some(ConversationAccess::Unknown),
                can_close: true,
                says: &["could not be read", "is unknown"],
                never_says: &["would refuse"],
            },
            DivCase {
                name: "held nowhere: out of reach, whatever its divisions",
                evidence: asking(nowhere, found(&[(HOME, "Home")])),
                access: Some(ConversationAccess::OutOfReach),
                can_close: false,
                says: &["holds no permission that ends conversations in any division", "would refuse to end it with 403", "Grant OAuth client"],
                never_says: &["only in division", "is unknown"],
            },
            DivCase {
                name: "a WhatsApp conversation in reach: a close would skip it",
                evidence: asking(home_only(), found_of("whatsapp", &[(HOME, "Home")])),
                access: Some(ConversationAccess::InReach),
                can_close: false,
                says: &["It is a whatsapp conversation", "skipReason 'messageType'", "unless messageTypes includes 'whatsapp' (default: webmessaging)"],
                never_says: &["closeConversation can end it", "would refuse"],
            },
            DivCase {
                name: "a WhatsApp conversation with messageTypes naming it",
                evidence: {
                    let mut e = asking(home_only(), found_of("whatsapp", &[(HOME, "Home")]));
                    e.message_types = vec!["webmessaging".into(), "whatsapp".into()];
                    e
                },
                access: Some(ConversationAccess::InReach),
                can_close: true,
                says: &["closeConversation can end it"],
                never_says: &["skipReason"],
            },
        ]
    }

    #[test]
    fn one_conversation_is_decided_from_its_divisions() {
        for c in cases() {
            let n = c.name;
            let v = verdict(&c.evidence);
            assert_eq!(v.conversation, c.access, "{n}");
            let r = report(c.evidence);
            let all = r.advice.join("\n");
            assert_eq!(r.can_close, c.can_close, "{n}:\n{all}");
            if let Some(conv) = &r.conversation {
                assert_eq!(conv.can_close, r.can_close, "{n}");
                assert_eq!(Some(conv.access), c.access, "{n}");
                let check = r.checks.iter().find(|k| k.name == "conversation").unwrap();
                assert!(
                    check.detail.contains("was not tried"),
                    "{n}: {}",
                    check.detail
                );
            }
            for s in c.says {
                assert!(all.contains(s), "{n}: the advice lacks {s:?}:\n{all}");
            }
            for s in c.never_says {
                assert!(!all.contains(s), "{n}: the advice says {s:?}:\n{all}");
            }
            assert_eq!(contradictions(&r), Vec::<String>::new(), "{n}:\n{all}");
        }
    }

    #[test]
    fn the_report_lists_the_divisions_of_each_end_permission() {
        let r = report(home_only());
        let held = r.permission_divisions.as_ref().unwrap();
        let of = |p: &str| held.iter().find(|h| h.permission == p).unwrap();
        assert_eq!(of(DISCONNECT).divisions, [Division::new(HOME, None)]);
        assert!(!of(DISCONNECT).all_divisions);
        assert!(of(PARK).divisions.is_empty());
        assert_eq!(r.close_divisions, Some(vec![Division::new(HOME, None)]));
        let mut e = user(&["conversations"], &[CLEANUP], true);
        e.holdings = Some(grants(&[(HOME, CLEANUP), ("*", &[DISCONNECT])]));
        let r = report(e);
        let held = r.permission_divisions.unwrap();
        assert!(held[0].all_divisions && held[0].divisions.is_empty());
        assert_eq!(r.close_divisions, Some(vec![Division::new("*", None)]));
        // Unknown grants: no list at all, rather than an empty one.
        let mut unknown = user(&["conversations"], &[CLEANUP], true);
        unknown.holdings = None;
        assert!(report(unknown).permission_divisions.is_none());
    }

    #[test]
    fn the_checker_catches_a_conversation_sentence_that_misstates_its_read() {
        let mut r = report(asking(home_only(), found(&[(HOME, "Home")])));
        assert!(contradictions(&r).is_empty());
        r.advice
            .push(format!("{CONVERSATION_READ} found no such conversation."));
        assert_eq!(contradictions(&r).len(), 1, "{:?}", contradictions(&r));
    }
}

#[test]
fn watch_mode_needs_the_queue_listing_too() {
    let base = || client_credentials("cleanup-client", &[&REQUIRED_PERMISSIONS[..1]], true);
    // (the queue listing's answer, canWatch, what the advice says)
    type Case = (Option<Result<usize, Error>>, bool, Option<&'static str>);
    let cases: Vec<Case> = vec![
        (Some(Ok(3)), true, None),
        (
            Some(Err(missing(&["routing:queue:view"]))),
            false,
            Some("which was refused"),
        ),
        (
            Some(Err(Error::new(crate::error::ErrorCode::Network, "down"))),
            false,
            Some("which failed"),
        ),
        (None, false, None),
    ];
    for (found, can_watch, advice) in cases {
        let mut e = base();
        e.queues = found.map(|f| lookup(LookupKind::Queues, f));
        let r = report(e);
        assert!(r.can_close);
        assert_eq!(r.can_watch, can_watch);
        let said = r.advice.iter().find(|a| a.contains("Watch mode"));
        assert_eq!(said.is_some(), advice.is_some(), "{:?}", r.advice);
        if let (Some(a), Some(want)) = (said, advice) {
            assert!(a.contains(want) && a.contains("routing:queue:view"), "{a}");
        }
        assert_eq!(contradictions(&r), Vec::<String>::new());
    }
    // No watch advice while closing itself is refused: that comes first.
    let mut e = client_credentials(
        "readonly-client",
        &[&["conversation:communication:view"]],
        true,
    );
    e.queues = Some(lookup(
        LookupKind::Queues,
        Err(missing(&["routing:queue:view"])),
    ));
    let r = report(e);
    assert!(!r.can_close && !r.can_watch);
    assert!(!r.advice.iter().any(|a| a.contains("Watch mode")));
    assert_eq!(
        r.checks.last().map(|c| (c.name.as_str(), c.ok)),
        Some(("listQueues", false))
    );
}
