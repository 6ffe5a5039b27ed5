//! Every endpoint this library calls, in one table. Each is a path template:
//! what events name (never an id), and, filled by [`fill`] from validated ids,
//! the path that is sent. A query string, where one is sent, is added by the
//! caller.

/// `POST`, on the login host: a token for client credentials.
pub const OAUTH_TOKEN: &str = "/oauth/token";
/// `GET`: the token's organization, scopes and OAuth client.
pub const TOKENS_ME: &str = "/api/v2/tokens/me";
/// `GET ?expand=authorization`: a user's permissions.
pub const USERS_ME: &str = "/api/v2/users/me";
/// `GET`: a user's role grants, division by division.
pub const SUBJECTS_ME: &str = "/api/v2/authorization/subjects/me";
/// `GET`: an OAuth client's role/division pairs.
pub const OAUTH_CLIENT: &str = "/api/v2/oauth/clients/{clientId}";
/// `GET`: a role's permissions.
pub const ROLE: &str = "/api/v2/authorization/roles/{roleId}";
/// `GET`: the queues (watch mode subscribes to their topics).
pub const QUEUES: &str = "/api/v2/routing/queues";
/// `GET` reads one queue whole; `PUT` replaces it (`routing:queue:edit`).
pub const QUEUE: &str = "/api/v2/routing/queues/{queueId}";
/// `GET`: a Messenger deployment (`webDeployments:deployment:view`).
pub const WEB_DEPLOYMENT: &str = "/api/v2/webdeployments/deployments/{deploymentId}";
/// `GET`: one configuration version (`webDeployments:configuration:view`).
pub const CONFIGURATION_VERSION: &str =
    "/api/v2/webdeployments/configurations/{configurationId}/versions/{versionId}";
/// `GET`: a deployment's active configuration ("Requires NO permissions").
pub const ACTIVE_CONFIGURATION: &str =
    "/api/v2/webdeployments/deployments/{deploymentId}/configurations";
/// `GET`, on the CDN host and with no Authorization: a deployment's public
/// Messenger configuration.
pub const CONFIG_JSON: &str = "/webdeployments/v1/deployments/{deploymentId}/config.json";
/// `GET` reads a message conversation; `PATCH` disconnects every participant.
pub const MESSAGE_CONVERSATION: &str = "/api/v2/conversations/messages/{conversationId}";
/// `PATCH`: disconnects one participant (and applies a wrap-up code).
pub const MESSAGE_PARTICIPANT: &str =
    "/api/v2/conversations/messages/{conversationId}/participants/{participantId}";
/// `POST`: tears a stuck conversation down, the documented last resort.
pub const TEARDOWN: &str = "/api/v2/conversations/{conversationId}/disconnect";
/// `POST`: the analytics details query that nominates idle candidates.
pub const ANALYTICS_QUERY: &str = "/api/v2/analytics/conversations/details/query";
/// `POST`: a notification channel.
pub const CHANNELS: &str = "/api/v2/notifications/channels";
/// `POST` adds topics to a channel, `PUT` replaces them.
pub const SUBSCRIPTIONS: &str = "/api/v2/notifications/channels/{channelId}/subscriptions";

/// The body of a `PATCH` that disconnects.
pub const DISCONNECT_BODY: &[u8] = br#"{"state":"disconnected"}"#;

/// `template` with each `{name}` replaced by the next of `ids`, in order.
/// The ids must be validated already (they go into the path as they are).
pub fn fill(template: &str, ids: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 40 * ids.len());
    let mut rest = template;
    for id in ids {
        let (Some(open), Some(close)) = (rest.find('{'), rest.find('}')) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(id);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_in_order() {
        assert_eq!(
            fill(MESSAGE_PARTICIPANT, &["c", "p"]),
            "/api/v2/conversations/messages/c/participants/p"
        );
        assert_eq!(fill(TOKENS_ME, &[]), TOKENS_ME);
        assert_eq!(fill(TEARDOWN, &["c"]), "/api/v2/conversations/c/disconnect");
    }
}
