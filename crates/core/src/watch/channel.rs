//! The REST side of watch mode: listing queues (`GET /api/v2/routing/queues`,
//! paged `QueueEntityListing`, permission `routing:queue:view`), creating a
//! notification channel and subscribing its topics with `ignoreErrors`
//! (shared/genesys-notifications.md sections 1-2). Every answer is bounded
//! and every id from it validated before it goes into a path or a topic;
//! the channel's `connectUri` is checked before anything connects to it.

use crate::error::{Error, ErrorCode};
use crate::genesys::region::{self, is_loopback};
use crate::genesys::routes;
use crate::http::transport::{Parsed, Request, Transport};
use crate::text::{bound_text, bound_token, MAX_TEXT};
use bytes::Bytes;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;
use url::{Host, Url};

/// "Each WebSocket connection is limited to 1,000 topics" (B-ES; SC `MAX_SUBSCRIBABLE_TOPICS`).
pub const MAX_TOPICS_PER_CHANNEL: usize = 1000;
/// The most queues read (a guard against an answer that pages forever).
pub const MAX_QUEUES: usize = 100_000;
const QUEUE_PAGE_SIZE: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub id: String,
    pub name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueueListing {
    #[serde(default)]
    entities: Vec<QueueEntity>,
    #[serde(default)]
    page_count: Option<u64>,
}

