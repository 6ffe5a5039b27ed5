//! `GET /api/v2/routing/queues`: the org's queues, in pages.

use super::answer::{ok, ApiResult};
use super::require::{NO_SCOPES, QUEUE_VIEW};
use crate::app::App;
use crate::genesys::auth::Ctx;
use crate::genesys::errors::ApiError;
use crate::genesys::render;
use crate::model::Queue;
use axum::extract::{Query, State};
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
        .map(|x| render::queue(x, &st.store))
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
