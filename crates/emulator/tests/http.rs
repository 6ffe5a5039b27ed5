//! HTTP-level tests: a real emulator on 127.0.0.1:0, driven with reqwest.

mod common;

use common::{start, Answer, Emu};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl Emu {
    async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Method::GET, path, Some(token), None).await
    }

    async fn admin_call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send(method, &format!("/__emulator{path}"), None, body)
            .await
    }

    async fn conversation(&self, spec: Value) -> Value {
        let a = self
            .admin_call(Method::POST, "/conversations", Some(spec))
            .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        a.body
    }

    async fn patch_disconnect(&self, id: &str, token: &str) -> Answer {
        self.send(
            Method::PATCH,
            &format!("/api/v2/conversations/messages/{id}"),
            Some(token),
            Some(json!({"state": "disconnected"})),
        )
        .await
    }
}

fn error_body(a: &Answer, status: u16, code: &str, message: &str) {
    assert_eq!(a.status.as_u16(), status, "{:?}", a.body);
    assert_eq!(a.body["code"], code);
    assert_eq!(a.body["message"], message);
    assert_eq!(a.body["messageWithParams"], message);
    assert_eq!(a.body["status"], status);
    assert_eq!(a.body["messageParams"], json!({}));
    assert_eq!(a.body["details"], json!([]));
    assert_eq!(a.body["errors"], json!([]));
    assert_eq!(a.body["contextId"], a.header("inin-correlation-id"));
}

#[tokio::test]
async fn authorization_errors() {
    let e = start().await;
    let a = e.send(Method::GET, "/api/v2/tokens/me", None, None).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.body["code"], "authentication.required");
    assert_eq!(
        e.get("/api/v2/tokens/me", "nope").await.body["code"],
        "bad.credentials"
    );
    let t = e
        .admin_call(
            Method::POST,
            "/tokens",
            Some(json!({"clientId": "cleanup-client", "ttlSec": 0})),
        )
        .await;
    let expired = t.body["accessToken"].as_str().unwrap();
    assert_eq!(
        e.get("/api/v2/tokens/me", expired).await.body["code"],
        "credentials.expired"
    );
    // Revocation.
    assert_eq!(
        e.get("/api/v2/tokens/me", "cc-wrapup-token").await.status,
        200
    );
    assert_eq!(
        e.admin_call(Method::DELETE, "/tokens/cc-wrapup-token", None)
            .await
            .status,
        204
    );
    assert_eq!(
        e.get("/api/v2/tokens/me", "cc-wrapup-token").await.body["code"],
        "bad.credentials"
    );
    // 401 comes before 404 for unknown routes; with a token the route 404s.
    let path = "/api/v2/conversations/webmessaging/00000000-0000-0000-0000-000000000000";
    assert_eq!(e.send(Method::DELETE, path, None, None).await.status, 401);
    let a = e
        .send(Method::DELETE, path, Some("cc-cleanup-token"), None)
        .await;
    error_body(
        &a,
        404,
        "not.found",
        "The requested resource was not found.",
    );
    assert_eq!(a.header("inin-ratelimit-allowed"), "1000000");
    e.run.stop().await;
}

