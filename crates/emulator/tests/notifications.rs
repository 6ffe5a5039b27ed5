//! The Notifications API over real sockets: channels, subscriptions
//! (Permitted/Rejected), the WebSocket envelope, heartbeats, ping, and the
//! fault controls (drop events, drop socket, socket_closing, expiry).

use futures_util::{SinkExt, StreamExt};
mod common;

use common::{start, Emu, Ws};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const SUPPORT: &str = "c0000000-0000-4000-8000-000000000001";
const SALES: &str = "c0000000-0000-4000-8000-000000000002";

/// The next text frame that is not a heartbeat, as JSON (None: closed).
async fn next_event(ws: &mut Ws) -> Option<Value> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame in time")?;
        match m {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["topicName"] == "channel.metadata"
                    && v["eventBody"]["message"] == "WebSocket Heartbeat"
                {
                    continue;
                }
                return Some(v);
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

async fn channel(e: &Emu, token: &str) -> (String, String) {
    let (s, ch) = e
        .call(
            Method::POST,
            "/api/v2/notifications/channels",
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ch}");
    assert!(ch["expires"].as_str().unwrap().ends_with('Z'));
    (
        ch["id"].as_str().unwrap().into(),
        ch["connectUri"].as_str().unwrap().into(),
    )
}

fn topic(q: &str) -> String {
    format!("v2.routing.queues.{q}.conversations.messages")
}

#[tokio::test]
async fn queues_are_listed_in_pages_with_their_permission() {
    let e = start().await;
    let (s, page) = e
        .call(
            Method::GET,
            "/api/v2/routing/queues?pageSize=2&pageNumber=1",
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["total"], 3);
    assert_eq!(page["pageCount"], 2);
    assert_eq!(page["entities"][0]["name"], "Billing", "sorted by name");
    assert!(page["nextUri"].is_string());
    let (_, last) = e
        .call(
            Method::GET,
            "/api/v2/routing/queues?pageSize=2&pageNumber=2",
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(last["entities"].as_array().unwrap().len(), 1);
    let (s, err) = e
        .call(
            Method::GET,
            "/api/v2/routing/queues",
            Some("cc-readonly-token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(err["code"], "missing.permissions");
    let (s, _) = e
        .call(
            Method::GET,
            "/api/v2/routing/queues?pageSize=501",
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn subscriptions_are_permitted_or_rejected_per_permission() {
    let e = start().await;
    let (id, _) = channel(&e, "cc-readonly-token").await;
    let path = format!("/api/v2/notifications/channels/{id}/subscriptions");
    let body = json!([{"id": topic(SUPPORT)}]);
    let (s, err) = e
        .call(
            Method::PUT,
            &path,
            Some("cc-readonly-token"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "without ignoreErrors the batch fails: {err}"
    );
    let (s, v) = e
        .call(
            Method::PUT,
            &format!("{path}?ignoreErrors=true"),
            Some("cc-readonly-token"),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["entities"][0]["state"], "Rejected");
    assert_eq!(
        v["entities"][0]["missingPermissions"],
        json!(["routing:queue:view"])
    );
    // Another client's channel is not found.
    let (s, _) = e
        .call(Method::GET, &path, Some("cc-cleanup-token"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The cleanup client may; an unknown queue is rejected.
    let (id, _) = channel(&e, "cc-cleanup-token").await;
    let path = format!("/api/v2/notifications/channels/{id}/subscriptions?ignoreErrors=true");
    let (_, v) = e
        .call(
            Method::POST,
            &path,
            Some("cc-cleanup-token"),
            Some(json!([{"id": topic(SUPPORT)}, {"id": topic("nope")}])),
        )
        .await;
    assert_eq!(v["entities"][0]["state"], "Permitted");
    assert_eq!(v["entities"][1]["state"], "Rejected");
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"id": topic(&format!("q{i}"))}))
        .collect();
    e.admin("/queues", json!({"id": "q0", "name": "q0"})).await;
    for i in 1..1001 {
        e.admin(
            "/queues",
            json!({"id": format!("q{i}"), "name": format!("q{i}")}),
        )
        .await;
    }
    let (s, _) = e
        .call(
            Method::PUT,
            &path,
            Some("cc-cleanup-token"),
            Some(Value::Array(too_many)),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "more than 1000 topics");
}

#[tokio::test]
async fn the_socket_carries_queue_events_heartbeats_and_pongs() {
    let e = start().await;
    e.call(
        Method::PATCH,
        "/__emulator/config",
        None,
        Some(json!({"heartbeatMs": 100})),
    )
    .await;
    let (id, uri) = channel(&e, "cc-cleanup-token").await;
    assert!(uri.starts_with("ws://127.0.0.1:"), "{uri}");
    e.call(
        Method::PUT,
        &format!("/api/v2/notifications/channels/{id}/subscriptions"),
        Some("cc-cleanup-token"),
        Some(json!([{"id": topic(SUPPORT)}])),
    )
    .await;
    let (mut ws, _) = tokio_tungstenite::connect_async(uri.as_str())
        .await
        .unwrap();
    // A heartbeat comes within a few intervals.
    let first = tokio::time::timeout(Duration::from_secs(2), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let v: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(v["eventBody"]["message"], "WebSocket Heartbeat");
    // On the subscribed queue: an event for the creation and for a message.
    let c = e.admin("/conversations", json!({})).await;
    let cid = c["id"].as_str().unwrap();
    let ev = next_event(&mut ws).await.unwrap();
    assert_eq!(ev["topicName"], topic(SUPPORT));
    assert_eq!(ev["version"], "2");
    assert!(ev["metadata"]["CorrelationId"].is_string());
    assert_eq!(ev["eventBody"]["id"], cid);
    e.admin(&format!("/conversations/{cid}/messages"), json!({}))
        .await;
    let ev = next_event(&mut ws).await.unwrap();
    let customer = &ev["eventBody"]["participants"][0];
    assert_eq!(customer["type"], "webmessaging");
    assert!(customer["messages"][0]["message"]["id"].is_string());
    assert!(customer["messages"][0]["messageTime"].is_string());
    // Another queue and a bot flow (no queue) are not sent; dropped events are lost.
    e.admin("/conversations", json!({"queueId": SALES})).await;
    e.admin("/conversations", json!({"agent": false})).await;
    e.admin("/notifications/drop-events", json!({"count": 1}))
        .await;
    e.admin(&format!("/conversations/{cid}/messages"), json!({}))
        .await;
    ws.send(Message::Text(r#"{"message":"ping"}"#.into()))
        .await
        .unwrap();
    let pong = next_event(&mut ws).await.unwrap();
    assert_eq!(
        pong["eventBody"]["message"], "pong",
        "nothing came before the pong: {pong}"
    );
    // Disconnecting publishes the ended conversation.
    let (s, _) = e
        .call(
            Method::PATCH,
            &format!("/api/v2/conversations/messages/{cid}"),
            Some("cc-cleanup-token"),
            Some(json!({"state": "disconnected"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let ev = next_event(&mut ws).await.unwrap();
    assert_eq!(ev["eventBody"]["participants"][0]["state"], "disconnected");
    let (_, n) = e
        .call(Method::GET, "/__emulator/notifications", None, None)
        .await;
    assert_eq!(n["channels"][0]["eventsDropped"], 1);
    assert_eq!(n["channels"][0]["connected"], true);
}

#[tokio::test]
async fn faults_close_drop_and_expire_sockets() {
    let e = start().await;
    let (id, uri) = channel(&e, "cc-cleanup-token").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(uri.as_str())
        .await
        .unwrap();
    let (mut ws2, _) = tokio_tungstenite::connect_async(uri.as_str())
        .await
        .unwrap();
    assert!(
        next_event(&mut ws).await.is_none(),
        "a second socket closes the first"
    );
    e.admin("/notifications/socket-closing", json!({"graceMs": 50}))
        .await;
    let ev = next_event(&mut ws2).await.unwrap();
    assert_eq!(ev["topicName"], "v2.system.socket_closing");
    assert_eq!(ev["eventBody"]["channelId"], id.as_str());
    assert!(
        next_event(&mut ws2).await.is_none(),
        "closed after the grace time"
    );
    let (mut ws3, _) = tokio_tungstenite::connect_async(uri.as_str())
        .await
        .unwrap();
    e.admin("/notifications/drop-socket", json!({})).await;
    let end = tokio::time::timeout(Duration::from_secs(5), ws3.next())
        .await
        .unwrap();
    assert!(
        !matches!(end, Some(Ok(Message::Close(_)))),
        "no close frame: {end:?}"
    );
    let (mut ws4, _) = tokio_tungstenite::connect_async(uri.as_str())
        .await
        .unwrap();
    e.admin("/notifications/expire", json!({"channelId": id}))
        .await;
    assert!(next_event(&mut ws4).await.is_none());
    assert!(
        tokio_tungstenite::connect_async(uri.as_str())
            .await
            .is_err(),
        "an expired channel is gone"
    );
    let (s, _) = e
        .call(
            Method::GET,
            &format!("/api/v2/notifications/channels/{id}/subscriptions"),
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A short lifetime expires by itself.
    e.call(
        Method::PATCH,
        "/__emulator/config",
        None,
        Some(json!({"channelLifetimeMs": 200})),
    )
    .await;
    let (_, uri) = channel(&e, "cc-cleanup-token").await;
    let (mut ws5, _) = tokio_tungstenite::connect_async(uri.as_str())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    assert!(next_event(&mut ws5).await.is_none());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn events_can_be_delayed() {
    let e = start().await;
    e.call(
        Method::PATCH,
        "/__emulator/config",
        None,
        Some(json!({"notificationDelayMs": 300})),
    )
    .await;
    let (id, uri) = channel(&e, "cc-cleanup-token").await;
    e.call(
        Method::PUT,
        &format!("/api/v2/notifications/channels/{id}/subscriptions"),
        Some("cc-cleanup-token"),
        Some(json!([{"id": topic(SUPPORT)}])),
    )
    .await;
    let (mut ws, _) = tokio_tungstenite::connect_async(uri.as_str())
        .await
        .unwrap();
    let sent = std::time::Instant::now();
    e.admin("/conversations", json!({})).await;
    let ev = next_event(&mut ws).await.unwrap();
    assert_eq!(ev["topicName"], topic(SUPPORT));
    assert!(
        sent.elapsed() >= Duration::from_millis(300),
        "{:?}",
        sent.elapsed()
    );
}
