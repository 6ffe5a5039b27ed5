//! `GET /api/v2/routing/queues` (the org's queues, in pages), and one
//! queue: `GET` and `PUT /api/v2/routing/queues/{id}`.

use super::answer::json_object;
use super::answer::{ok, ApiResult};
use super::require::{NO_SCOPES, QUEUE_EDIT, QUEUE_VIEW};
use crate::app::App;
use crate::genesys::auth::Ctx;
use crate::genesys::errors::ApiError;
use crate::genesys::render;
use crate::ground::clock::{format_iso, now_ms};
use crate::model::queue::{check_body, drop_path, RENDERED};
use crate::model::Queue;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Extension;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `GET /api/v2/routing/queues` (`routing:queue:view`, RoutingApi.md of the
/// Python SDK): a `QueueEntityListing` sorted by name; `pageSize` (default
/// 25; above 500 is 400, UNCONFIRMED), `pageNumber` (default 1), `name`
/// (exact match here; Genesys also matches prefixes with `*`, not served).
pub async fn list(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    ctx.require(NO_SCOPES, QUEUE_VIEW)?;
    let num = |key: &str, default: u64| -> Result<u64, ApiError> {
        match q.get(key) {
            None => Ok(default),
            Some(v) => v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                ApiError::invalid_value(format!("{key} must be a whole number from 1."))
            }),
        }
    };
    let page_size = num("pageSize", 25)?;
    let page_number = num("pageNumber", 1)?;
    if page_size > 500 {
        return Err(ApiError::invalid_value("pageSize must be at most 500."));
    }
    let st = app.lock();
    let mut queues: Vec<&Queue> = st
        .store
        .queues
        .values()
        .filter(|x| q.get("name").is_none_or(|n| &x.name == n))
        .collect();
    queues.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let total = queues.len() as u64;
    let page_count = total.div_ceil(page_size);
    let start = ((page_number - 1).saturating_mul(page_size)).min(total) as usize;
    let entities: Vec<Value> = queues
        .iter()
        .skip(start)
        .take(page_size as usize)
        .map(|x| render::queue(x, &st.store, st.config.queue_listing_media_settings))
        .collect();
    let uri = |n: u64| format!("/api/v2/routing/queues?pageSize={page_size}&pageNumber={n}");
    let mut out = json!({
        "entities": entities,
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": uri(1),
        "selfUri": uri(page_number),
        "lastUri": uri(page_count.max(1)),
    });
    if page_number < page_count {
        out["nextUri"] = json!(uri(page_number + 1));
    }
    if page_number > 1 {
        out["previousUri"] = json!(uri(page_number - 1));
    }
    ok(out)
}

fn queue_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Queue {id} was not found."))
}

/// `GET /api/v2/routing/queues/{id}` (`routing:queue:view`, DOCUMENTED):
/// the whole `Queue`, `mediaSettings` included.
pub async fn get_one(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(NO_SCOPES, QUEUE_VIEW)?;
    let st = app.lock();
    let q = st
        .store
        .queues
        .get(&id)
        .ok_or_else(|| queue_not_found(&id))?;
    ok(render::queue(q, &st.store, true))
}

/// `PUT /api/v2/routing/queues/{id}` (`routing:queue:edit`, DOCUMENTED):
/// the body (`QueueRequest`, `name` required) replaces the stored object
/// whole (UNCONFIRMED in the reference; the Terraform provider re-reads
/// before each PUT because of it). Config `queuePutDropFields` drops those
/// paths from what is stored (a test fault).
pub async fn put_one(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    ctx.require(NO_SCOPES, QUEUE_EDIT)?;
    let sent = json_object(&body)?;
    check_body(&sent).map_err(ApiError::invalid_value)?;
    let mut st = app.lock();
    let st = &mut *st;
    let drops = &st.config.queue_put_drop_fields;
    let q = st
        .store
        .queues
        .get_mut(&id)
        .ok_or_else(|| queue_not_found(&id))?;
    let mut stored = sent.clone();
    for k in RENDERED {
        stored.remove(k);
    }
    stored.insert("dateModified".into(), json!(format_iso(now_ms())));
    for path in drops {
        drop_path(&mut stored, path);
    }
    q.name = sent["name"].as_str().unwrap_or_default().to_string();
    q.body = stored;
    q.puts += 1;
    q.last_put = Some(Value::Object(sent));
    let out = render::queue(&st.store.queues[&id], &st.store, true);
    // A timer switched on (or off) acts from now.
    st.reap(now_ms());
    ok(out)
}