#[tokio::test]
async fn permission_and_scope_checks_with_exact_bodies() {
    let e = start().await;
    let id = e.conversation(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = e.patch_disconnect(&id, "cc-readonly-token").await;
    error_body(&a, 403, "missing.any.permissions", "Unable to perform the requested action. You must have at least one of the following permissions assigned: [conversation:communication:disconnect, conversation:message:park]");
    let a = e
        .send(
            Method::DELETE,
            &format!("/api/v2/conversations/{id}"),
            Some("cc-readonly-token"),
            None,
        )
        .await;
    error_body(&a, 403, "missing.permissions", "Unable to perform the requested action. You are missing the following permission(s): [conversation:communication:disconnect]");
    // The nil-UUID probe: permission passes, then 404.
    let a = e
        .patch_disconnect("00000000-0000-0000-0000-000000000000", "cc-cleanup-token")
        .await;
    assert_eq!(a.status, 404);
    // Permission is checked before the body.
    let a = e
        .send(
            Method::PATCH,
            &format!("/api/v2/conversations/messages/{id}"),
            Some("cc-readonly-token"),
            Some(json!({"state": "bogus"})),
        )
        .await;
    assert_eq!(a.status, 403);
    let a = e
        .send(
            Method::PATCH,
            &format!("/api/v2/conversations/messages/{id}"),
            Some("cc-cleanup-token"),
            Some(json!({"state": "bogus"})),
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), a.body["code"].as_str()),
        (400, Some("invalid.value"))
    );

    // Scopes: user tokens only.
    let a = e.patch_disconnect(&id, "user-noscope-token").await;
    error_body(
        &a,
        403,
        "app.not.authorized.for.scope",
        "App not authorized to use scope [conversations]",
    );
    let a = e
        .send(
            Method::POST,
            "/api/v2/analytics/conversations/details/query",
            Some("user-noscope-token"),
            Some(json!({})),
        )
        .await;
    error_body(
        &a,
        403,
        "app.not.authorized.for.scope",
        "App not authorized to use scope [analytics:readonly, analytics]",
    );
    assert_eq!(
        e.get(
            &format!("/api/v2/conversations/messages/{id}"),
            "user-noscope-token"
        )
        .await
        .status,
        200
    );
    // Scope ok, permission missing (Viewer Jones is read only).
    assert_eq!(
        e.patch_disconnect(&id, "user-readonly-token").await.body["code"],
        "missing.any.permissions"
    );
    // Configurable code, and no enforcement.
    e.admin_call(
        Method::PATCH,
        "/config",
        Some(json!({"scopeErrorCode": "not.authorized"})),
    )
    .await;
    assert_eq!(
        e.patch_disconnect(&id, "user-noscope-token").await.body["code"],
        "not.authorized"
    );
    e.admin_call(
        Method::PATCH,
        "/config",
        Some(json!({"enforceScopes": false})),
    )
    .await;
    assert_eq!(
        e.patch_disconnect(&id, "user-noscope-token").await.status,
        200
    );

    // Wildcard roles.
    e.admin_call(
        Method::POST,
        "/roles",
        Some(json!({"id": "r-wild", "name": "Wild", "permissions": ["conversation:*:*"]})),
    )
    .await;
    e.admin_call(
        Method::POST,
        "/clients",
        Some(json!({"id": "wild", "secret": "s", "roleIds": ["r-wild"]})),
    )
    .await;
    e.admin_call(
        Method::POST,
        "/tokens",
        Some(json!({"token": "wild-token", "clientId": "wild"})),
    )
    .await;
    let id2 = e.conversation(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(e.patch_disconnect(&id2, "wild-token").await.status, 200);
    e.run.stop().await;
}

