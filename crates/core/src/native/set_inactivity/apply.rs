//! The requests of `setQueueInactivity`: find the queue, GET it whole, plan
//! the change, and (with `apply`) PUT the whole object back and re-read it
//! to verify. `GET` needs `routing:queue:view`, `PUT` `routing:queue:edit`.

use super::plan::{plan, verify};
use super::{QueueInactivityChange, SetQueueInactivityOptions};
use crate::error::{Error, ErrorCode};
use crate::genesys::ids::is_uuid;
use crate::genesys::queue::{timer_of, SettingsSource};
use crate::genesys::routes;
use crate::http::transport::{Parsed, Request, Transport};
use crate::native::list::{find, get_queue, list_raw};
use bytes::Bytes;
use reqwest::Method;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Genesys warns agents one minute before the timeout: a shorter one leaves
/// no warning (the real floor is UNCONFIRMED).
const WARN_BELOW_SECONDS: u64 = 60;

pub async fn set_queue_inactivity(
    t: &Transport,
    o: &SetQueueInactivityOptions,
    cancel: &CancellationToken,
) -> Result<QueueInactivityChange, Error> {
    let named = o.queue.as_deref().unwrap_or_default().trim();
    let mut requests = 0;
    let id = if is_uuid(named) {
        named.to_ascii_lowercase()
    } else {
        let listed = list_raw(t, cancel).await?;
        requests += listed.requests;
        let q = find(&listed.queues, named)?;
        q["id"].as_str().unwrap_or_default().to_ascii_lowercase()
    };
    let (queue, n) = get_queue(t, &id, cancel).await?;
    requests += n;
    let queue = queue.ok_or_else(|| {
        Error::new(
            ErrorCode::NotFound,
            format!(
                "Queue {id} was not found (GET /api/v2/routing/queues/{{queueId}} answered 404)."
            ),
        )
    })?;
    let desired = o.desired();
    let (body, changes) = plan(&queue, &desired);
    let before = timer_of(&queue, SettingsSource::Queue);
    let mut out = QueueInactivityChange {
        queue_id: id.clone(),
        queue_name: before.queue_name.clone(),
        applied: false,
        after: timer_of(&body, SettingsSource::Queue),
        before,
        changes,
        body,
        verified: None,
        mismatches: Vec::new(),
        warnings: warnings(desired.timeout_seconds.filter(|_| desired.enabled)),
        requests,
    };
    if !o.apply || out.changes.is_empty() {
        return Ok(out);
    }
    out.requests += put(t, &id, &out.body, cancel).await?;
    out.applied = true;
    let (reread, n) = get_queue(t, &id, cancel).await?;
    out.requests += n;
    let reread = reread.unwrap_or(Value::Null);
    out.mismatches = verify(&out.body, &reread);
    out.verified = Some(out.mismatches.is_empty());
    out.after = timer_of(&reread, SettingsSource::Queue);
    Ok(out)
}

fn warnings(timeout_seconds: Option<u64>) -> Vec<String> {
    match timeout_seconds {
        Some(s) if s < WARN_BELOW_SECONDS => vec![format!(
            "A timeout of {s} s is shorter than the one-minute warning Genesys shows before it ends a conversation; whether Genesys accepts it is unconfirmed."
        )],
        _ => Vec::new(),
    }
}

/// `PUT /api/v2/routing/queues/{id}` with the whole queue.
async fn put(
    t: &Transport,
    id: &str,
    body: &Value,
    cancel: &CancellationToken,
) -> Result<u32, Error> {
    let mut call = t.call(cancel);
    let action = format!("updating queue {id} (PUT, routing:queue:edit)");
    let bytes = serde_json::to_vec(body).map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            format!("could not write the queue as JSON ({e})."),
        )
    })?;
    let req = Request {
        method: Method::PUT,
        path: routes::fill(routes::QUEUE, &[id]),
        route: routes::QUEUE,
        body: Some(Bytes::from(bytes)),
        action: &action,
    };
    t.send(&req, &mut call, |status, _| match status {
        200..=299 => Parsed::Accept(()),
        _ => Parsed::Reject,
    })
    .await?;
    Ok(call.stats.requests)
}
