//! Table tests of the pure parts: the decision and the division refusal.

use super::decide::{decide, Decision};
use super::refusal::division_refusal;
use super::types::{CloseOptions, SkipReason};
use crate::error::Division;
use crate::error::{Error, ErrorCode};
use crate::genesys::divisions::Holdings;
use crate::genesys::model::MessageConversation;
use crate::options::Validated;
use std::time::{Duration, SystemTime};

fn conv(parts: &[(&str, &str, &str, Option<bool>)]) -> MessageConversation {
    let participants = parts
        .iter()
        .enumerate()
        .map(|(i, (purpose, state, kind, wrapup))| {
            serde_json::json!({
                "id": format!("00000000-0000-4000-8000-00000000000{i}"),
                "purpose": purpose, "state": state, "type": kind, "wrapupRequired": wrapup
            })
        })
        .collect::<Vec<_>>();
    serde_json::from_value(serde_json::json!({"id": "c", "participants": participants})).unwrap()
}

fn now() -> SystemTime {
    humantime::parse_rfc3339("2026-11-26T12:00:00Z").unwrap()
}

/// A web messaging chat connected at 10:00 whose last message is at `last`.
fn chat(last: &str) -> MessageConversation {
    serde_json::from_value(serde_json::json!({"id": "c", "participants": [
        {"id": "00000000-0000-4000-8000-000000000001", "purpose": "customer", "state": "connected",
         "type": "webmessaging", "startTime": "2026-11-26T10:00:00Z", "connectedTime": "2026-11-26T10:00:00Z",
         "messages": [{"messageTime": "2026-11-26T10:00:01Z"}, {"messageTime": last}]},
        {"id": "00000000-0000-4000-8000-000000000002", "purpose": "agent", "state": "connected",
         "type": "webmessaging", "startTime": "2026-11-26T10:00:05Z", "connectedTime": "2026-11-26T10:00:09Z"}
    ]}))
    .unwrap()
}

#[test]
fn the_idle_guard_spares_recent_chats_and_ends_old_ones() {
    let guard = |minutes: u64| CloseOptions {
        idle_for: Some(Duration::from_secs(minutes * 60)),
        ..Default::default()
    };
    // Connected two hours ago, last message a minute ago: active.
    match decide(&chat("2026-11-26T11:59:00Z"), &guard(30), now()) {
        Decision::Skip(SkipReason::Active, r) => {
            assert!(r.contains("2026-11-26T11:59:00Z"), "{r}")
        }
        d => panic!("{d:?}"),
    }
    // Last message an hour ago: ended.
    assert!(matches!(
        decide(&chat("2026-11-26T11:00:00Z"), &guard(30), now()),
        Decision::End { .. }
    ));
    // Without the guard nothing is checked (an explicit close).
    assert!(matches!(
        decide(
            &chat("2026-11-26T11:59:00Z"),
            &CloseOptions::default(),
            now()
        ),
        Decision::End { .. }
    ));
    // An ended conversation stays "already closed" whatever the guard says.
    let mut ended = chat("2026-11-26T11:59:00Z");
    for p in &mut ended.participants {
        p.state = Some("disconnected".into());
    }
    assert_eq!(decide(&ended, &guard(30), now()), Decision::AlreadyClosed);
    // No timestamp at all: never ended by the guard.
    let bare: MessageConversation =
        serde_json::from_value(serde_json::json!({"id": "c", "participants": [
        {"id": "p", "state": "connected", "type": "webmessaging"}]}))
        .unwrap();
    assert!(matches!(
        decide(&bare, &guard(30), now()),
        Decision::Skip(SkipReason::ActivityUnknown, _)
    ));
    // A running inactivity timer spares it too.
    let mut timed = chat("2026-11-26T09:00:00Z");
    timed.inactivity_timeout = Some("2026-11-26T12:05:00Z".into());
    assert!(matches!(
        decide(&timed, &guard(30), now()),
        Decision::Skip(SkipReason::Active, _)
    ));
}

#[test]
fn ended_conversations_need_no_write() {
    let c = conv(&[
        ("customer", "disconnected", "webmessaging", None),
        ("agent", "terminated", "webmessaging", None),
    ]);
    assert_eq!(
        decide(&c, &CloseOptions::default(), now()),
        Decision::AlreadyClosed
    );
}

