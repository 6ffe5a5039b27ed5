//! `/__emulator/orgs`: starting, listing and stopping isolated orgs (see
//! `app::orgs`). An org is a whole emulator, so starting one needs the full
//! router: the route table hands its own builder down as [`MakeRouter`],
//! and no handler imports the router.

use super::answer::{bad, not_found, ok, parse_or_default, AdminResult};
use crate::app::{App, Options};
use crate::net::Background;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::{Ipv4Addr, SocketAddr};

/// Builds the router of an app (the route table's own builder).
pub type MakeRouter = fn(&App) -> Router;

/// `POST /__emulator/orgs` body: how the new org starts.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgSpec {
    /// Open conversations seeded at creation (and after its reset). Default 0.
    #[serde(default)]
    pub seed_conversations: usize,
    /// Settings merged over the defaults, as `PATCH /__emulator/config`.
    #[serde(default)]
    pub config: Option<Value>,
    /// The organization id `tokens/me` answers. Default: the parent's
    /// (tests that hold the default id keep it).
    #[serde(default)]
    pub organization_id: Option<String>,
}

/// Starts an org like this emulator (its start-up options), seeded as
/// asked, on its own loopback port -> `201 {id, url}`.
pub async fn create(app: App, body: Bytes, make_router: MakeRouter) -> AdminResult {
    let spec: OrgSpec = parse_or_default(&body)?;
    app.orgs().has_room().map_err(bad)?;
    let org = new_org(app.options(), &spec).map_err(bad)?;
    // Loopback only, whatever the parent listens on: an org is for tests.
    let serving = Background::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        make_router(&org),
    )
    .await
    .map_err(|e| bad(format!("could not bind a loopback port for the org: {e}")))?;
    let created = app.orgs().insert(serving);
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// The org's app: the parent's options with the spec's seed, then the
/// spec's config merged in.
fn new_org(parent: &Options, spec: &OrgSpec) -> Result<App, String> {
    let organization_id = match &spec.organization_id {
        Some(id)
            if id.is_empty()
                || id.len() > 64
                || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            return Err("organizationId must be 1 to 64 characters of A-Z a-z 0-9 -".into())
        }
        Some(id) => id.clone(),
        None => parent.organization_id.clone(),
    };
    let options = Options {
        seed_conversations: spec.seed_conversations,
        organization_id,
        ..parent.clone()
    };
    options.validate()?;
    let app = App::new(options);
    if let Some(patch) = &spec.config {
        let mut st = app.lock();
        st.config = st.config.merged(patch)?;
        let limit = st.config.log_limit;
        st.log.set_limit(limit);
        if let Some(seed) = st.config.rng_seed {
            st.rng = StdRng::seed_from_u64(seed);
        }
    }
    Ok(app)
}

pub async fn list(State(app): State<App>) -> Json<Value> {
    Json(app.orgs().list())
}

/// Stops the org's listener (requests in flight get the usual drain).
pub async fn delete(State(app): State<App>, Path(id): Path<String>) -> AdminResult {
    if app.orgs().delete(&id).await {
        ok(json!({ "deleted": id }))
    } else {
        Err(not_found(format!("no live org {id}")))
    }
}
