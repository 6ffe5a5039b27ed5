//! The knobs and the record: `POST /__emulator/reset`, the config, the
//! request log and stats, and scripts.

use super::answer::{bad, ok, parse, AdminResult};
use crate::app::App;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use std::collections::HashMap;

pub async fn health() -> Json<Value> {
    Json(json!({ "ok": true }))
}

pub async fn reset(State(app): State<App>) -> Json<Value> {
    app.reset();
    Json(json!({ "ok": true }))
}

pub async fn get_config(State(app): State<App>) -> AdminResult {
    ok(serde_json::to_value(&app.lock().config).unwrap_or_default())
}

pub async fn patch_config(State(app): State<App>, body: Bytes) -> AdminResult {
    let patch: Value = parse(&body)?;
    let mut st = app.lock();
    let cfg = st.config.merged(&patch).map_err(bad)?;
    // Giving rngSeed (re)starts the sequence, even with the same value.
    if patch.get("rngSeed").is_some() {
        st.rng = cfg
            .rng_seed
            .map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64);
    }
    st.log.set_limit(cfg.log_limit);
    st.config = cfg;
    ok(serde_json::to_value(&st.config).unwrap_or_default())
}

pub async fn get_requests(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult {
    let since = match q.get("since") {
        None => 0,
        Some(s) => s
            .parse()
            .map_err(|_| bad("since must be a sequence number"))?,
    };
    ok(app.lock().log.since_json(since))
}

pub async fn delete_requests(State(app): State<App>) -> StatusCode {
    app.lock().log.clear();
    StatusCode::NO_CONTENT
}

pub async fn get_stats(State(app): State<App>) -> AdminResult {
    ok(app.lock().log.stats_json())
}

pub async fn post_script(State(app): State<App>, body: Bytes) -> AdminResult {
    let v: Value = parse(&body)?;
    let n = app.lock().scripts.add(&v).map_err(bad)?;
    ok(json!({ "queued": n }))
}

pub async fn delete_script(State(app): State<App>) -> StatusCode {
    app.lock().scripts.clear();
    StatusCode::NO_CONTENT
}

pub async fn get_script(State(app): State<App>) -> AdminResult {
    ok(app.lock().scripts.to_json())
}
