//! The Web Messaging Guest API socket and Messenger deployments over real
//! HTTP and WebSocket: configureSession (new and known tokens), Presence
//! Clear (to every tab, 403 when disabled), Text (409 read-only, resets the
//! queue timer), closeSession, echo, 4006, 4007, the 3-connection limit,
//! mute, the deployment reads and config.json; tokens never logged.

use futures_util::{SinkExt, StreamExt};
mod common;

use common::{start, Emu, Ws};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "tok-CANARY-7d1c";

impl Emu {
    async fn get(&self, path: &str) -> Value {
        self.call(Method::GET, path, None, None).await.1
    }

    async fn socket(&self, deployment: &str) -> Ws {
        let url = format!(
            "{}/v1?deploymentId={deployment}&application=test",
            self.run.base_url().replace("http", "ws")
        );
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }

    async fn deployment(&self, id: &str, configuration: Value) {
        self.admin(
            "/deployments",
            json!({"id": id, "name": id, "configuration": configuration}),
        )
        .await;
    }
}

async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// The next text frame (None: closed, or nothing within `ms`).
async fn next_within(ws: &mut Ws, ms: u64) -> Option<Value> {
    loop {
        let m = tokio::time::timeout(Duration::from_millis(ms), ws.next())
            .await
            .ok()??;
        match m {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(t.as_str()).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

async fn next(ws: &mut Ws) -> Value {
    next_within(ws, 3000).await.expect("a frame")
}

fn configure(token: &str) -> Value {
    json!({"action": "configureSession", "token": token, "deploymentId": "d", "startNew": false, "tracingId": "t-1"})
}

fn clear(token: &str) -> Value {
    json!({"action": "onMessage", "token": token, "tracingId": "t-2",
           "message": {"type": "Event", "events": [{"eventType": "Presence", "presence": {"type": "Clear"}}]}})
}

fn text(token: &str, t: &str) -> Value {
    json!({"action": "onMessage", "token": token, "message": {"type": "Text", "text": t}})
}

async fn conversations(e: &Emu) -> usize {
    e.get("/__emulator/conversations").await["ids"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn an_unknown_token_is_a_new_session_without_a_conversation() {
    let e = start().await;
    e.deployment("d", json!({})).await;
    let url = format!(
        "{}/v1?deploymentId=nope",
        e.run.base_url().replace("http", "ws")
    );
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("expected a 403 upgrade, got {:?}", other.map(|_| ())),
    }
    let before = conversations(&e).await;
    let mut ws = e.socket("d").await;
    send(&mut ws, configure(TOKEN)).await;
    let r = next(&mut ws).await;
    assert_eq!(
        (r["type"].as_str(), r["class"].as_str(), r["code"].as_u64()),
        (Some("response"), Some("SessionResponse"), Some(200))
    );
    assert_eq!(
        (
            r["body"]["connected"].as_bool(),
            r["body"]["newSession"].as_bool(),
            r["tracingId"].as_str()
        ),
        (Some(true), Some(true), Some("t-1"))
    );
    assert_eq!(
        conversations(&e).await,
        before,
        "configure starts no conversation"
    );
    send(&mut ws, json!({"action": "closeSession", "token": TOKEN, "closeAllConnections": true, "tracingId": "t-3"})).await;
    let r = next(&mut ws).await;
    assert_eq!(
        (r["class"].as_str(), r["body"]["connected"].as_bool()),
        (Some("SessionResponse"), Some(false))
    );
    let seen = e.get("/__emulator/guest/connections?deploymentId=d").await;
    assert_eq!(seen["storedSessions"], 0);
    let actions: Vec<&str> = seen["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["configureSession", "closeSession"]);
    assert_eq!(conversations(&e).await, before);
}

#[tokio::test]
async fn clear_ends_the_conversation_and_reaches_every_tab() {
    let e = start().await;
    e.deployment("d", json!({})).await;
    let s = e.admin("/guest/sessions", json!({"deploymentId": "d", "token": TOKEN, "queueId": "c0000000-0000-4000-8000-000000000001"})).await;
    assert!(
        !s.to_string().contains(TOKEN),
        "the admin answer never echoes the token"
    );
    let id = s["conversationId"].as_str().unwrap().to_string();
    let (mut tab, mut ours) = (e.socket("d").await, e.socket("d").await);
    for ws in [&mut tab, &mut ours] {
        send(ws, configure(TOKEN)).await;
        assert_eq!(next(ws).await["body"]["newSession"], false);
    }
    send(&mut ours, clear(TOKEN)).await;
    let echo = next(&mut ours).await;
    assert_eq!(
        (
            echo["type"].as_str(),
            echo["code"].as_u64(),
            echo["tracingId"].as_str()
        ),
        (Some("response"), Some(200), Some("t-2"))
    );
    for ws in [&mut ours, &mut tab] {
        assert_eq!(next(ws).await["class"], "SessionClearedEvent");
        let closed = next(ws).await;
        assert_eq!(
            (closed["type"].as_str(), closed["class"].as_str()),
            (Some("message"), Some("ConnectionClosedEvent"))
        );
        assert!(next_within(ws, 1000).await.is_none(), "the server closes");
    }
    let c = e.get(&format!("/__emulator/conversations/{id}")).await;
    assert_eq!(c["state"], "ended");
    assert_eq!(c["participants"][0]["disconnectType"], "client");
    let mut again = e.socket("d").await;
    send(&mut again, configure(TOKEN)).await;
    assert_eq!(
        next(&mut again).await["body"]["newSession"],
        true,
        "the session was deleted"
    );
}

#[tokio::test]
async fn a_disabled_clear_answers_the_documented_403() {
    let e = start().await;
    e.deployment("d", json!({"conversationClear": false})).await;
    let mut ws = e.socket("d").await;
    send(&mut ws, configure(TOKEN)).await;
    next(&mut ws).await;
    send(&mut ws, clear(TOKEN)).await;
    let r = next(&mut ws).await;
    assert_eq!(
        r,
        json!({"type": "response", "class": "string", "code": 403, "tracingId": "t-2",
        "body": "Presence events Conversation Clear are not supported"})
    );
    e.admin("/deployments", json!({"id": "d", "configuration": {"conversationClear": false}, "clearForbiddenBody": "denied for {token}"})).await;
    send(&mut ws, clear(TOKEN)).await;
    assert_eq!(next(&mut ws).await["body"], format!("denied for {TOKEN}"));
}

#[tokio::test]
async fn read_only_sessions_refuse_text_but_allow_clear() {
    let e = start().await;
    e.deployment(
        "d",
        json!({"conversationDisconnect": {"enabled": true, "type": "ReadOnly"}}),
    )
    .await;
    let mut ws = e.socket("d").await;
    send(&mut ws, configure(TOKEN)).await;
    next(&mut ws).await;
    send(&mut ws, text(TOKEN, "hello")).await;
    let r = next(&mut ws).await;
    assert_eq!(
        (r["class"].as_str(), r["body"]["text"].as_str()),
        (Some("StructuredMessage"), Some("hello"))
    );
    let seen = e.get("/__emulator/conversations?state=active").await;
    let id = seen["ids"][0].as_str().unwrap().to_string();
    let (s, _) = e
        .call(
            Method::DELETE,
            &format!("/api/v2/conversations/{id}"),
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let mut tab = e.socket("d").await;
    send(&mut tab, configure(TOKEN)).await;
    assert_eq!(next(&mut tab).await["body"]["readOnly"], true);
    send(&mut tab, text(TOKEN, "again")).await;
    let r = next(&mut tab).await;
    assert_eq!(
        (r["code"].as_u64(), r["body"].as_str()),
        (
            Some(409),
            Some("Session is read-only, no new messages allowed")
        )
    );
    send(&mut tab, clear(TOKEN)).await;
    assert_eq!(next(&mut tab).await["code"], 200);
    assert_eq!(next(&mut tab).await["class"], "SessionClearedEvent");
}

#[tokio::test]
async fn expired_forgotten_and_unconfigured_sessions() {
    let e = start().await;
    e.deployment("d", json!({"sessionDurationSeconds": 3600}))
        .await;
    e.admin(
        "/guest/sessions",
        json!({"deploymentId": "d", "token": "old", "expired": true}),
    )
    .await;
    e.admin(
        "/guest/sessions",
        json!({"deploymentId": "d", "token": "gone", "forgotten": true}),
    )
    .await;
    let mut ws = e.socket("d").await;
    send(&mut ws, configure("old")).await;
    assert_eq!(next(&mut ws).await["code"], 4006);
    send(&mut ws, configure("gone")).await;
    assert_eq!(next(&mut ws).await["code"], 4007);
    send(&mut ws, text("never-configured", "hi")).await;
    assert_eq!(next(&mut ws).await["code"], 4007);
    send(&mut ws, json!({"action": "getJwt", "token": TOKEN})).await;
    assert_eq!(next(&mut ws).await["code"], 400);
    send(&mut ws, configure(TOKEN)).await;
    let r = next(&mut ws).await;
    assert_eq!(r["body"]["durationSeconds"], 3600);
    assert!(r["body"]["expirationDate"].as_i64().unwrap() > 1_700_000_000);
    let ping = json!({"action": "echo", "token": TOKEN, "tracingId": "SGVhbHRoQ2hlY2tNZXNzYWdlSWQ=", "message": {"type": "Text", "text": "ping"}});
    send(&mut ws, ping).await;
    let r = next(&mut ws).await;
    assert_eq!(
        (
            r["class"].as_str(),
            r["body"]["text"].as_str(),
            r["tracingId"].as_str()
        ),
        (
            Some("StructuredMessage"),
            Some("ping"),
            Some("SGVhbHRoQ2hlY2tNZXNzYWdlSWQ=")
        )
    );
    assert_eq!(r["body"]["metadata"]["durationSeconds"], "3600");
}

#[tokio::test]
async fn a_fourth_connection_closes_one_and_mute_never_answers() {
    let e = start().await;
    e.deployment("d", json!({})).await;
    let mut tabs = Vec::new();
    for _ in 0..4 {
        let mut ws = e.socket("d").await;
        send(&mut ws, configure(TOKEN)).await;
        tabs.push(ws);
    }
    let first = next(&mut tabs[0]).await;
    assert_eq!(first["class"], "SessionResponse");
    assert_eq!(
        next(&mut tabs[0]).await["class"],
        "ConnectionClosedEvent",
        "the oldest goes"
    );
    assert_eq!(next(&mut tabs[3]).await["class"], "SessionResponse");
    let (s, _) = e
        .call(
            Method::PATCH,
            "/__emulator/config",
            None,
            Some(json!({"guestLimitCloses": "newest"})),
        )
        .await;
    assert!(s.is_success());
    let mut fifth = e.socket("d").await;
    send(&mut fifth, configure(TOKEN)).await;
    assert_eq!(
        next(&mut fifth).await["class"],
        "ConnectionClosedEvent",
        "the newest goes"
    );
    e.admin("/guest/mute", json!({"deploymentId": "d", "muted": true}))
        .await;
    let mut muted = e.socket("d").await;
    send(&mut muted, configure("other")).await;
    assert!(next_within(&mut muted, 400).await.is_none());
    let seen = e.get("/__emulator/guest/connections?deploymentId=d").await;
    assert_eq!(seen["configured"], 3);
}

#[tokio::test]
async fn guest_text_resets_the_queue_timer() {
    let e = start().await;
    e.deployment("d", json!({})).await;
    let media = json!({"message": {"inactivityTimeoutSettings": {"timeoutSeconds": 1, "actionType": "DISCONNECT"},
        "subTypeSettings": {"webmessaging": {"enableInactivityTimeout": true}}}});
    e.admin(
        "/queues",
        json!({"id": "tq", "name": "Timed", "mediaSettings": media}),
    )
    .await;
    let s = e
        .admin(
            "/guest/sessions",
            json!({"deploymentId": "d", "token": TOKEN, "queueId": "tq"}),
        )
        .await;
    let id = s["conversationId"].as_str().unwrap().to_string();
    let mut ws = e.socket("d").await;
    send(&mut ws, configure(TOKEN)).await;
    next(&mut ws).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    send(&mut ws, text(TOKEN, "still here")).await;
    next(&mut ws).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        e.get(&format!("/__emulator/conversations/{id}")).await["state"],
        "active"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let c = e.get(&format!("/__emulator/conversations/{id}")).await;
    assert_eq!(
        (
            c["state"].as_str(),
            c["participants"][1]["disconnectType"].as_str()
        ),
        (Some("ended"), Some("inactivity"))
    );
}

#[tokio::test]
async fn deployment_reads_with_their_permissions_and_public_config_json() {
    let e = start().await;
    e.deployment("d", json!({"conversationDisconnect": {"enabled": true, "type": "ReadOnly"}, "sessionDurationSeconds": 7200})).await;
    e.deployment(
        "d",
        json!({"conversationClear": false, "sessionDurationSeconds": 600}),
    )
    .await;
    let role = e.admin("/roles", json!({"name": "Deployments", "permissions": ["webDeployments:deployment:view", "webDeployments:configuration:view"]})).await;
    e.admin("/clients", json!({"id": "dep", "roleIds": [role["id"]]}))
        .await;
    e.admin("/tokens", json!({"token": "dep-token", "clientId": "dep"}))
        .await;
    let (s, d) = e
        .call(
            Method::GET,
            "/api/v2/webdeployments/deployments/d",
            Some("dep-token"),
            None,
        )
        .await;
    assert_eq!(
        (
            s,
            d["status"].as_str(),
            d["configuration"]["version"].as_str()
        ),
        (StatusCode::OK, Some("Active"), Some("2"))
    );
    let (s, v) = e
        .call(
            Method::GET,
            "/api/v2/webdeployments/deployments/d",
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(
        (
            s,
            v["message"]
                .as_str()
                .unwrap()
                .contains("webDeployments:deployment:view")
        ),
        (StatusCode::FORBIDDEN, true)
    );
    let cid = d["configuration"]["id"].as_str().unwrap();
    let version = format!("/api/v2/webdeployments/configurations/{cid}/versions/1");
    let (s, v) = e.call(Method::GET, &version, Some("dep-token"), None).await;
    let conv = &v["messenger"]["apps"]["conversations"];
    assert_eq!(
        (
            s,
            conv["conversationDisconnect"]["type"].as_str(),
            conv["sessionDurationSeconds"].as_u64()
        ),
        (StatusCode::OK, Some("ReadOnly"), Some(7200))
    );
    let (s, _) = e
        .call(Method::GET, &version, Some("cc-cleanup-token"), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = e
        .call(
            Method::GET,
            "/api/v2/webdeployments/deployments/d/configurations",
            Some("cc-readonly-token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "no permission needed");
    assert_eq!(
        v["configurationVersion"]["messenger"]["apps"]["conversations"]["conversationClear"]
            ["enabled"],
        false
    );
    assert_eq!(v["deployment"]["id"], "d");
    let cfg_path = "/webdeployments/v1/deployments/d/config.json";
    let (s, cfg) = e.call(Method::GET, cfg_path, None, None).await;
    let conv = &cfg["messenger"]["apps"]["conversations"];
    assert_eq!(
        (
            s,
            cfg["status"].as_str(),
            conv["conversationClear"]["enabled"].as_bool()
        ),
        (StatusCode::OK, Some("Active"), Some(false))
    );
    assert!(conv.get("sessionDurationSeconds").is_none() && cfg.get("auth").is_some());
    let (s, _) = e
        .call(
            Method::PATCH,
            "/__emulator/config",
            None,
            Some(json!({"configJsonSessionDuration": true})),
        )
        .await;
    assert!(s.is_success());
    let (_, cfg) = e.call(Method::GET, cfg_path, None, None).await;
    assert_eq!(
        cfg["messenger"]["apps"]["conversations"]["sessionDurationSeconds"],
        600
    );
    let log = e.get("/__emulator/requests").await;
    let entry = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == cfg_path)
        .unwrap()
        .clone();
    assert_eq!(
        (entry["status"].as_u64(), &entry["auth"]),
        (Some(200), &Value::Null)
    );
    assert!(!log.to_string().contains(TOKEN));
}
