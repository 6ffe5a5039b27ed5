//! The route table: every path the emulator serves and its handler, with
//! the gate in front of `/oauth/token` and `/api/v2`. The one place that
//! names the handlers; no handler names it back.

use crate::app::App;
use crate::handlers::admin::{self, control, conversations, notifications, org, orgs};
use crate::handlers::api::{self, analytics, channels, deployments, identity, queues};
use crate::handlers::{gate, guest, oauth, ws};
use axum::body::Bytes;
use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, patch, post};
use axum::Router;

impl App {
    /// The emulator's whole router (see [`router`]).
    pub fn router(&self) -> Router {
        router(self)
    }
}

/// `/__emulator` (no auth, never logged), a channel's WebSocket, and
/// everything else through the gate.
pub fn router(app: &App) -> Router {
    Router::new()
        .nest("/__emulator", admin().with_state(app.clone()))
        // A channel's connectUri: no auth (the channel id is the key), not logged.
        .route("/channels/{id}", get(ws::connect).with_state(app.clone()))
        // The Guest API WebSocket: no auth (the guest token rides in each
        // frame), not logged.
        .route("/v1", get(guest::connect).with_state(app.clone()))
        .fallback_service(genesys(app))
}

/// `/oauth/token` and `/api/v2`, each request through the gate.
fn genesys(app: &App) -> Router {
    Router::new()
        .route("/oauth/token", post(oauth::token))
        .route("/api/v2/tokens/me", get(identity::tokens_me))
        .route("/api/v2/users/me", get(identity::users_me))
        .route("/api/v2/oauth/clients/{id}", get(identity::oauth_client))
        .route("/api/v2/authorization/roles/{id}", get(identity::role))
        .route(
            "/api/v2/authorization/subjects/me",
            get(identity::subjects_me),
        )
        .route(
            "/api/v2/conversations/messages/{id}",
            get(api::conversations::get_message_conversation)
                .patch(api::conversations::patch_message_conversation),
        )
        .route(
            "/api/v2/conversations/messages/{id}/participants/{pid}",
            patch(api::conversations::patch_participant),
        )
        .route(
            "/api/v2/conversations/messages/{id}/participants/{pid}/communications/{comm}/wrapup",
            post(api::conversations::post_wrapup),
        )
        .route(
            "/api/v2/conversations/{id}",
            get(api::conversations::get_conversation)
                .delete(api::conversations::delete_conversation),
        )
        .route(
            "/api/v2/conversations/{id}/disconnect",
            post(api::conversations::post_disconnect),
        )
        .route(
            "/api/v2/analytics/conversations/details/query",
            post(analytics::query),
        )
        .route("/api/v2/routing/queues", get(queues::list))
        .route(
            "/api/v2/routing/queues/{id}",
            get(queues::get_one).put(queues::put_one),
        )
        .route(
            "/api/v2/webdeployments/deployments/{id}",
            get(deployments::get_deployment),
        )
        .route(
            "/api/v2/webdeployments/deployments/{id}/configurations",
            get(deployments::get_active_configuration),
        )
        .route(
            "/api/v2/webdeployments/configurations/{cid}/versions/{version}",
            get(deployments::get_version),
        )
        .route(
            "/webdeployments/v1/deployments/{id}/config.json",
            get(deployments::config_json),
        )
        .route("/api/v2/notifications/channels", post(channels::create))
        .route(
            "/api/v2/notifications/channels/{id}/subscriptions",
            get(channels::list)
                .put(channels::subscribe)
                .post(channels::subscribe)
                .delete(channels::remove_all),
        )
        // Genesys answers 404 (not 405) for a method it doesn't serve.
        .fallback(api::answer::not_found)
        .method_not_allowed_fallback(api::answer::not_found)
        .layer(from_fn_with_state(app.clone(), gate::gate))
        .with_state(app.clone())
}

/// `/__emulator/...`: test control.
fn admin() -> Router<App> {
    Router::new()
        .route("/health", get(control::health))
        .route("/reset", post(control::reset))
        // An org is a whole emulator: its handler gets this table's builder.
        .route(
            "/orgs",
            post(|State(app): State<App>, body: Bytes| orgs::create(app, body, router))
                .get(orgs::list),
        )
        .route("/orgs/{id}", delete(orgs::delete))
        .route(
            "/config",
            get(control::get_config).patch(control::patch_config),
        )
        .route("/divisions", post(org::post_division))
        .route("/roles", post(org::post_role))
        .route("/clients", post(org::post_client))
        .route("/users", post(org::post_user))
        .route("/tokens", post(org::post_token))
        .route("/tokens/{token}", delete(org::delete_token))
        .route("/queues", post(org::post_queue))
        .route("/queues/{id}", get(org::get_queue))
        .route("/deployments", post(admin::guest::post_deployment))
        .route("/guest/sessions", post(admin::guest::post_session))
        .route("/guest/mute", post(admin::guest::post_mute))
        .route("/guest/connections", get(admin::guest::get_connections))
        .route(
            "/conversations",
            post(conversations::post_conversation).get(conversations::list_conversations),
        )
        .route("/conversations/{id}", get(conversations::get_conversation))
        .route(
            "/conversations/{id}/messages",
            post(conversations::post_message),
        )
        .route(
            "/conversations/{id}/transfer",
            post(conversations::post_transfer),
        )
        .route("/seed", post(conversations::post_seed))
        .route("/notifications", get(notifications::get_notifications))
        .route(
            "/notifications/drop-socket",
            post(notifications::drop_socket),
        )
        .route(
            "/notifications/socket-closing",
            post(notifications::socket_closing),
        )
        .route(
            "/notifications/drop-events",
            post(notifications::drop_events),
        )
        .route("/notifications/expire", post(notifications::expire_channel))
        .route(
            "/requests",
            get(control::get_requests).delete(control::delete_requests),
        )
        .route("/stats", get(control::get_stats))
        .route(
            "/script",
            post(control::post_script)
                .delete(control::delete_script)
                .get(control::get_script),
        )
}
