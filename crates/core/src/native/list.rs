//! The queues and their timers: `GET /api/v2/routing/queues` (the listing
//! watch mode uses, `routing:queue:view`), each entity kept as raw JSON and
//! read by `genesys::queue::timer_of`. Whether the listing carries
//! `mediaSettings` is UNCONFIRMED (the Terraform provider's exporter reads
//! them there): when no listed queue carries them, each queue is read with
//! `GET /api/v2/routing/queues/{id}` instead (8 at a time, at most
//! `maxQueueReads`), and its timer says `source: 'queue'`.

use crate::error::Error;
use crate::genesys::ids::is_uuid;
use crate::genesys::queue::{timer_of, QueueTimer, SettingsSource};
use crate::genesys::routes;
use crate::http::transport::{Parsed, Request, Transport};
use futures::StreamExt;
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The most queues listed (a guard against an answer that pages forever).
pub const MAX_QUEUES: usize = 100_000;
const PAGE_SIZE: u32 = 100;
/// Per-queue reads at once in the fallback.
const CONCURRENCY: usize = 8;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    #[serde(default)]
    entities: Vec<Value>,
    #[serde(default)]
    page_count: Option<u64>,
}

/// Queues as read, and the requests it took.
pub struct Listed {
    pub queues: Vec<Value>,
    pub requests: u32,
}

/// Every queue as the listing gives it (raw), page by page; only entities
/// with a valid id are kept (ids go into paths later).
pub async fn list_raw(t: &Transport, cancel: &CancellationToken) -> Result<Listed, Error> {
    let mut call = t.call(cancel);
    let mut out: Vec<Value> = Vec::new();
    for page in 1u32.. {
        let action = format!("listing queues with their media settings (page {page})");
        let req = Request {
            method: Method::GET,
            path: format!("{}?pageSize={PAGE_SIZE}&pageNumber={page}", routes::QUEUES),
            route: routes::QUEUES,
            body: None,
            action: &action,
        };
        let listing = t
            .send(&req, &mut call, |status, body| match status {
                200 => serde_json::from_slice::<Listing>(body)
                    .map_or(Parsed::Unreadable, Parsed::Accept),
                _ => Parsed::Reject,
            })
            .await?
            .value;
        let got = listing.entities.len();
        out.extend(listing.entities.into_iter().filter(has_valid_id));
        let last = listing.page_count.is_some_and(|n| u64::from(page) >= n);
        if got == 0 || last || out.len() >= MAX_QUEUES {
            break;
        }
    }
    out.truncate(MAX_QUEUES);
    Ok(Listed {
        queues: out,
        requests: call.stats.requests,
    })
}

fn has_valid_id(q: &Value) -> bool {
    q.get("id").and_then(Value::as_str).is_some_and(is_uuid)
}

/// `GET /api/v2/routing/queues/{id}`: the whole queue as raw JSON (`None`: 404).
pub async fn get_queue(
    t: &Transport,
    id: &str,
    cancel: &CancellationToken,
) -> Result<(Option<Value>, u32), Error> {
    let mut call = t.call(cancel);
    let action = format!("reading queue {id}");
    let req = Request {
        method: Method::GET,
        path: routes::fill(routes::QUEUE, &[id]),
        route: routes::QUEUE,
        body: None,
        action: &action,
    };
    let reply = t
        .send(&req, &mut call, |status, body| match status {
            200 => serde_json::from_slice::<Value>(body)
                .ok()
                .filter(Value::is_object)
                .map_or(Parsed::Unreadable, |v| Parsed::Accept(Some(v))),
            404 => Parsed::Accept(None),
            _ => Parsed::Reject,
        })
        .await?;
    Ok((reply.value, call.stats.requests))
}

/// The timers of `queues` (raw, from the listing). When none carries
/// `mediaSettings`, each (up to `max_reads`) is read on its own.
pub async fn timers(
    t: &Transport,
    queues: Vec<Value>,
    max_reads: usize,
    cancel: &CancellationToken,
) -> Result<(Vec<QueueTimer>, u32), Error> {
    if queues.is_empty() || queues.iter().any(|q| q.get("mediaSettings").is_some()) {
        let timers = queues
            .iter()
            .map(|q| timer_of(q, SettingsSource::Listing))
            .collect();
        return Ok((timers, 0));
    }
    let mut requests = 0;
    let mut out = Vec::with_capacity(queues.len());
    let reads = futures::stream::iter(queues.into_iter().enumerate().map(|(i, q)| async move {
        if i >= max_reads {
            return Ok((timer_of(&q, SettingsSource::Listing), 0));
        }
        let id = q
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let (read, n) = get_queue(t, &id, cancel).await?;
        Ok::<_, Error>(match read {
            Some(full) => (timer_of(&full, SettingsSource::Queue), n),
            None => (timer_of(&q, SettingsSource::Listing), n),
        })
    }))
    .buffered(CONCURRENCY);
    futures::pin_mut!(reads);
    while let Some(r) = reads.next().await {
        let (timer, n) = r?;
        requests += n;
        out.push(timer);
    }
    Ok((out, requests))
}

/// The queues named by id or exact name (all when `wanted` is `None`).
/// An unknown name, or a name two queues share, is `ERR_INVALID_ARGUMENT`.
pub fn select<'a>(all: &'a [Value], wanted: Option<&[String]>) -> Result<Vec<&'a Value>, Error> {
    let Some(wanted) = wanted else {
        return Ok(all.iter().collect());
    };
    let mut out: Vec<&Value> = Vec::new();
    for w in wanted {
        let q = find(all, w)?;
        if !out.iter().any(|o| std::ptr::eq(*o, q)) {
            out.push(q);
        }
    }
    Ok(out)
}

/// The one queue with id or exact name `w`.
pub fn find<'a>(all: &'a [Value], w: &str) -> Result<&'a Value, Error> {
    let id_of = |q: &Value| {
        q.get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let name_of = |q: &Value| {
        q.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if let Some(q) = all.iter().find(|q| id_of(q).eq_ignore_ascii_case(w)) {
        return Ok(q);
    }
    let named: Vec<&Value> = all.iter().filter(|q| name_of(q) == w).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => {
            let known: Vec<String> = all.iter().take(10).map(name_of).collect();
            Err(Error::invalid_argument(format!(
                "queue: no queue has the id or name {}. Known queues{}: {}. Names are matched exactly.",
                crate::genesys::ids::describe(w),
                if all.len() > 10 { " (the first 10)" } else { "" },
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )))
        }
        many => Err(Error::invalid_argument(format!(
            "queue: {} queues are named {}; name one by id: {}.",
            many.len(),
            crate::genesys::ids::describe(w),
            many.iter().map(|q| id_of(q)).collect::<Vec<_>>().join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn find_by_id_name_and_refuse_ambiguity() {
        let all = vec![
            json!({"id": "A1", "name": "Support"}),
            json!({"id": "b2", "name": "Sales"}),
            json!({"id": "c3", "name": "Sales"}),
        ];
        assert_eq!(find(&all, "a1").unwrap()["name"], "Support");
        assert_eq!(find(&all, "Support").unwrap()["id"], "A1");
        let e = find(&all, "Sales").unwrap_err();
        assert!(e.message.contains("2 queues"), "{}", e.message);
        assert!(find(&all, "Nope").unwrap_err().message.contains("Support"));
        assert_eq!(select(&all, None).unwrap().len(), 3);
        let w = vec!["Support".to_string(), "a1".to_string()];
        assert_eq!(select(&all, Some(&w)).unwrap().len(), 1);
    }
}