#[derive(Deserialize)]
struct QueueEntity {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Queues to watch. Listing needs `routing:queue:view`; when it is refused
/// and every wanted queue is given by id, those ids are watched as given.
pub async fn watched_queues(
    t: &Transport,
    wanted: Option<&[String]>,
    cancel: &CancellationToken,
) -> Result<Vec<Queue>, Error> {
    match list_queues(t, cancel).await {
        Ok(all) => resolve_queues(&all, wanted),
        Err(e) if e.code == ErrorCode::MissingPermission => match wanted {
            Some(ids) if ids.iter().all(|q| crate::genesys::ids::is_uuid(q)) => Ok(ids
                .iter()
                .map(|id| Queue {
                    id: id.to_ascii_lowercase(),
                    name: String::new(),
                })
                .collect()),
            _ => Err(Error {
                message: format!(
                    "{} Watch mode lists the queues to subscribe to: grant routing:queue:view, or pass queues by id.",
                    e.message
                ),
                ..e
            }),
        },
        Err(e) => Err(e),
    }
}

/// Every queue, page by page (until `pageCount` or an empty page).
pub async fn list_queues(t: &Transport, cancel: &CancellationToken) -> Result<Vec<Queue>, Error> {
    let mut call = t.call(cancel);
    let mut out = Vec::new();
    for page in 1u32.. {
        let action = format!("listing queues (page {page})");
        let req = Request {
            method: Method::GET,
            path: format!(
                "{}?pageSize={QUEUE_PAGE_SIZE}&pageNumber={page}",
                routes::QUEUES
            ),
            route: routes::QUEUES,
            body: None,
            action: &action,
        };
        let listing = t
            .send(&req, &mut call, |status, body| match status {
                200 => serde_json::from_slice::<QueueListing>(body)
                    .map_or(Parsed::Unreadable, Parsed::Accept),
                _ => Parsed::Reject,
            })
            .await?
            .value;
        let got = listing.entities.len();
        out.extend(listing.entities.into_iter().filter_map(|q| {
            let id = q.id.filter(|id| crate::genesys::ids::is_uuid(id))?;
            Some(Queue {
                id: id.to_ascii_lowercase(),
                name: bound_text(q.name.as_deref().unwrap_or(""), MAX_TEXT),
            })
        }));
        let last = listing.page_count.is_some_and(|n| u64::from(page) >= n);
        if got == 0 || last || out.len() >= MAX_QUEUES {
            break;
        }
    }
    out.truncate(MAX_QUEUES);
    Ok(out)
}

/// The queues to watch: all of them, or those named by id or by exact name.
/// Pure. An unknown one is `ERR_INVALID_ARGUMENT` naming a few known names.
pub fn resolve_queues(all: &[Queue], wanted: Option<&[String]>) -> Result<Vec<Queue>, Error> {
    let Some(wanted) = wanted else {
        return Ok(all.to_vec());
    };
    let mut out: Vec<Queue> = Vec::new();
    for w in wanted {
        let found = all
            .iter()
            .find(|q| q.id.eq_ignore_ascii_case(w))
            .or_else(|| all.iter().find(|q| q.name == *w));
        match found {
            Some(q) if !out.contains(q) => out.push(q.clone()),
            Some(_) => {}
            None => {
                let known: Vec<&str> = all.iter().take(10).map(|q| q.name.as_str()).collect();
                return Err(Error::invalid_argument(format!(
                    "queues: no queue has the id or name {}. Known queues{}: {}. Names are matched exactly.",
                    crate::genesys::ids::describe(w),
                    if all.len() > 10 { " (the first 10)" } else { "" },
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                )));
            }
        }
    }
    Ok(out)
}

/// A channel (`POST /api/v2/notifications/channels`), checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelInfo {
    pub id: String,
    pub connect_uri: Url,
    /// Epoch ms.
    pub created_ms: u64,
    pub expires_ms: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChannelAnswer {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    connect_uri: Option<String>,
    #[serde(default)]
    expires: Option<String>,
}

fn is_channel_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn upstream(message: String) -> Error {
    Error::new(ErrorCode::Upstream, message)
}

/// Checks a `connectUri` from the server before connecting to it: `wss`
/// (plain `ws` only to loopback), no userinfo, and a host that is the API's
/// own (an emulator, a proxy) or `streaming.` + a Genesys region's domain
/// (`wss://streaming.{env}/channels/{id}`, CLI/B-CLI). Pure.
pub fn check_connect_uri(raw: &str, api_base: &str) -> Result<Url, Error> {
    let bad = |why: &str| {
        upstream(format!(
            "The notification channel's connectUri {} {why}; it was not connected to.",
            crate::genesys::ids::describe(&bound_text(raw, 200))
        ))
    };
    let url = Url::parse(raw).map_err(|_| bad("is not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("carries credentials"));
    }
    let host = url.host().ok_or_else(|| bad("has no host"))?;
    let loopback = is_loopback(&host);
    match url.scheme() {
        "wss" => {}
        "ws" if loopback => {}
        "ws" => {
            return Err(bad(
                "is plain ws to a host that is not loopback (wss is required)",
            ))
        }
        _ => return Err(bad("is not a WebSocket URL")),
    }
    let api = Url::parse(api_base).map_err(|_| bad("cannot be checked against the API host"))?;
    let same_host = api.host_str().is_some_and(|h| {
        Some(h.to_ascii_lowercase()) == url.host_str().map(str::to_ascii_lowercase)
    });
    let genesys = match &host {
        Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            d.strip_prefix("streaming.")
                .is_some_and(|domain| region::list().iter().any(|r| r.domain == domain))
        }
        _ => false,
    };
    if !(same_host || genesys) {
        return Err(bad(
            "is neither on the API's host nor on a Genesys Cloud streaming host",
        ));
    }
    Ok(url)
}

fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Creates a channel.
pub async fn create_channel(
    t: &Transport,
    cancel: &CancellationToken,
) -> Result<ChannelInfo, Error> {
    let mut call = t.call(cancel);
    let req = Request {
        method: Method::POST,
        path: routes::CHANNELS.into(),
        route: routes::CHANNELS,
        body: None,
        action: "creating a notification channel",
    };
    let reply = t
        .send(&req, &mut call, |status, body| match status {
            200 | 201 => serde_json::from_slice::<ChannelAnswer>(body)
                .map_or(Parsed::Unreadable, Parsed::Accept),
            _ => Parsed::Reject,
        })
        .await?;
    let a = reply.value;
    let id =
        a.id.filter(|id| is_channel_id(id))
            .ok_or_else(|| upstream("The notification channel answer has no valid id.".into()))?;
    let connect_uri = check_connect_uri(a.connect_uri.as_deref().unwrap_or(""), t.api_base())?;
    let now = epoch_ms(SystemTime::now());
    // Without a readable expiry, assume the documented 24 h.
    let expires_ms = a
        .expires
        .as_deref()
        .and_then(crate::time::parse_time)
        .map(epoch_ms)
        .filter(|e| *e > now)
        .unwrap_or(now + 86_400_000);
    Ok(ChannelInfo {
        id,
        connect_uri,
        created_ms: now,
        expires_ms,
    })
}

/// A topic the API refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedTopic {
    pub topic: String,
    /// The queue of the topic.
    pub queue_id: String,
    /// The queue's name, when known.
    pub queue_name: String,
    /// `rejectionReason` as Genesys gave it (bounded).
    pub reason: String,
    /// Permissions Genesys named as missing.
    pub missing_permissions: Vec<String>,
}

