//! Who is calling and what the org holds: `tokens/me`, `users/me`,
//! `authorization/subjects/me`, an OAuth client, a role.

use super::answer::{ok, ApiResult};
use super::require::{NO_PERMISSIONS, NO_SCOPES, OAUTH_CLIENT_VIEW, ROLE_VIEW};
use crate::app::App;
use crate::genesys::auth::{Ctx, TokenKind};
use crate::genesys::errors::ApiError;
use crate::genesys::render;
use axum::extract::{Path, Query, State};
use axum::Extension;

pub async fn tokens_me(State(app): State<App>, Extension(ctx): Extension<Ctx>) -> ApiResult {
    ctx.require(NO_SCOPES, NO_PERMISSIONS)?;
    let st = app.lock();
    let client = st
        .store
        .clients
        .get(&ctx.caller.client_id)
        .ok_or_else(ApiError::bad_credentials)?;
    let scopes: &[String] = match ctx.caller.kind {
        TokenKind::User => &ctx.caller.scopes,
        TokenKind::ClientCredentials => &[],
    };
    ok(render::token_info(
        client,
        scopes,
        st.config.token_info_role_divisions,
        &app.options().organization_id,
    ))
}

pub async fn users_me(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult {
    ctx.require(NO_SCOPES, NO_PERMISSIONS)?;
    let Some(user_id) = &ctx.caller.user_id else {
        return Err(ApiError::bad_request(
            "This request requires a user context. Client credentials cannot be used for requests to this resource.",
        ));
    };
    // `expand` may repeat or list several values (`expand=a,b`).
    let expand = query
        .iter()
        .any(|(k, v)| k == "expand" && v.split(',').any(|e| e == "authorization"));
    let st = app.lock();
    let user = st
        .store
        .users
        .get(user_id)
        .ok_or_else(ApiError::bad_credentials)?;
    ok(render::user_me(&st.store, user, expand))
}

/// `GET /api/v2/authorization/subjects/me`: documented "Requires NO
/// permissions". The subject of a client-credentials token is its OAuth
/// client (UNCONFIRMED: what Genesys answers for one).
pub async fn subjects_me(State(app): State<App>, Extension(ctx): Extension<Ctx>) -> ApiResult {
    ctx.require(NO_SCOPES, NO_PERMISSIONS)?;
    let st = app.lock();
    let (id, name, grants) = match &ctx.caller.user_id {
        Some(uid) => {
            let u = st
                .store
                .users
                .get(uid)
                .ok_or_else(ApiError::bad_credentials)?;
            (&u.id, &u.name, &u.grants)
        }
        None => {
            let c = st
                .store
                .clients
                .get(&ctx.caller.client_id)
                .ok_or_else(ApiError::bad_credentials)?;
            (&c.id, &c.name, &c.grants)
        }
    };
    ok(render::subject(&st.store, id, name, grants))
}

pub async fn oauth_client(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(NO_SCOPES, OAUTH_CLIENT_VIEW)?;
    let st = app.lock();
    let client = st
        .store
        .clients
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("OAuth client {id} was not found.")))?;
    ok(render::oauth_client(client))
}

pub async fn role(
    State(app): State<App>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult {
    ctx.require(NO_SCOPES, ROLE_VIEW)?;
    let st = app.lock();
    let role = st
        .store
        .roles
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Role {id} was not found.")))?;
    ok(render::role(role))
}