#[tokio::test]
async fn token_info_users_me_clients_roles() {
    let e = start().await;
    let a = e.get("/api/v2/tokens/me", "user-cleanup-token").await;
    assert_eq!(
        a.body["authorizedScope"],
        json!(["conversations", "analytics"])
    );
    assert_eq!(a.body["OAuthClient"]["authorizedGrantType"], "CODE");
    assert_eq!(a.body["organization"]["name"], "Emulated Org");
    assert!(a.body["OAuthClient"].get("roleDivisions").is_none());
    e.admin_call(
        Method::PATCH,
        "/config",
        Some(json!({"tokenInfoRoleDivisions": true})),
    )
    .await;
    let a = e.get("/api/v2/tokens/me", "cc-cleanup-token").await;
    assert_eq!(a.body["authorizedScope"], json!([]));
    assert_eq!(
        a.body["OAuthClient"]["roleDivisions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let a = e
        .get("/api/v2/users/me?expand=authorization", "cc-cleanup-token")
        .await;
    error_body(&a, 400, "bad.request", "This request requires a user context. Client credentials cannot be used for requests to this resource.");
    let a = e
        .get(
            "/api/v2/users/me?expand=authorization",
            "user-readonly-token",
        )
        .await;
    assert_eq!(a.body["name"], "Viewer Jones");
    assert_eq!(a.body["authorization"]["roles"][0]["name"], "Read only");
    assert_eq!(
        a.body["authorization"]["permissions"],
        json!([
            "conversation:communication:view",
            "analytics:conversationDetail:view"
        ])
    );

    let a = e
        .get("/api/v2/oauth/clients/readonly-client", "cc-readonly-token")
        .await;
    assert_eq!(
        a.body["roleDivisions"][0]["roleId"],
        "a0000000-0000-4000-8000-000000000002"
    );
    let a = e
        .get("/api/v2/oauth/clients/readonly-client", "cc-wrapup-token")
        .await;
    assert_eq!(a.body["code"], "missing.permissions");
    let a = e
        .get(
            "/api/v2/authorization/roles/a0000000-0000-4000-8000-000000000003",
            "cc-cleanup-token",
        )
        .await;
    assert_eq!(a.body["permissionPolicies"][0]["domain"], "conversation");
    assert_eq!(a.body["permissions"].as_array().unwrap().len(), 2);
    assert_eq!(
        e.get("/api/v2/authorization/roles/nope", "cc-cleanup-token")
            .await
            .status,
        404
    );
    e.run.stop().await;
}

#[tokio::test]
async fn oauth_token_endpoint() {
    let e = start().await;
    let post = |user: &str, pass: &str, form: &str| {
        e.http
            .post(e.url("/oauth/token"))
            .basic_auth(user, Some(pass))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
    };
    let r = post(
        "cleanup-client",
        "cleanup-secret",
        "grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 86400);
    let token = v["access_token"].as_str().unwrap();
    assert_eq!(
        e.get("/api/v2/tokens/me", token).await.body["OAuthClient"]["id"],
        "cleanup-client"
    );

    let r = post("cleanup-client", "wrong", "grant_type=client_credentials")
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["error"], "invalid_client");
    assert!(v["error_description"].is_string() && v["description"].is_string());
    let r = post("cleanup-client", "cleanup-secret", "grant_type=password")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["error"], "unsupported_grant_type");

    e.admin_call(
        Method::PATCH,
        "/config",
        Some(json!({"tokenRateLimitPerMinute": 1})),
    )
    .await;
    assert_eq!(
        post(
            "bare-client",
            "bare-secret",
            "grant_type=client_credentials"
        )
        .await
        .unwrap()
        .status(),
        200
    );
    let r = post(
        "bare-client",
        "bare-secret",
        "grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (v["error"].as_str(), v["description"].as_str()),
        (Some("invalid_request"), Some("rate limit exceeded"))
    );
    e.run.stop().await;
}

#[tokio::test]
async fn rate_limit_with_retry_after_and_order() {
    let e = start().await;
    e.admin_call(
        Method::PATCH,
        "/config",
        Some(json!({"rateLimitPerMinute": 2})),
    )
    .await;
    let a = e.get("/api/v2/tokens/me", "cc-cleanup-token").await;
    assert_eq!(
        (
            a.header("inin-ratelimit-count"),
            a.header("inin-ratelimit-allowed")
        ),
        ("1", "2")
    );
    assert_eq!(
        e.get("/api/v2/tokens/me", "cc-cleanup-token").await.status,
        200
    );
    let a = e.get("/api/v2/tokens/me", "cc-cleanup-token").await;
    let secs: u64 = a.header("retry-after").parse().unwrap();
    assert!((59..=60).contains(&secs), "{secs}");
    error_body(
        &a,
        429,
        "too.many.requests.retry.after",
        &format!("Rate limit exceeded the maximum. Retry the request in [{secs}] seconds"),
    );
    assert_eq!(a.header("inin-ratelimit-reset"), secs.to_string());
    // Another token has its own window; 401 comes before 429.
    assert_eq!(
        e.get("/api/v2/tokens/me", "cc-readonly-token").await.status,
        200
    );
    assert_eq!(e.get("/api/v2/tokens/me", "bogus").await.status, 401);
    // 429 comes before the scope check.
    e.get("/api/v2/tokens/me", "user-noscope-token").await;
    e.get("/api/v2/tokens/me", "user-noscope-token").await;
    assert_eq!(
        e.patch_disconnect("x", "user-noscope-token").await.status,
        429
    );
    // A short window resets.
    e.admin_call(Method::PATCH, "/config", Some(json!({"rateWindowMs": 300})))
        .await;
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        e.get("/api/v2/tokens/me", "cc-cleanup-token").await.status,
        200
    );
    let stats = e.admin_call(Method::GET, "/stats", None).await.body;
    assert_eq!(stats["rateLimited"], 2);
    e.run.stop().await;
}