#[test]
fn other_channels_are_skipped() {
    let c = conv(&[("customer", "connected", "whatsapp", None)]);
    match decide(&c, &CloseOptions::default(), now()) {
        Decision::Skip(SkipReason::MessageType, r) => assert!(r.contains("whatsapp"), "{r}"),
        d => panic!("{d:?}"),
    }
    let opts = CloseOptions {
        message_types: vec!["whatsapp".into()],
        ..Default::default()
    };
    assert!(matches!(decide(&c, &opts, now()), Decision::End { .. }));
}

#[test]
fn open_participants_are_ended_and_agents_wrap_up_only_with_a_code() {
    let c = conv(&[
        ("customer", "connected", "webmessaging", None),
        ("agent", "connected", "webmessaging", Some(true)),
        ("acd", "disconnected", "webmessaging", None),
    ]);
    let plain = decide(&c, &CloseOptions::default(), now());
    assert_eq!(
        plain,
        Decision::End {
            wrapup: vec![],
            open: vec![
                "00000000-0000-4000-8000-000000000000".into(),
                "00000000-0000-4000-8000-000000000001".into()
            ]
        }
    );
    let with_code = CloseOptions {
        wrapup_code: Some("3fa85f64-5717-4562-b3fc-2c963f66afa6".into()),
        ..Default::default()
    };
    assert_eq!(
        decide(&c, &with_code, now()),
        Decision::End {
            wrapup: vec!["00000000-0000-4000-8000-000000000001".into()],
            open: vec!["00000000-0000-4000-8000-000000000000".into()]
        }
    );
}

#[test]
fn wrapup_code_must_be_a_uuid() {
    let o = CloseOptions {
        wrapup_code: Some("Resolved".into()),
        ..Default::default()
    };
    assert_eq!(o.validated().unwrap_err().code, ErrorCode::InvalidArgument);
}

#[test]
fn a_refusal_is_explained_by_divisions_only_when_they_explain_it() {
    use crate::genesys::divisions::HeldGrant;
    let home = Division::new("home-id", Some("Home"));
    let sales = Division::new("sales-id", Some("Sales"));
    let held = |d: &str, p: &str| HeldGrant {
        division: Division::new(d, None),
        permissions: vec![p.to_string()],
    };
    let disconnect = "conversation:communication:disconnect";
    let refusal = |code: Option<&str>| {
        let mut e = Error::new(
            if code.is_some_and(|c| c.starts_with("missing")) {
                ErrorCode::MissingPermission
            } else {
                ErrorCode::Forbidden
            },
            "Genesys refused ending message conversation c (403).",
        );
        e.status = Some(403);
        e.genesys_code = code.map(Into::into);
        e.correlation_id = Some("corr-1".into());
        e
    };
    let only_home = Holdings {
        grants: vec![held("home-id", disconnect)],
    };
    // The four 403 bodies are explained alike; the code stays the body's.
    for code in [
        Some("missing.permissions"),
        Some("missing.any.permissions"),
        Some("not.authorized"),
        None,
    ] {
        let before = refusal(code);
        let e = division_refusal(
            "c",
            std::slice::from_ref(&sales),
            &only_home,
            before.clone(),
        )
        .unwrap_or_else(|_| panic!("{code:?} not explained"));
        assert_eq!(e.code, before.code, "{code:?}");
        assert_eq!(e.correlation_id.as_deref(), Some("corr-1"));
        assert_eq!(e.conversation_divisions, std::slice::from_ref(&sales));
        // The held division is named from the conversation's when it can
        // be; here it cannot (Home is not the conversation's).
        assert_eq!(e.permission_divisions, [Division::new("home-id", None)]);
        for says in [
            "belongs to division Sales (sales-id)",
            "only in division home-id",
            "Admin > Integrations > OAuth",
        ] {
            assert!(e.message.contains(says), "{}", e.message);
        }
    }
    let unchanged = |divisions: &[Division], h: &Holdings| {
        division_refusal("c", divisions, h, refusal(Some("not.authorized"))).is_err()
    };
    assert!(
        unchanged(std::slice::from_ref(&home), &only_home),
        "held there"
    );
    assert!(
        unchanged(&[sales.clone(), home.clone()], &only_home),
        "one shared division"
    );
    let everywhere = Holdings {
        grants: vec![held("*", disconnect)],
    };
    assert!(
        unchanged(std::slice::from_ref(&sales), &everywhere),
        "held in all"
    );
    let nowhere = Holdings {
        grants: vec![held("home-id", "conversation:communication:view")],
    };
    assert!(
        unchanged(std::slice::from_ref(&sales), &nowhere),
        "held nowhere"
    );
}
