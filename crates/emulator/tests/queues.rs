//! Queues with message media settings over real HTTP: the listing, GET and
//! PUT of one queue (whole-object replacement, its 400s, the drop fault),
//! and the live inactivity timer (both switch readings, before an agent,
//! messages resetting it, DISCONNECT and the flow action).

mod common;

use common::Emu;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const SUPPORT: &str = "c0000000-0000-4000-8000-000000000001";
const ADMIN_TOKEN: &str = "queue-admin-token";

/// An emulator with a token that may also edit queues.
async fn start() -> Emu {
    let e = common::start().await;
    let role = e
        .admin("/roles", json!({"name": "Queue admin", "permissions": ["routing:queue:view", "routing:queue:edit"]}))
        .await;
    e.admin(
        "/clients",
        json!({"id": "queue-admin", "roleIds": [role["id"]]}),
    )
    .await;
    e.admin(
        "/tokens",
        json!({"token": ADMIN_TOKEN, "clientId": "queue-admin"}),
    )
    .await;
    e
}

impl Emu {
    async fn config(&self, patch: Value) {
        let (s, v) = self
            .call(Method::PATCH, "/__emulator/config", None, Some(patch))
            .await;
        assert!(s.is_success(), "{v}");
    }

    async fn stored(&self, id: &str) -> Value {
        self.call(
            Method::GET,
            &format!("/__emulator/conversations/{id}"),
            None,
            None,
        )
        .await
        .1
    }
}

fn timer_settings(top: bool, sub: bool, secs: u64, action: Value) -> Value {
    let mut settings = json!({"timeoutSeconds": secs, "actionType": "DISCONNECT"});
    if let Value::Object(a) = action {
        for (k, v) in a {
            settings[k] = v;
        }
    }
    json!({"message": {
        "enableAutoAnswer": false, "alertingTimeoutSeconds": 30,
        "enableInactivityTimeout": top,
        "inactivityTimeoutSettings": settings,
        "subTypeSettings": {"webmessaging": {"enableAutoAnswer": false, "enableInactivityTimeout": sub}},
    }})
}

