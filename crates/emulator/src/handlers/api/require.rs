//! What each call requires: its OAuth scopes (user tokens only, any of)
//! and its permissions (any of). Every handler checks, in the order of
//! docs/emulator.md: scope -> permission -> body -> existence -> state.

// Scope lists are in the order Genesys names them in its 403 message.
pub const READ_SCOPES: &[&str] = &["conversations:readonly", "conversations"];
pub const WRITE_SCOPES: &[&str] = &["conversations"];
pub const ANALYTICS_SCOPES: &[&str] = &["analytics:readonly", "analytics"];
pub const NO_SCOPES: &[&str] = &[];

const END: &str = "conversation:communication:disconnect";
pub const DISCONNECT: &[&str] = &[END];
pub const PATCH_CONVERSATION: &[&str] = &[END, "conversation:message:park"];
pub const PATCH_PARTICIPANT: &[&str] = &[
    "conversation:participant:wrapup",
    "conversation:call:record",
    END,
];
pub const WRAPUP: &[&str] = &["conversation:participant:wrapup"];
pub const VIEW: &[&str] = &["conversation:communication:view"];
pub const ANALYTICS: &[&str] = &[
    "analytics:conversationDetail:view",
    "analytics:agentConversationDetail:view",
];
pub const OAUTH_CLIENT_VIEW: &[&str] = &["oauth:client:view"];
pub const ROLE_VIEW: &[&str] = &["authorization:role:view"];
pub const QUEUE_VIEW: &[&str] = &["routing:queue:view"];
pub const QUEUE_EDIT: &[&str] = &["routing:queue:edit"];
pub const DEPLOYMENT_VIEW: &[&str] = &["webDeployments:deployment:view"];
pub const CONFIGURATION_VIEW: &[&str] = &["webDeployments:configuration:view"];
pub const NO_PERMISSIONS: &[&str] = &[];