#[derive(Deserialize)]
struct TopicList {
    #[serde(default)]
    entities: Vec<TopicVerdict>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopicVerdict {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    rejection_reason: Option<String>,
    #[serde(default)]
    missing_permissions: Vec<String>,
}

/// Replaces the channel's topics (`PUT ...?ignoreErrors=true`, so one
/// refused topic does not fail the rest) and returns the refused ones.
pub async fn subscribe(
    t: &Transport,
    channel: &ChannelInfo,
    queues: &[Queue],
    cancel: &CancellationToken,
) -> Result<Vec<RejectedTopic>, Error> {
    let topics: Vec<serde_json::Value> = queues
        .iter()
        .map(|q| serde_json::json!({ "id": super::frame::queue_topic(&q.id) }))
        .collect();
    let mut call = t.call(cancel);
    let req = Request {
        method: Method::PUT,
        path: format!(
            "{}?ignoreErrors=true",
            routes::fill(routes::SUBSCRIPTIONS, &[&channel.id])
        ),
        route: routes::SUBSCRIPTIONS,
        body: Some(Bytes::from(serde_json::Value::Array(topics).to_string())),
        action: "subscribing the queue topics",
    };
    let list = t
        .send(&req, &mut call, |status, body| match status {
            200 => {
                serde_json::from_slice::<TopicList>(body).map_or(Parsed::Unreadable, Parsed::Accept)
            }
            _ => Parsed::Reject,
        })
        .await?
        .value;
    Ok(rejected(queues, list))
}

/// The rejected topics of a subscription answer. Pure. A queue whose topic
/// the answer does not mention is counted as rejected too: nothing says it
/// was subscribed.
fn rejected(queues: &[Queue], list: TopicList) -> Vec<RejectedTopic> {
    let mut out = Vec::new();
    for q in queues {
        let topic = super::frame::queue_topic(&q.id);
        let verdict = list.entities.iter().find(|v| {
            v.id.as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(&topic))
        });
        let (reason, missing) = match verdict {
            Some(v) if v.state.as_deref() != Some("Rejected") => continue,
            Some(v) => (
                v.rejection_reason
                    .as_deref()
                    .unwrap_or("rejected")
                    .to_string(),
                v.missing_permissions
                    .iter()
                    .take(16)
                    .map(|p| bound_token(p))
                    .collect(),
            ),
            None => ("not in the subscription answer".to_string(), vec![]),
        };
        out.push(RejectedTopic {
            topic,
            queue_id: q.id.clone(),
            queue_name: q.name.clone(),
            reason: bound_text(&reason, MAX_TEXT),
            missing_permissions: missing,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, name: &str) -> Queue {
        Queue {
            id: id.into(),
            name: name.into(),
        }
    }

    const A: &str = "c0000000-0000-4000-8000-000000000001";
    const B: &str = "c0000000-0000-4000-8000-000000000002";

    #[test]
    fn queues_resolve_by_id_or_exact_name() {
        let all = vec![q(A, "Support"), q(B, "Sales")];
        assert_eq!(resolve_queues(&all, None).unwrap(), all);
        let got = resolve_queues(
            &all,
            Some(&["Sales".into(), A.to_uppercase(), "Sales".into()]),
        )
        .unwrap();
        assert_eq!(got, vec![q(B, "Sales"), q(A, "Support")]);
        let e = resolve_queues(&all, Some(&["sales".into()])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
        assert!(e.message.contains("Support, Sales"), "{}", e.message);
    }

    #[test]
    fn connect_uris_are_checked() {
        let genesys = "https://api.mypurecloud.ie";
        let emulator = "http://127.0.0.1:4000";
        let ok = [
            (
                "wss://streaming.mypurecloud.ie/channels/streaming-5-x",
                genesys,
            ),
            ("wss://streaming.mypurecloud.com/channels/x", genesys),
            ("ws://127.0.0.1:4000/channels/x", emulator),
            (
                "wss://proxy.example.com/channels/x",
                "https://proxy.example.com",
            ),
        ];
        for (uri, base) in ok {
            assert!(check_connect_uri(uri, base).is_ok(), "{uri}");
        }
        let bad = [
            (
                "ws://streaming.mypurecloud.ie/channels/x",
                genesys,
                "plain ws",
            ),
            ("wss://evil.example.com/channels/x", genesys, "neither"),
            ("wss://streaming.evil.com/channels/x", genesys, "neither"),
            (
                "https://streaming.mypurecloud.ie/x",
                genesys,
                "not a WebSocket",
            ),
            (
                "wss://u:p@streaming.mypurecloud.ie/x",
                genesys,
                "credentials",
            ),
            ("ws://127.0.0.2:4000/channels/x", emulator, "neither"),
            ("", genesys, "not a URL"),
        ];
        for (uri, base, why) in bad {
            let e = check_connect_uri(uri, base).unwrap_err();
            assert_eq!(e.code, ErrorCode::Upstream);
            assert!(e.message.contains(why), "{uri}: {}", e.message);
        }
    }

    #[test]
    fn rejected_topics_are_reported_with_their_permissions() {
        let queues = vec![
            q(A, "Support"),
            q(B, "Sales"),
            q("c0000000-0000-4000-8000-000000000003", "Billing"),
        ];
        let list: TopicList = serde_json::from_str(&format!(
            r#"{{"entities":[
            {{"id":"v2.routing.queues.{A}.conversations.messages","state":"Permitted"}},
            {{"id":"v2.routing.queues.{B}.conversations.messages","state":"Rejected","rejectionReason":"no","missingPermissions":["routing:queue:view"]}}]}}"#
        ))
        .unwrap();
        let r = rejected(&queues, list);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].queue_name, "Sales");
        assert_eq!(r[0].missing_permissions, ["routing:queue:view"]);
        assert_eq!(r[1].reason, "not in the subscription answer");
        assert!(is_channel_id("streaming-0-abc_1"));
        assert!(!is_channel_id("../x") && !is_channel_id(""));
    }
}
