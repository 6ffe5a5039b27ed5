//! `POST /api/v2/analytics/conversations/details/query` (the query itself
//! is `genesys::analytics`).

use super::answer::{ok, ApiResult};
use super::require::{ANALYTICS, ANALYTICS_SCOPES};
use crate::app::App;
use crate::genesys::analytics;
use crate::genesys::auth::Ctx;
use crate::ground::clock::now_ms;
use axum::body::Bytes;
use axum::extract::State;
use axum::Extension;

pub async fn query(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> ApiResult {
    ctx.require(ANALYTICS_SCOPES, ANALYTICS)?;
    let query = analytics::parse(&body)?;
    let now = now_ms();
    let st = app.lock();
    let timers = st.timers();
    ok(analytics::run(
        &query,
        &st.store,
        now,
        st.config.analytics_lag_ms,
        &timers,
    ))
}