#[tokio::test]
async fn listing_and_one_queue_carry_media_settings_and_the_seeded_extras() {
    let e = start().await;
    let (s, list) = e
        .call(
            Method::GET,
            "/api/v2/routing/queues",
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let first = &list["entities"][0];
    assert_eq!(first["name"], "Billing");
    assert_eq!(
        first["mediaSettings"]["message"]["alertingTimeoutSeconds"],
        30
    );
    e.config(json!({"queueListingMediaSettings": false})).await;
    let (_, list) = e
        .call(
            Method::GET,
            "/api/v2/routing/queues",
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert!(list["entities"][0].get("mediaSettings").is_none());
    assert!(list["entities"][0].get("acwSettings").is_some());
    let path = format!("/api/v2/routing/queues/{SUPPORT}");
    let (s, q) = e
        .call(Method::GET, &path, Some("cc-cleanup-token"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    for k in [
        "acwSettings",
        "skillEvaluationMethod",
        "conditionalGroupRouting",
        "bullseye",
        "memberCount",
        "mediaSettings",
    ] {
        assert!(q.get(k).is_some(), "{k} in {q}");
    }
    assert_eq!(
        (q["id"].as_str(), q["name"].as_str()),
        (Some(SUPPORT), Some("Support"))
    );
    assert_eq!(q["selfUri"], path);
    let (s, v) = e
        .call(Method::GET, &path, Some("cc-readonly-token"), None)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("missing.permissions"))
    );
    let (s, _) = e
        .call(
            Method::GET,
            "/api/v2/routing/queues/nope",
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn put_replaces_the_whole_queue_and_checks_its_body() {
    let e = start().await;
    let path = format!("/api/v2/routing/queues/{SUPPORT}");
    let (_, mut q) = e.call(Method::GET, &path, Some(ADMIN_TOKEN), None).await;
    let (s, v) = e
        .call(
            Method::PUT,
            &path,
            Some("cc-cleanup-token"),
            Some(q.clone()),
        )
        .await;
    assert_eq!(
        (
            s,
            v["message"]
                .as_str()
                .unwrap()
                .contains("routing:queue:edit")
        ),
        (StatusCode::FORBIDDEN, true)
    );
    q["mediaSettings"] = timer_settings(false, true, 1800, json!({}));
    q.as_object_mut().unwrap().remove("acwSettings");
    let (s, put) = e
        .call(Method::PUT, &path, Some(ADMIN_TOKEN), Some(q.clone()))
        .await;
    assert_eq!(s, StatusCode::OK, "{put}");
    let (_, got) = e.call(Method::GET, &path, Some(ADMIN_TOKEN), None).await;
    assert!(
        got.get("acwSettings").is_none(),
        "a PUT replaces: the dropped field is gone"
    );
    assert_eq!(
        got["mediaSettings"]["message"]["inactivityTimeoutSettings"]["timeoutSeconds"],
        1800
    );
    assert_eq!(got["bullseye"], q["bullseye"]);
    let stored = e
        .call(
            Method::GET,
            &format!("/__emulator/queues/{SUPPORT}"),
            None,
            None,
        )
        .await
        .1;
    assert_eq!((stored["puts"].as_u64(), &stored["lastPut"]), (Some(1), &q));
    for (field, value) in [
        ("name", Value::Null),
        (
            "mediaSettings",
            json!({"message": {"inactivityTimeoutSettings": {"actionType": "CLOSE"}}}),
        ),
        (
            "mediaSettings",
            json!({"message": {"inactivityTimeoutSettings": {"timeoutSeconds": 0}}}),
        ),
    ] {
        let mut bad = q.clone();
        match value {
            Value::Null => {
                bad.as_object_mut().unwrap().remove(field);
            }
            v => bad[field] = v,
        }
        let (s, v) = e
            .call(Method::PUT, &path, Some(ADMIN_TOKEN), Some(bad))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    e.config(json!({"queuePutDropFields": ["mediaSettings.message.serviceLevel", "bullseye"]}))
        .await;
    q["mediaSettings"]["message"]["serviceLevel"] = json!({"percentage": 0.8, "durationMs": 20000});
    let (s, answer) = e.call(Method::PUT, &path, Some(ADMIN_TOKEN), Some(q)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(answer.get("bullseye").is_none());
    assert!(answer["mediaSettings"]["message"]
        .get("serviceLevel")
        .is_none());
}

async fn timer_queue(e: &Emu, id: &str, media: Value) {
    e.admin(
        "/queues",
        json!({"id": id, "name": id, "mediaSettings": media}),
    )
    .await;
}

fn disconnect_types(c: &Value) -> Vec<String> {
    c["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["disconnectType"].as_str().unwrap_or("-").to_string())
        .collect()
}

#[tokio::test]
async fn the_timer_ends_idle_conversations_and_messages_reset_it() {
    let e = start().await;
    timer_queue(&e, "q1", timer_settings(false, true, 1, json!({}))).await;
    let c = e.admin("/conversations", json!({"queueId": "q1"})).await;
    let id = c["id"].as_str().unwrap();
    let read = format!("/api/v2/conversations/messages/{id}");
    let (_, before) = e
        .call(Method::GET, &read, Some("cc-cleanup-token"), None)
        .await;
    let first = before["inactivityTimeout"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(600)).await;
    e.admin(
        &format!("/conversations/{id}/messages"),
        json!({"from": "agent"}),
    )
    .await;
    let (_, after) = e
        .call(Method::GET, &read, Some("cc-cleanup-token"), None)
        .await;
    assert!(
        after["inactivityTimeout"].as_str().unwrap() > first.as_str(),
        "a message resets it"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (_, open) = e
        .call(Method::GET, &read, Some("cc-cleanup-token"), None)
        .await;
    assert!(
        open["participants"][0].get("endTime").is_none(),
        "reset: still open at 1.3 s"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let stored = e.stored(id).await;
    assert_eq!(stored["state"], "ended");
    assert_eq!(disconnect_types(&stored), ["inactivity", "inactivity"]);
    e.config(json!({"inactivityMarks": "agent"})).await;
    let c = e.admin("/conversations", json!({"queueId": "q1"})).await;
    tokio::time::sleep(Duration::from_millis(1400)).await;
    assert_eq!(
        disconnect_types(&e.stored(c["id"].as_str().unwrap()).await),
        ["peer", "inactivity"]
    );
}

#[tokio::test]
async fn which_switch_counts_and_whether_it_runs_before_an_agent() {
    let e = start().await;
    timer_queue(&e, "top", timer_settings(true, false, 1, json!({}))).await;
    let c = e.admin("/conversations", json!({"queueId": "top"})).await;
    let read = format!(
        "/api/v2/conversations/messages/{}",
        c["id"].as_str().unwrap()
    );
    let (_, v) = e
        .call(Method::GET, &read, Some("cc-cleanup-token"), None)
        .await;
    assert!(
        v.get("inactivityTimeout").is_none(),
        "subtype reading: top-level alone is off"
    );
    e.config(json!({"inactivitySwitch": "either"})).await;
    let (_, v) = e
        .call(Method::GET, &read, Some("cc-cleanup-token"), None)
        .await;
    assert!(v.get("inactivityTimeout").is_some(), "either reading: live");
    timer_queue(&e, "wait", timer_settings(false, true, 1, json!({}))).await;
    let waiting = json!({"participants": [{"purpose": "customer"}, {"purpose": "acd", "queue": {"id": "wait"}}]});
    let c = e.admin("/conversations", waiting.clone()).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        e.stored(c["id"].as_str().unwrap()).await["state"],
        "active",
        "no agent yet"
    );
    e.config(json!({"queueTimerBeforeAgent": true})).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(e.stored(c["id"].as_str().unwrap()).await["state"], "ended");
}

#[tokio::test]
async fn a_flow_action_hands_the_customer_to_a_workflow() {
    let e = start().await;
    let flow =
        json!({"actionType": "SEND_TO_ARCHITECT_FLOW", "flowId": {"id": "f1", "name": "Escalate"}});
    timer_queue(&e, "fq", timer_settings(false, true, 1, flow)).await;
    let c = e.admin("/conversations", json!({"queueId": "fq"})).await;
    tokio::time::sleep(Duration::from_millis(1400)).await;
    let stored = e.stored(c["id"].as_str().unwrap()).await;
    assert_eq!(stored["state"], "active");
    let ps = stored["participants"].as_array().unwrap();
    assert_eq!(
        (ps[1]["state"].as_str(), ps[1]["disconnectType"].as_str()),
        (Some("disconnected"), Some("inactivity"))
    );
    assert_eq!(
        (ps[2]["purpose"].as_str(), ps[2]["name"].as_str()),
        (Some("workflow"), Some("Escalate"))
    );
    assert_eq!(ps[0]["state"], "connected");
}
