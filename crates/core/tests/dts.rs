//! `index.d.ts` is written by hand (its TSDoc and unions say more than a
//! generator could); this test keeps it true to the Rust types, which are the
//! one declaration of every field: each option a core options struct reads
//! and each field a result serializes must be in the matching interface, with
//! `?` exactly when the field can be absent, and nothing else may be there
//! except the JS-only members listed here.

use genesys_cleanup_core::bulk::{BulkEntry, BulkReport, BulkSettings};
use genesys_cleanup_core::close::{CloseMethod, CloseOptions, CloseResult, Outcome, SkipReason};
use genesys_cleanup_core::diagnose::{
    AccessCheck, ConversationAccess, ConversationReport, Entity, ScopeOptions, ScopeReport,
};
use genesys_cleanup_core::discover::{FindOptions, IdleConversation};
use genesys_cleanup_core::error::Division;
use genesys_cleanup_core::genesys::activity::{Activity, ActivitySource};
use genesys_cleanup_core::genesys::divisions::HeldPermission;
use genesys_cleanup_core::genesys::model::GrantType;
use genesys_cleanup_core::genesys::queue::{Attribution, NativeTimer, TimerLive};
use genesys_cleanup_core::http::config::ConnectionOptions;
use genesys_cleanup_core::native::attribute::NativeTimerCounts;
use genesys_cleanup_core::observe::events::{Event, EventKind};
use genesys_cleanup_core::stats::{CallStats, Counts, Totals};
use genesys_cleanup_core::sweep::SweepReport;
use genesys_cleanup_core::{Error, ErrorCode};
use serde_aux::serde_introspection::serde_introspect;
use std::collections::BTreeMap;

const DTS: &str = include_str!("../../../index.d.ts");