#[tokio::test]
async fn patch_state_machine() {
    let e = start().await;
    let c = e.conversation(json!({"agentWrapupRequired": true})).await;
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["state"], "active");
    let a = e
        .get(
            &format!("/api/v2/conversations/messages/{id}"),
            "cc-cleanup-token",
        )
        .await;
    assert_eq!(a.body["participants"][0]["type"], "webmessaging");
    assert_eq!(a.body["participants"][1]["wrapupRequired"], true);
    assert!(a.body["participants"][0].get("endTime").is_none());

    let a = e.patch_disconnect(id, "cc-cleanup-token").await;
    assert_eq!(a.status, 200);
    for p in a.body["participants"].as_array().unwrap() {
        assert_eq!(p["state"], "disconnected");
        assert_eq!(p["messages"][0]["state"], "disconnected");
        assert!(p["endTime"].is_string());
    }
    assert!(a.body["endTime"].is_string());
    let stored = e
        .admin_call(Method::GET, &format!("/conversations/{id}"), None)
        .await
        .body;
    assert_eq!(stored["state"], "ended");
    assert_eq!(stored["participants"][0]["disconnectType"], "client");
    // Already ended: 200 no change, or 409 with config.
    assert_eq!(e.patch_disconnect(id, "cc-cleanup-token").await.status, 200);
    e.admin_call(
        Method::PATCH,
        "/config",
        Some(json!({"patchEndedConversation": "conflict"})),
    )
    .await;
    let a = e.patch_disconnect(id, "cc-cleanup-token").await;
    assert_eq!(
        (a.status.as_u16(), a.body["code"].as_str()),
        (409, Some("conversation.already.ended"))
    );

    // Voice: 404 on the messages family, fine on the generic ones.
    let voice = e.conversation(json!({"type": "voice"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        e.get(
            &format!("/api/v2/conversations/messages/{voice}"),
            "cc-cleanup-token"
        )
        .await
        .status,
        404
    );
    assert_eq!(
        e.get(
            &format!("/api/v2/conversations/{voice}"),
            "cc-cleanup-token"
        )
        .await
        .status,
        200
    );
    let a = e
        .send(
            Method::DELETE,
            &format!("/api/v2/conversations/{voice}"),
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(a.status, 204);
    assert_eq!(
        e.admin_call(Method::GET, &format!("/conversations/{voice}"), None)
            .await
            .body["state"],
        "ended"
    );

    // Stuck: PATCH answers as if it worked, nothing changes; POST disconnect ends it.
    let stuck = e.conversation(json!({"stuck": true})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = e.patch_disconnect(&stuck, "cc-cleanup-token").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["participants"][0]["state"], "disconnected");
    assert_eq!(
        e.admin_call(Method::GET, &format!("/conversations/{stuck}"), None)
            .await
            .body["state"],
        "active"
    );
    let a = e
        .send(
            Method::POST,
            &format!("/api/v2/conversations/{stuck}/disconnect"),
            Some("cc-cleanup-token"),
            None,
        )
        .await;
    assert_eq!(a.status, 202);
    assert_eq!(a.body, json!(stuck));
    assert_eq!(
        e.admin_call(Method::GET, &format!("/conversations/{stuck}"), None)
            .await
            .body["state"],
        "ended"
    );

    // Participant PATCH and wrap-up.
    let c = e.conversation(json!({"agentWrapupRequired": true})).await;
    let (cid, customer, agent) = (
        c["id"].as_str().unwrap(),
        c["participants"][0]["id"].as_str().unwrap(),
        &c["participants"][1],
    );
    let base = format!("/api/v2/conversations/messages/{cid}/participants");
    let a = e
        .send(
            Method::PATCH,
            &format!("{base}/{customer}"),
            Some("cc-wrapup-token"),
            Some(json!({"state": "disconnected"})),
        )
        .await;
    assert_eq!(a.status, 202);
    assert_eq!(a.body, Value::Null);
    let stored = e
        .admin_call(Method::GET, &format!("/conversations/{cid}"), None)
        .await
        .body;
    assert_eq!(
        (
            stored["state"].as_str(),
            stored["participants"][0]["state"].as_str()
        ),
        (Some("active"), Some("disconnected"))
    );
    let (aid, comm) = (
        agent["id"].as_str().unwrap(),
        agent["communicationId"].as_str().unwrap(),
    );
    let a = e
        .send(
            Method::POST,
            &format!("{base}/{aid}/communications/{comm}/wrapup"),
            Some("cc-wrapup-token"),
            Some(json!({"code": "resolved", "notes": "n"})),
        )
        .await;
    assert_eq!(a.status, 202);
    let a = e
        .send(
            Method::POST,
            &format!("{base}/{aid}/communications/nope/wrapup"),
            Some("cc-wrapup-token"),
            Some(json!({"code": "x"})),
        )
        .await;
    assert_eq!(a.status, 404);
    let a = e
        .send(
            Method::POST,
            &format!("{base}/{aid}/communications/{comm}/wrapup"),
            Some("cc-cleanup-token"),
            Some(json!({"code": "x"})),
        )
        .await;
    assert_eq!(a.body["code"], "missing.permissions");
    let a = e
        .send(
            Method::PATCH,
            &format!("{base}/{aid}"),
            Some("cc-cleanup-token"),
            Some(json!({"state": "disconnected", "wrapupSkipped": true})),
        )
        .await;
    assert_eq!(a.status, 202);
    let stored = e
        .admin_call(Method::GET, &format!("/conversations/{cid}"), None)
        .await
        .body;
    assert_eq!(stored["state"], "ended");
    assert_eq!(stored["participants"][1]["wrapup"]["code"], "resolved");
    assert_eq!(stored["participants"][1]["wrapupSkipped"], true);
    let g = e
        .get(&format!("/api/v2/conversations/{cid}"), "cc-readonly-token")
        .await;
    assert_eq!(g.body["participants"][1]["messages"][0]["id"], comm);

    let active = e
        .admin_call(Method::GET, "/conversations?state=active", None)
        .await
        .body;
    assert_eq!(active["ids"], json!([]));
    e.run.stop().await;
}

#[tokio::test]
async fn analytics_query_filters_and_paging() {
    let e = start().await;
    let seeded = e
        .admin_call(
            Method::POST,
            "/seed",
            Some(
                json!({"count": 250, "mix": {"webmessaging": 1}, "endedFraction": 0, "rngSeed": 3}),
            ),
        )
        .await;
    assert_eq!(seeded.body["created"], 250);
    e.admin_call(
        Method::POST,
        "/seed",
        Some(json!({"count": 50, "mix": {"voice": 1, "open": 1}})),
    )
    .await;
    let ended = seeded.body["ids"][0].as_str().unwrap();
    e.patch_disconnect(ended, "cc-cleanup-token").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let interval = format!("{}/{}", iso(now - 3 * 86_400), iso(now + 60));
    let query = |page: u64| {
        json!({
            "interval": interval, "order": "desc", "orderBy": "conversationStart",
            "paging": {"pageSize": 100, "pageNumber": page},
            "conversationFilters": [{"type":"and","predicates":[{"type":"dimension","dimension":"conversationEnd","operator":"notExists"}]}],
            "segmentFilters": [{"type":"and","predicates":[
                {"type":"dimension","dimension":"mediaType","operator":"matches","value":"message"},
                {"type":"dimension","dimension":"messageType","operator":"matches","value":"webmessaging"}]}]
        })
    };
    let path = "/api/v2/analytics/conversations/details/query";
    let mut seen = Vec::new();
    for page in 1.. {
        let a = e
            .send(
                Method::POST,
                path,
                Some("cc-readonly-token"),
                Some(query(page)),
            )
            .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.body["totalHits"], 249);
        let Some(list) = a.body["conversations"].as_array() else {
            break;
        };
        for c in list {
            assert!(c.get("conversationEnd").is_none());
            assert_eq!(
                c["participants"][0]["sessions"][0]["messageType"],
                "webmessaging"
            );
            seen.push(c["conversationStart"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen.len(), 249);
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "descending order");
    // Lag: the just-ended conversation still looks open.
    e.admin_call(
        Method::PATCH,
        "/config",
        Some(json!({"analyticsLagMs": 60_000})),
    )
    .await;
    let a = e
        .send(
            Method::POST,
            path,
            Some("cc-readonly-token"),
            Some(query(1)),
        )
        .await;
    assert_eq!(a.body["totalHits"], 250);
    // Validation and permission.
    let mut bad = query(1);
    bad["paging"]["pageSize"] = json!(101);
    assert_eq!(
        e.send(Method::POST, path, Some("cc-readonly-token"), Some(bad))
            .await
            .status,
        400
    );
    let a = e
        .send(Method::POST, path, Some("cc-wrapup-token"), Some(query(1)))
        .await;
    assert_eq!(a.body["code"], "missing.any.permissions");
    e.run.stop().await;
}

fn iso(secs: u64) -> String {
    // Days-from-civil inverse, enough for the test's interval strings.
    let days = (secs / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[tokio::test]
async fn scripts_and_faults() {
    let e = start().await;
    let id = e.conversation(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v2/conversations/messages/{id}");
    let a = e
        .admin_call(Method::POST, "/script", Some(json!([{"method":"GET","path":"/api/v2/conversations/messages/*","times":3,"respond":{"status":429,"retryAfter":1}}])))
        .await;
    assert_eq!(a.body["queued"], 1);
    for _ in 0..3 {
        let a = e.get(&path, "cc-cleanup-token").await;
        error_body(
            &a,
            429,
            "too.many.requests.retry.after",
            "Rate limit exceeded the maximum. Retry the request in [1] seconds",
        );
        assert_eq!(a.header("retry-after"), "1");
    }
    assert_eq!(e.get(&path, "cc-cleanup-token").await.status, 200);
    // Scripts answer after the auth check.
    e.admin_call(
        Method::POST,
        "/script",
        Some(json!([{"path":"/api/v2/**","respond":{"status":503}}])),
    )
    .await;
    assert_eq!(e.get(&path, "bogus").await.status, 401);
    let a = e.get(&path, "cc-cleanup-token").await;
    assert_eq!(
        (a.status.as_u16(), a.body["code"].as_str()),
        (503, Some("service.unavailable"))
    );
    // Custom body and headers.
    e.admin_call(Method::POST, "/script", Some(json!({"path": path, "respond": {"status": 200, "body": {"hello": 1}, "headers": {"x-test": "y"}}}))).await;
    let a = e.get(&path, "cc-cleanup-token").await;
    assert_eq!(
        (a.body["hello"].as_i64(), a.header("x-test")),
        (Some(1), "y")
    );

    // Reset: a transport error, and the PATCH was still applied.
    e.admin_call(Method::POST, "/script", Some(json!([{"method":"PATCH","path":"/api/v2/conversations/messages/*","respond":{"fault":"reset"}}]))).await;
    let r = e
        .http
        .patch(e.url(&path))
        .bearer_auth("cc-cleanup-token")
        .body(json!({"state":"disconnected"}).to_string())
        .send()
        .await;
    assert!(r.is_err(), "expected a transport error, got {r:?}");
    assert_eq!(
        e.admin_call(Method::GET, &format!("/conversations/{id}"), None)
            .await
            .body["state"],
        "ended"
    );

    // Truncated and malformed: 200 with a body that doesn't parse.
    for fault in ["truncated", "malformed"] {
        e.admin_call(
            Method::POST,
            "/script",
            Some(json!([{"path": path, "respond": {"fault": fault}}])),
        )
        .await;
        let r = e
            .http
            .get(e.url(&path))
            .bearer_auth("cc-cleanup-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        assert!(serde_json::from_slice::<Value>(&bytes).is_err(), "{fault}");
    }
    // Slow: the body takes slowBodyMs.
    e.admin_call(Method::PATCH, "/config", Some(json!({"slowBodyMs": 400})))
        .await;
    e.admin_call(
        Method::POST,
        "/script",
        Some(json!([{"path": path, "respond": {"fault": "slow"}}])),
    )
    .await;
    let t = Instant::now();
    let a = e.get(&path, "cc-cleanup-token").await;
    assert_eq!(a.body["id"], id.as_str());
    assert!(
        t.elapsed() >= Duration::from_millis(350),
        "{:?}",
        t.elapsed()
    );

    // Random faults: rate 1 with only 503.
    e.admin_call(
        Method::PATCH,
        "/config",
        Some(json!({"faultRate": 1, "faults": {"503": 1}})),
    )
    .await;
    assert_eq!(e.get(&path, "cc-cleanup-token").await.status, 503);
    e.admin_call(Method::PATCH, "/config", Some(json!({"faultRate": 0})))
        .await;
    let stats = e.admin_call(Method::GET, "/stats", None).await.body;
    assert_eq!(stats["faultsInjected"], 5);

    // The log: never the token, reset shows no status, admin calls absent.
    let log = e.admin_call(Method::GET, "/requests", None).await.body;
    let entries = log["requests"].as_array().unwrap();
    assert!(entries
        .iter()
        .all(|r| !r.to_string().contains("cc-cleanup-token")));
    assert!(entries
        .iter()
        .all(|r| !r["path"].as_str().unwrap().starts_with("/__emulator")));
    let reset = entries.iter().find(|r| r["fault"] == "reset").unwrap();
    assert_eq!(
        (reset["status"].clone(), reset["auth"].as_str()),
        (Value::Null, Some("Bearer"))
    );
    let last = entries.last().unwrap()["seq"].as_u64().unwrap();
    assert_eq!(
        e.admin_call(Method::GET, &format!("/requests?since={last}"), None)
            .await
            .body["requests"],
        json!([])
    );

    // Reset restores seeded state and clears scripts and config.
    e.admin_call(
        Method::POST,
        "/script",
        Some(json!([{"path": "/api/v2/**", "times": 5, "respond": {"status": 500}}])),
    )
    .await;
    e.admin_call(Method::POST, "/reset", None).await;
    assert_eq!(
        e.get("/api/v2/tokens/me", "cc-cleanup-token").await.status,
        200
    );
    assert_eq!(
        e.admin_call(Method::GET, &format!("/conversations/{id}"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        e.admin_call(Method::GET, "/config", None).await.body["slowBodyMs"],
        1000
    );
    assert_eq!(
        e.admin_call(Method::GET, "/requests", None).await.body["requests"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    e.run.stop().await;
}

#[tokio::test]
async fn admin_validation() {
    let e = start().await;
    assert_eq!(
        e.admin_call(Method::GET, "/health", None).await.body,
        json!({"ok": true})
    );
    assert_eq!(
        e.admin_call(Method::PATCH, "/config", Some(json!({"bogus": 1})))
            .await
            .status,
        400
    );
    assert_eq!(
        e.admin_call(Method::POST, "/conversations", Some(json!({"type": "fax"})))
            .await
            .status,
        400
    );
    assert_eq!(
        e.admin_call(
            Method::POST,
            "/script",
            Some(json!([{"path": "/x", "respond": {}}]))
        )
        .await
        .status,
        400
    );
    assert_eq!(
        e.admin_call(Method::POST, "/tokens", Some(json!({"clientId": "nope"})))
            .await
            .status,
        400
    );
    let t = e
        .admin_call(
            Method::POST,
            "/tokens",
            Some(json!({"clientId": "web-app", "userId": "b0000000-0000-4000-8000-000000000002"})),
        )
        .await;
    let token = t.body["accessToken"].as_str().unwrap();
    let me = e.get("/api/v2/tokens/me", token).await;
    assert_eq!(
        me.body["authorizedScope"],
        json!(["conversations", "conversations:readonly", "analytics"])
    );
    e.run.stop().await;
}
