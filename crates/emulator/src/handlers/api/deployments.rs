//! Messenger deployments (the SDK's `WebDeploymentsApi`, DOCUMENTED paths
//! and permissions): a deployment, one configuration version, the active
//! configuration of a deployment ("Requires NO permissions"), and the
//! public `config.json` Messenger loads (no Authorization; the Messenger
//! transport SDK's `Urls.kt`).

use super::answer::{ok, ApiResult};
use super::require::{CONFIGURATION_VIEW, DEPLOYMENT_VIEW, NO_PERMISSIONS, NO_SCOPES};
use crate::app::App;
use crate::genesys::auth::Ctx;
use crate::genesys::errors::ApiError;
use crate::genesys::render;
use crate::model::deployment::Deployment;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

fn deployment_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Web deployment {id} was not found."))
}

fn find<'a>(app: &'a crate::app::State, id: &str) -> Result<&'a Deployment, ApiError> {
    app.store
        .deployments
        .get(id)
        .ok_or_else(|| deployment_not_found(id))
}

/// `GET /api/v2/webdeployments/deployments/{id}` (`webDeployments:deployment:view`).
pub async fn get_deployment(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(NO_SCOPES, DEPLOYMENT_VIEW)?;
    let st = app.lock();
    ok(render::deployment(find(&st, &id)?))
}

/// `GET /api/v2/webdeployments/configurations/{cid}/versions/{version}`
/// (`webDeployments:configuration:view`). There is no `versions/active`.
pub async fn get_version(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path((cid, version)): Path<(String, String)>,
) -> ApiResult {
    ctx.require(NO_SCOPES, CONFIGURATION_VIEW)?;
    let st = app.lock();
    let found = st
        .store
        .deployments
        .values()
        .find(|d| d.configuration_id == cid)
        .and_then(|d| Some((d, d.version_of(&version)?)));
    match found {
        Some((d, s)) => ok(render::configuration_version(d, s, &version)),
        None => Err(ApiError::not_found(format!(
            "Configuration {cid} version {version} was not found."
        ))),
    }
}

/// `GET /api/v2/webdeployments/deployments/{id}/configurations`: any valid
/// token ("Requires NO permissions") -> `{configurationVersion, deployment}`.
pub async fn get_active_configuration(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(NO_SCOPES, NO_PERMISSIONS)?;
    let st = app.lock();
    let d = find(&st, &id)?;
    ok(json!({
        "configurationVersion": render::configuration_version(d, d.active(), &d.version()),
        "deployment": render::deployment(d),
    }))
}

/// `GET /webdeployments/v1/deployments/{id}/config.json`: public, served
/// whatever Authorization says; 404 for an unknown deployment (UNCONFIRMED:
/// what the CDN answers).
pub async fn config_json(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    let st = app.lock();
    match st.store.deployments.get(&id) {
        Some(d) => Json(render::config_json(
            d,
            &base,
            st.config.config_json_session_duration,
        ))
        .into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response(),
    }
}
