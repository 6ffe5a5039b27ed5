//! The seeded organisation, the banner, and generated conversations.

use super::org::{ROLE_READONLY, USER_JONES};
use super::*;
use crate::ground::ids::HOME_DIVISION_ID;
use crate::model::{role_ids, Media, Store};
use rand::rngs::StdRng;
use rand::SeedableRng;

#[test]
fn seeded_org_matches_readme() {
    let s = base_store();
    assert_eq!(s.roles.len(), 4);
    assert_eq!(s.clients["web-app"].grant_type, "CODE");
    assert!(s.clients["web-app"].secret.is_none());
    assert_eq!(
        s.tokens["user-noscope-token"].scopes,
        ["conversations:readonly"]
    );
    assert_eq!(role_ids(&s.users[USER_JONES].grants), [ROLE_READONLY]);
    assert_eq!(s.divisions[HOME_DIVISION_ID].name, "Home");
}

#[test]
fn credentials_summary_names_every_seeded_client_and_token() {
    let text = credentials_summary();
    let store = base_store();
    for c in store.clients.values() {
        assert!(text.contains(&c.id), "{text}");
        if let Some(secret) = &c.secret {
            assert!(text.contains(&format!("{} / {secret}", c.id)), "{text}");
        }
    }
    for t in store.tokens.keys() {
        assert!(text.contains(t.as_str()), "{text}");
    }
    assert!(text.contains("docs/emulator.md"), "{text}");
}

#[test]
fn seed_is_repeatable_with_rng_seed() {
    let run = || {
        let mut store = Store::default();
        let mut rng = StdRng::seed_from_u64(99);
        let mut spec = SeedSpec::count(200, Some(5));
        spec.ended_fraction = Some(0.5);
        let ids = seed(&mut store, &mut rng, &spec, 1_000_000_000_000).unwrap();
        let ended = store.all_conversations().filter(|c| c.is_ended()).count();
        let voice = store
            .all_conversations()
            .filter(|c| c.media == Media::Voice)
            .count();
        (ids, ended, voice)
    };
    let (a, ended, voice) = run();
    assert_eq!(a.len(), 200);
    assert_eq!(run().0, a);
    assert!((60..140).contains(&ended), "{ended}");
    assert!((5..45).contains(&voice), "{voice}");
}

#[test]
fn spec_defaults_and_ended() {
    let mut rng = StdRng::seed_from_u64(1);
    let spec: ConversationSpec = serde_json::from_value(serde_json::json!({
        "type": "open", "state": "ended", "startedAt": "2026-01-01T00:00:00Z",
        "lastActivityAt": 1_767_225_660_000i64, "agentWrapupRequired": true
    }))
    .unwrap();
    let mut c = from_spec(spec, &mut rng, 5).unwrap();
    c.refresh_end();
    assert_eq!(c.media, Media::Open);
    assert_eq!(c.participants.len(), 2);
    assert!(c.is_ended());
    assert_eq!(c.ended_at, Some(1_767_225_660_000));
    assert!(c.participants[1].wrapup_required);
    // The chat runs from the start to lastActivityAt; the last message is the customer's.
    assert_eq!(c.last_message_at(), Some(1_767_225_660_000));
    let last_customer = c.participants[0].messages.last().unwrap();
    assert_eq!(last_customer.time, 1_767_225_660_000);
    assert!(from_spec(
        serde_json::from_value(serde_json::json!({"type":"fax"})).unwrap(),
        &mut rng,
        0
    )
    .is_err());
}