/// The members of `export interface NAME` (own members only): name -> optional.
fn members(name: &str) -> BTreeMap<String, bool> {
    let start = DTS
        .find(&format!("export interface {name} "))
        .unwrap_or_else(|| panic!("index.d.ts has no interface {name}"));
    let body = &DTS[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    let mut out = BTreeMap::new();
    for line in body.lines() {
        // Members sit at two spaces; doc comments and nested lines do not match.
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        let rest = rest.strip_prefix("readonly ").unwrap_or(rest);
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let after = &rest[ident.len()..];
        if !ident.is_empty() && (after.starts_with(':') || after.starts_with("?:")) {
            out.insert(ident, after.starts_with('?'));
        }
    }
    out
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// A result type against its interface: `full` has every optional field set,
/// `minimal` none. Fields only in `full` must be optional, the others required.
fn check_result(
    interface: &str,
    full: serde_json::Value,
    minimal: serde_json::Value,
    js_only: &[&str],
) {
    let mut declared = members(interface);
    for k in js_only {
        declared.remove(*k);
    }
    let required: Vec<String> = keys(&minimal);
    let mut expected = BTreeMap::new();
    for k in keys(&full) {
        let optional = !required.contains(&k);
        expected.insert(k, optional);
    }
    assert_eq!(
        declared, expected,
        "interface {interface} in index.d.ts (left) disagrees with the Rust type (right): name -> optional"
    );
}

/// An options type against its interface (every option is optional in JS
/// unless listed in `required`).
fn check_options(interface: &str, fields: &[&str], required: &[&str], js_only: &[&str]) {
    let mut declared = members(interface);
    for k in js_only {
        declared.remove(*k);
    }
    let expected: BTreeMap<String, bool> = fields
        .iter()
        .map(|f| (f.to_string(), !required.contains(f)))
        .collect();
    assert_eq!(
        declared, expected,
        "interface {interface} in index.d.ts (left) disagrees with the Rust type (right): name -> optional"
    );
}

#[test]
fn options_match_index_d_ts() {
    check_options(
        "ConnectionOptions",
        serde_introspect::<ConnectionOptions>(),
        &[],
        &[],
    );
    check_options(
        "CloseBehaviour",
        serde_introspect::<CloseOptions>(),
        &[],
        &["signal"],
    );
    check_options(
        "BulkOptions",
        serde_introspect::<BulkSettings>(),
        &[],
        &["onProgress"],
    );
    check_options(
        "ScopeOptions",
        serde_introspect::<ScopeOptions>(),
        &[],
        &["signal"],
    );
    check_options(
        "FindOptions",
        serde_introspect::<FindOptions>(),
        &["idleForMs"],
        &["signal"],
    );
}

fn activity() -> Activity {
    Activity {
        last_at: Some("2026-11-26T00:00:00Z".into()),
        last: None,
        source: ActivitySource::Messages,
        inactivity_timeout: None,
    }
}

fn close_result(full: bool) -> CloseResult {
    CloseResult {
        conversation_id: "c".into(),
        outcome: Outcome::Skipped,
        reason: full.then(|| "why".into()),
        skip_reason: full.then_some(SkipReason::Active),
        activity: full.then(activity),
        activity_after_read: full.then(|| "2026-11-26T00:01:00Z".into()),
        method: CloseMethod::None,
        participants_disconnected: 0,
        ended_by_inactivity: full.then_some(true),
        queue_id: full.then(|| "q".into()),
        native: full.then_some(Attribution {
            native_timer: NativeTimer::EndedByGenesys,
            queue_timeout_seconds: Some(60),
            timer_live: Some(TimerLive::On),
        }),
        stats: CallStats::default(),
        elapsed_ms: 1.0,
    }
}

fn native_counts(full: bool) -> NativeTimerCounts {
    NativeTimerCounts {
        available: full,
        reason: full.then(|| "r".into()),
        ..Default::default()
    }
}

fn error(full: bool) -> Error {
    let mut e = Error::new(ErrorCode::RateLimited, "m");
    if full {
        e.status = Some(429);
        e.genesys_code = Some("too.many.requests".into());
        e.correlation_id = Some("x".into());
        e.missing_permissions = vec!["a:b:c".into()];
        e.missing_scopes = vec!["conversations".into()];
        e.retry_after_ms = Some(1000);
        e.not_attempted = true;
        e.conversation_divisions = vec![Division::new("s", Some("Sales"))];
        e.permission_divisions = vec![Division::new("h", None)];
        e.network_cause = Some(genesys_cleanup_core::error::NetCause::Dns);
        e.network_detail = Some("d".into());
        e.guest_code = Some(403);
        e.guest_reason = Some(genesys_cleanup_core::error::GuestReason::ClearDisabled);
    }
    e
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn results_match_index_d_ts() {
    check_result(
        "CloseResult",
        json(&close_result(true)),
        json(&close_result(false)),
        &[],
    );
    check_result("ErrorInfo", json(&error(true)), json(&error(false)), &[]);
    check_result(
        "BulkProgress",
        json(&Counts::default()),
        json(&Counts::default()),
        &[],
    );
    let failed = BulkEntry::Failed {
        conversation_id: "x".into(),
        error: error(false),
    };
    check_result("FailedResult", json(&failed), json(&failed), &[]);
    let aborted = BulkEntry::Aborted {
        conversation_id: "x".into(),
    };
    check_result("UnhandledResult", json(&aborted), json(&aborted), &[]);

    let report = BulkReport {
        counts: Counts::default(),
        results: vec![],
        totals: Totals::default(),
        elapsed_ms: 1.0,
    };
    // BulkReport extends BulkProgress: its own members are the rest.
    let mut own = json(&report);
    for k in keys(&json(&Counts::default())) {
        own.as_object_mut().unwrap().remove(&k);
    }
    check_result("BulkReport", own.clone(), own, &[]);

    let idle = |full: bool| IdleConversation {
        conversation_id: "c".into(),
        started_at: "s".into(),
        last_activity_at: full.then(|| "t".into()),
        activity_source: full.then_some(ActivitySource::Messages),
        participants: 2,
        idle_ms: full.then_some(1.0),
        confirmed: full,
        unconfirmed_reason: full.then(|| "r".into()),
    };
    check_result(
        "IdleConversation",
        json(&idle(true)),
        json(&idle(false)),
        &[],
    );

    let sweep = SweepReport {
        dry_run: false,
        scanned: 0,
        candidates: 0,
        found: vec![],
        spared_active: 0,
        bulk: report,
        native_timer: Some(native_counts(false)),
        totals: Totals::default(),
        elapsed_ms: 1.0,
    };
    check_result("SweepReport", json(&sweep), json(&sweep), &[]);
    let attributions: Vec<String> = [
        NativeTimer::EndedByGenesys,
        NativeTimer::EndedByUsFirst,
        NativeTimer::MissedByTimer,
    ]
    .iter()
    .map(|n| n.as_str().to_string())
    .collect();
    assert_eq!(type_union("NativeTimerAttribution"), attributions);
    check_result(
        "NativeTimerCounts",
        json(&native_counts(true)),
        json(&native_counts(false)),
        &[],
    );

    let mut full = Event::new(EventKind::Retry, "GET", "/r", 1);
    full.status = Some(500);
    full.duration_ms = Some(1.0);
    full.wait_ms = Some(1.0);
    full.correlation_id = Some("x".into());
    full.reason = Some("transient".into());
    full.network_cause = Some(genesys_cleanup_core::error::NetCause::Reset);
    full.count = Some(3);
    full.operation = Some(1);
    full.name = Some("closeConversation");
    full.code = Some(ErrorCode::Network);
    full.outcome = Some("closed");
    full.counts = Some(Counts::default());
    // The least an event carries: an operation event has no request fields.
    let minimal = Event::operation(EventKind::OperationStart, None, None);
    check_result("ClientEvent", json(&full), json(&minimal), &[]);
}

#[test]
fn the_error_class_declares_every_error_field() {
    // CleanupError also has `message` and `name` from Error itself.
    let mut declared = members("ErrorInfo");
    declared.remove("message");
    let class_start = DTS.find("export declare class CleanupError").unwrap();
    let class = &DTS[class_start..class_start + DTS[class_start..].find("\n}").unwrap()];
    for (field, optional) in declared {
        let want = format!("readonly {field}{}:", if optional { "?" } else { "" });
        assert!(
            class.contains(&want),
            "CleanupError in index.d.ts lacks `{want}`"
        );
    }
}

#[test]
fn regions_match_index_d_ts() {
    let list = genesys_cleanup_core::genesys::region::list();
    check_result("Region", json(&list[0]), json(&list[0]), &[]);
    let start = DTS.find("export type RegionName =").unwrap();
    let union = &DTS[start..start + DTS[start..].find("\n\n").unwrap()];
    let declared: Vec<&str> = union.split('\'').skip(1).step_by(2).collect();
    let names: Vec<&str> = list.iter().map(|r| r.name).collect();
    assert_eq!(
        declared, names,
        "RegionName in index.d.ts (left) vs the core's regions (right)"
    );
}

/// The string literals of `export type NAME = 'a' | 'b'`.
fn type_union(name: &str) -> Vec<String> {
    let start = DTS
        .find(&format!("export type {name} ="))
        .unwrap_or_else(|| panic!("index.d.ts has no type {name}"));
    let text = &DTS[start..start + DTS[start..].find("\n\n").unwrap()];
    text.split('\'')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

/// The string literals of member `field` of `export interface NAME`.
fn member_union(interface: &str, field: &str) -> Vec<String> {
    let start = DTS.find(&format!("export interface {interface} ")).unwrap();
    let body = &DTS[start..start + DTS[start..].find("\n}").unwrap()];
    let line = body
        .lines()
        .find(|l| {
            let l = l.trim_start();
            l.starts_with(&format!("{field}:")) || l.starts_with(&format!("{field}?:"))
        })
        .unwrap_or_else(|| panic!("{interface}.{field} not found"));
    line.split('\'')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

#[test]
fn every_value_the_runtime_can_produce_is_in_its_union() {
    let mut outcomes = member_union("CloseResult", "outcome");
    outcomes.extend(member_union("DryRunResult", "outcome"));
    for o in Outcome::ALL {
        assert!(
            outcomes.contains(&o.as_str().to_string()),
            "outcome {} is in no result type",
            o.as_str()
        );
    }
    let mut bulk = member_union("FailedResult", "outcome");
    bulk.extend(member_union("UnhandledResult", "outcome"));
    for e in [
        BulkEntry::Failed {
            conversation_id: String::new(),
            error: error(false),
        },
        BulkEntry::Duplicate {
            conversation_id: String::new(),
        },
        BulkEntry::Aborted {
            conversation_id: String::new(),
        },
    ] {
        assert!(bulk.contains(&e.outcome().to_string()), "{}", e.outcome());
    }
    let reasons: Vec<String> = SkipReason::ALL
        .iter()
        .map(|r| r.as_str().to_string())
        .collect();
    assert_eq!(type_union("SkipReason"), reasons);
    let sources: Vec<String> = ActivitySource::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    assert_eq!(type_union("ActivitySource"), sources);
    let kinds: Vec<String> = EventKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    assert_eq!(member_union("ClientEvent", "kind"), kinds);
    let codes: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(
        type_union("ErrorCode"),
        codes,
        "ErrorCode in index.d.ts vs the core"
    );
    // Genesys's message types, and every messageTypes option typed with them.
    let message_types: Vec<String> = genesys_cleanup_core::genesys::message_types::MESSAGE_TYPES
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(
        type_union("MessageType"),
        message_types,
        "MessageType in index.d.ts vs the core"
    );
    assert!(
        !DTS.contains("messageTypes?: string"),
        "every messageTypes is MessageType[]"
    );
    assert_eq!(DTS.matches("  messageTypes?: MessageType[]\n").count(), 3);
    // The runtime list (ERROR_CODES, used by isCleanupError) is this enum,
    // through the binding: no copy of it may come back in JS.
    let errors_js = include_str!("../../../lib/errors.js");
    assert!(errors_js.contains("Object.freeze(binding.errorCodes())"));
    let index_js = include_str!("../../../index.js");
    for js in [errors_js, index_js] {
        assert!(
            !js.contains("'ERR_INVALID_ARGUMENT',\n"),
            "a literal list of codes in JS"
        );
    }
    let methods: Vec<String> = CloseMethod::ALL
        .iter()
        .map(|m| m.as_str().to_string())
        .collect();
    assert_eq!(member_union("CloseResult", "method"), methods);
    let causes: Vec<String> = genesys_cleanup_core::error::NetCause::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(type_union("NetworkCause"), causes);
}

#[test]
fn the_scope_report_matches_index_d_ts() {
    let check = |full: bool| AccessCheck {
        name: "tokenInfo".into(),
        ok: true,
        status: full.then_some(200),
        genesys_code: full.then(|| "x".into()),
        detail: "d".into(),
    };
    check_result("AccessCheck", json(&check(true)), json(&check(false)), &[]);
    let report = |full: bool| ScopeReport {
        can_close: full,
        can_watch: full,
        grant_type: GrantType::User,
        organization: full.then(|| Entity {
            id: "o".into(),
            name: None,
        }),
        oauth_client: full.then(|| Entity {
            id: "c".into(),
            name: None,
        }),
        scopes: vec![],
        scopes_apply: true,
        required_scopes: vec![],
        missing_scopes: vec![],
        required_permissions: vec![],
        granted_permissions: full.then(Vec::new),
        missing_permissions: vec![],
        permission_divisions: full.then(Vec::new),
        close_divisions: full.then(Vec::new),
        conversation: full.then(|| conversation(ConversationAccess::InReach)),
        checks: vec![],
        advice: vec![],
        requests: 1,
        timers: None,
    };
    check_result(
        "ScopeReport",
        json(&report(true)),
        json(&report(false)),
        &[],
    );
    let grants: Vec<String> = [
        GrantType::ClientCredentials,
        GrantType::User,
        GrantType::Unknown,
    ]
    .iter()
    .map(|g| g.as_str().to_string())
    .collect();
    assert_eq!(member_union("ScopeReport", "grantType"), grants);
    let c = conversation(ConversationAccess::OutOfReach);
    let minimal = ConversationReport {
        skip_reason: None,
        ..conversation(ConversationAccess::InReach)
    };
    check_result("ConversationReport", json(&c), json(&minimal), &[]);
    let accesses: Vec<String> = ConversationAccess::ALL
        .iter()
        .map(|a| a.as_str().to_string())
        .collect();
    assert_eq!(member_union("ConversationReport", "access"), accesses);
    check_result(
        "Division",
        json(&Division::new("d", Some("Home"))),
        json(&Division::new("d", None)),
        &[],
    );
    let held = HeldPermission {
        permission: "a:b:c".into(),
        all_divisions: false,
        divisions: vec![],
    };
    check_result("HeldPermission", json(&held), json(&held), &[]);
}

fn conversation(access: ConversationAccess) -> ConversationReport {
    ConversationReport {
        conversation_id: "c".into(),
        access,
        divisions: vec![],
        message_types: vec!["whatsapp".into()],
        skip_reason: Some(genesys_cleanup_core::close::SkipReason::MessageType),
        can_close: false,
    }
}

/// The strings `TYPE::as_str` can return, read from the core's source: its
/// `match` is exhaustive (the compiler sees to that), so this is every value
/// the runtime can produce, even one a hand-kept `ALL` list forgot.
fn as_str_values(source: &str, ty: &str) -> Vec<String> {
    let start = source
        .find(&format!("impl {ty} {{"))
        .unwrap_or_else(|| panic!("no impl {ty}"));
    let body = &source[start..];
    let f = body.find("fn as_str").expect("as_str");
    let body = &body[f..];
    let body = &body[..body.find("\n    }\n").expect("end of as_str")];
    body.lines()
        .filter(|l| l.contains(&format!("{ty}::")) && l.contains("=> \""))
        .map(|l| l.split('"').nth(1).unwrap().to_string())
        .collect()
}

#[test]
fn the_all_lists_hold_every_value_as_str_can_return() {
    let close = include_str!("../src/close/types.rs");
    let error = include_str!("../src/error/mod.rs");
    let events = include_str!("../src/observe/events.rs");
    let activity = include_str!("../src/genesys/activity.rs");
    let names = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    let cases: Vec<(&str, Vec<String>, Vec<String>)> = vec![
        (
            "Outcome",
            as_str_values(close, "Outcome"),
            names(Outcome::ALL.iter().map(|o| o.as_str()).collect()),
        ),
        (
            "SkipReason",
            as_str_values(close, "SkipReason"),
            names(SkipReason::ALL.iter().map(|o| o.as_str()).collect()),
        ),
        (
            "CloseMethod",
            as_str_values(close, "CloseMethod"),
            names(CloseMethod::ALL.iter().map(|o| o.as_str()).collect()),
        ),
        (
            "ErrorCode",
            as_str_values(error, "ErrorCode"),
            names(ErrorCode::ALL.iter().map(|o| o.as_str()).collect()),
        ),
        (
            "EventKind",
            as_str_values(events, "EventKind"),
            names(EventKind::ALL.iter().map(|o| o.as_str()).collect()),
        ),
        (
            "ActivitySource",
            as_str_values(activity, "ActivitySource"),
            names(ActivitySource::ALL.iter().map(|o| o.as_str()).collect()),
        ),
    ];
    for (ty, from_source, all) in cases {
        assert!(!from_source.is_empty(), "{ty}: as_str not found");
        assert_eq!(from_source, all, "{ty}::ALL vs the values of {ty}::as_str");
    }
}

#[test]
fn every_operation_name_is_in_the_union() {
    // The names the client gives its calls (`observed`), from its source.
    let client = include_str!("../src/client.rs");
    let names: Vec<String> = client
        .split("self.observed(\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 7, "{names:?}");
    let mut declared = member_union("ClientEvent", "name");
    declared.sort();
    let mut names = names;
    // Calls made without a client name their operation in their own module.
    names.push(genesys_cleanup_core::guest::OPERATION.to_string());
    names.sort();
    assert_eq!(
        declared, names,
        "ClientEvent.name in index.d.ts vs client.rs"
    );
}

#[test]
fn watch_types_match_index_d_ts() {
    use genesys_cleanup_core::watch::{
        RejectedTopic, WatchEvent, WatchEventKind, WatchOptions, WatchReport,
    };
    check_options(
        "WatchOptions",
        serde_introspect::<WatchOptions>(),
        &["idleMs"],
        &["signal", "onEvent"],
    );
    let rejected = RejectedTopic {
        topic: "t".into(),
        queue_id: "q".into(),
        queue_name: "n".into(),
        reason: "r".into(),
        missing_permissions: vec![],
    };
    check_result("RejectedTopic", json(&rejected), json(&rejected), &[]);
    let report = WatchReport {
        rejected_topics: vec![rejected],
        ..WatchReport::default()
    };
    check_result("WatchReport", json(&report), json(&report), &[]);
    let full = WatchEvent {
        conversation_id: Some("c".into()),
        last_activity_at: Some("t".into()),
        channel_id: Some("ch".into()),
        reason: Some("r".into()),
        count: Some(1),
        code: Some("ERR_UPSTREAM"),
        native_timer: Some(NativeTimer::MissedByTimer),
        ..WatchEvent::new(WatchEventKind::Failed)
    };
    check_result(
        "WatchEvent",
        json(&full),
        json(&WatchEvent::new(WatchEventKind::Closed)),
        &[],
    );
    let kinds: Vec<String> = WatchEventKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    assert_eq!(member_union("WatchEvent", "kind"), kinds);
}

#[test]
fn guest_types_match_index_d_ts() {
    use genesys_cleanup_core::error::GuestReason;
    use genesys_cleanup_core::guest::{EndGuestOptions, GuestEndResult, GuestOutcome};
    check_options(
        "EndGuestOptions",
        serde_introspect::<EndGuestOptions>(),
        &["deploymentId", "token"],
        &["signal", "onEvent", "logger"],
    );
    let mut result = GuestEndResult {
        outcome: GuestOutcome::NotFound,
        deployment_id: "d".into(),
        new_session: true,
        read_only: false,
        session_closed: Some(true),
        auto_started: Some(false),
        connection_closed_event: false,
        guest_code: Some(4007),
        elapsed_ms: 1.0,
    };
    let full = json(&result);
    (
        result.session_closed,
        result.auto_started,
        result.guest_code,
    ) = (None, None, None);
    check_result("GuestEndResult", full, json(&result), &[]);
    let outcomes: Vec<String> = GuestOutcome::ALL
        .iter()
        .map(|o| o.as_str().to_string())
        .collect();
    assert_eq!(type_union("GuestOutcome"), outcomes);
    let reasons: Vec<String> = GuestReason::ALL
        .iter()
        .map(|o| o.as_str().to_string())
        .collect();
    assert_eq!(type_union("GuestReason"), reasons);
    let names = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    let guest = include_str!("../src/guest/mod.rs");
    let reason = include_str!("../src/error/guest.rs");
    assert_eq!(
        as_str_values(guest, "GuestOutcome"),
        names(GuestOutcome::ALL.iter().map(|o| o.as_str()).collect())
    );
    assert_eq!(
        as_str_values(reason, "GuestReason"),
        names(GuestReason::ALL.iter().map(|o| o.as_str()).collect())
    );
}

#[test]
fn native_timer_types_match_index_d_ts() {
    use genesys_cleanup_core::genesys::deployment::{
        DeploymentRead, DeploymentSettings, SettingSource,
    };
    use genesys_cleanup_core::genesys::queue::{timer_of, SettingsSource};
    use genesys_cleanup_core::native::set_inactivity::{
        QueueInactivityChange, SetQueueInactivityOptions,
    };
    use genesys_cleanup_core::native::{TimersOptions, TimersReport};
    use serde_json::json;
    check_options(
        "TimersOptions",
        serde_introspect::<TimersOptions>(),
        &[],
        &["signal"],
    );
    check_options(
        "SetQueueInactivityOptions",
        serde_introspect::<SetQueueInactivityOptions>(),
        &["queue"],
        &["signal"],
    );
    let full_queue = json!({"id": "q", "name": "Q", "mediaSettings": {"message": {
        "enableInactivityTimeout": true,
        "inactivityTimeoutSettings": {"timeoutSeconds": 60, "actionType": "SEND_TO_ARCHITECT_FLOW", "flowId": {"id": "f"}},
        "subTypeSettings": {"webmessaging": {"enableInactivityTimeout": true}}}}});
    let full = timer_of(&full_queue, SettingsSource::Listing);
    let minimal = timer_of(&json!({}), SettingsSource::Listing);
    check_result("QueueTimer", json(&full), json(&minimal), &[]);
    let read = |full: bool| DeploymentRead {
        request: "GET /x".into(),
        permission: None,
        result: "ok".into(),
        missing_permissions: if full { vec!["a:b:c".into()] } else { vec![] },
    };
    check_result("DeploymentRead", json(&read(true)), json(&read(false)), &[]);
    let deployment = |full: bool| {
        let mut d = DeploymentSettings::new("d");
        if full {
            d.status = Some("Active".into());
            d.configuration_version = Some("1".into());
            d.merge(&json!({"messenger": {"apps": {"conversations": {"conversationClear": {"enabled": true}}}}}), SettingSource::ConfigJson);
        }
        d
    };
    check_result(
        "DeploymentSettings",
        json(&deployment(true)),
        json(&deployment(false)),
        &[],
    );
    // `MessengerSetting<T>`: both keys always present.
    let setting = json(&deployment(false).conversation_clear);
    assert_eq!(keys(&setting), ["source", "value"]);
    assert!(DTS.contains("export interface MessengerSetting<T> {\n  /** Null when no read carried it. */\n  value: T | null"));
    let report = |full: bool| TimersReport {
        queues_read: full,
        queues_error: full.then(|| error(false)),
        queues: vec![],
        deployment: full.then(|| deployment(false)),
        advice: vec![],
        requests: 0,
    };
    check_result(
        "TimersReport",
        json(&report(true)),
        json(&report(false)),
        &[],
    );
    let change = |full: bool| QueueInactivityChange {
        queue_id: "q".into(),
        queue_name: "Q".into(),
        applied: full,
        before: minimal.clone(),
        after: minimal.clone(),
        changes: vec![],
        body: json!({}),
        verified: full.then_some(true),
        mismatches: if full {
            vec![
                genesys_cleanup_core::native::set_inactivity::plan::Mismatch {
                    path: "a".into(),
                    expected: json!(1),
                    got: json!(2),
                },
            ]
        } else {
            vec![]
        },
        warnings: vec![],
        requests: 0,
    };
    check_result(
        "QueueInactivityChange",
        json(&change(true)),
        json(&change(false)),
        &[],
    );
    let lives = type_union("TimerLive");
    assert_eq!(lives, ["on", "off", "unclear"]);
    assert_eq!(
        member_union("QueueTimer", "source"),
        [
            SettingsSource::Listing,
            SettingsSource::Queue,
            SettingsSource::None
        ]
        .map(|s| s.as_str())
    );
}
