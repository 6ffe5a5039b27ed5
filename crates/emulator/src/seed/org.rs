//! The seeded organisation as data tables (divisions, queues, roles,
//! clients, users, tokens) and the small builders that turn each row into
//! the model's type; the startup banner is read from them.

use crate::ground::ids::{HOME_DIVISION_ID, HOME_DIVISION_NAME};
use crate::model::{Client, Division, Grant, Queue, Role, Store, Token, User};
use serde_json::{json, Map, Value};

/// Queue of every generated agent participant (in Home, unless a spec names another).
pub const QUEUE_ID: &str = "c0000000-0000-4000-8000-000000000001";
/// The seeded queues: id, name.
const QUEUES: [(&str, &str); 3] = [
    (QUEUE_ID, "Support"),
    ("c0000000-0000-4000-8000-000000000002", "Sales"),
    ("c0000000-0000-4000-8000-000000000003", "Billing"),
];

pub const ROLE_CLEANUP: &str = "a0000000-0000-4000-8000-000000000001";
pub const ROLE_READONLY: &str = "a0000000-0000-4000-8000-000000000002";
pub const ROLE_WRAPUP: &str = "a0000000-0000-4000-8000-000000000003";
pub const ROLE_INSPECTOR: &str = "a0000000-0000-4000-8000-000000000004";
pub const USER_SMITH: &str = "b0000000-0000-4000-8000-000000000001";
pub const USER_JONES: &str = "b0000000-0000-4000-8000-000000000002";

/// The seeded divisions: id, name.
const DIVISIONS: [(&str, &str); 1] = [(HOME_DIVISION_ID, HOME_DIVISION_NAME)];

/// A seeded role.
struct RoleRow {
    id: &'static str,
    name: &'static str,
    permissions: &'static [&'static str],
}

/// The seeded roles.
const ROLES: [RoleRow; 4] = [
    RoleRow {
        id: ROLE_CLEANUP,
        name: "Cleanup",
        permissions: &[
            "conversation:communication:disconnect",
            "conversation:communication:view",
            "analytics:conversationDetail:view",
            "routing:queue:view",
        ],
    },
    RoleRow {
        id: ROLE_READONLY,
        name: "Read only",
        permissions: &[
            "conversation:communication:view",
            "analytics:conversationDetail:view",
        ],
    },
    RoleRow {
        id: ROLE_WRAPUP,
        name: "Wrap-up only",
        permissions: &[
            "conversation:participant:wrapup",
            "conversation:communication:view",
        ],
    },
    RoleRow {
        id: ROLE_INSPECTOR,
        name: "Inspector",
        permissions: &["oauth:client:view", "authorization:role:view"],
    },
];

/// A seeded OAuth client: its id is also its name; its roles are granted
/// in Home.
struct ClientRow {
    id: &'static str,
    secret: Option<&'static str>,
    grant_type: &'static str,
    roles: &'static [&'static str],
    scopes: &'static [&'static str],
}

/// The seeded OAuth clients.
const CLIENTS: [ClientRow; 5] = [
    ClientRow {
        id: "cleanup-client",
        secret: Some("cleanup-secret"),
        grant_type: "CLIENT-CREDENTIALS",
        roles: &[ROLE_CLEANUP, ROLE_INSPECTOR],
        scopes: &[],
    },
    ClientRow {
        id: "readonly-client",
        secret: Some("readonly-secret"),
        grant_type: "CLIENT-CREDENTIALS",
        roles: &[ROLE_READONLY, ROLE_INSPECTOR],
        scopes: &[],
    },
    ClientRow {
        id: "wrapup-client",
        secret: Some("wrapup-secret"),
        grant_type: "CLIENT-CREDENTIALS",
        roles: &[ROLE_WRAPUP],
        scopes: &[],
    },
    ClientRow {
        id: "bare-client",
        secret: Some("bare-secret"),
        grant_type: "CLIENT-CREDENTIALS",
        roles: &[],
        scopes: &[],
    },
    ClientRow {
        id: "web-app",
        secret: None,
        grant_type: "CODE",
        roles: &[],
        scopes: &["conversations", "conversations:readonly", "analytics"],
    },
];

/// The seeded users: id, name, the one role granted in Home.
const USERS: [(&str, &str, &str); 2] = [
    (USER_SMITH, "Agent Smith", ROLE_CLEANUP),
    (USER_JONES, "Viewer Jones", ROLE_READONLY),
];

/// A seeded static token: the client it was issued to, the user it acts
/// for (none: client credentials), its scopes; it never expires.
struct TokenRow {
    token: &'static str,
    client: &'static str,
    user: Option<&'static str>,
    scopes: &'static [&'static str],
}

/// The seeded static tokens.
const TOKENS: [TokenRow; 6] = [
    TokenRow {
        token: "cc-cleanup-token",
        client: "cleanup-client",
        user: None,
        scopes: &[],
    },
    TokenRow {
        token: "cc-readonly-token",
        client: "readonly-client",
        user: None,
        scopes: &[],
    },
    TokenRow {
        token: "cc-wrapup-token",
        client: "wrapup-client",
        user: None,
        scopes: &[],
    },
    TokenRow {
        token: "user-cleanup-token",
        client: "web-app",
        user: Some(USER_SMITH),
        scopes: &["conversations", "analytics"],
    },
    TokenRow {
        token: "user-noscope-token",
        client: "web-app",
        user: Some(USER_SMITH),
        scopes: &["conversations:readonly"],
    },
    TokenRow {
        token: "user-readonly-token",
        client: "web-app",
        user: Some(USER_JONES),
        scopes: &["conversations"],
    },
];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Each role granted in Home.
pub fn home_grants(role_ids: Vec<String>) -> Vec<Grant> {
    role_ids
        .into_iter()
        .map(|role_id| Grant {
            role_id,
            division_id: HOME_DIVISION_ID.into(),
        })
        .collect()
}

fn division((id, name): (&str, &str)) -> Division {
    Division {
        id: id.into(),
        name: name.into(),
    }
}

/// A seeded queue, in Home, with no inactivity timer (Genesys's default).
fn queue((id, name): (&str, &str)) -> Queue {
    Queue::new(
        id.into(),
        name.into(),
        HOME_DIVISION_ID.into(),
        queue_body(None),
    )
}

/// The fields of a `Queue` besides id, name and division, as a real org
/// carries them (`acwSettings`, `skillEvaluationMethod`, `bullseye`,
/// `conditionalGroupRouting`, `memberCount`, ...: the SDK's `Queue` model),
/// so a PUT that drops one shows. `media` replaces `mediaSettings.message`.
pub fn queue_body(media: Option<Value>) -> Map<String, Value> {
    let message = media.unwrap_or_else(|| {
        json!({
            "enableAutoAnswer": false,
            "alertingTimeoutSeconds": 30,
            "serviceLevel": {"percentage": 0.8, "durationMs": 20000},
            "subTypeSettings": {},
        })
    });
    let body = json!({
        "description": "",
        "dateCreated": "2025-01-15T09:00:00.000Z",
        "dateModified": "2025-01-15T09:00:00.000Z",
        "memberCount": 1,
        "userMemberCount": 1,
        "joinedMemberCount": 1,
        "mediaSettings": {
            "call": {"alertingTimeoutSeconds": 8, "serviceLevel": {"percentage": 0.8, "durationMs": 20000}},
            "email": {"alertingTimeoutSeconds": 300, "serviceLevel": {"percentage": 0.8, "durationMs": 86400000}},
            "message": message,
        },
        "routingRules": [],
        "bullseye": {"rings": [{"expansionCriteria": [{"type": "TIMEOUT_SECONDS", "threshold": 15}]}]},
        "conditionalGroupRouting": {"rules": []},
        "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 30000},
        "skillEvaluationMethod": "ALL",
        "autoAnswerOnly": false,
        "enableTranscription": false,
        "enableAudioMonitoring": false,
        "enableManualAssignment": false,
        "suppressInQueueCallRecording": true,
        "scoringMethod": "TimestampAndPriority",
        "lastAgentRoutingMode": "QueueMembersOnly",
    });
    match body {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn role(row: &RoleRow) -> Role {
    Role {
        id: row.id.into(),
        name: row.name.into(),
        permissions: strings(row.permissions),
    }
}

fn client(row: &ClientRow) -> Client {
    Client {
        id: row.id.into(),
        name: row.id.into(),
        secret: row.secret.map(Into::into),
        grant_type: row.grant_type.into(),
        grants: home_grants(strings(row.roles)),
        scopes: strings(row.scopes),
    }
}

fn user((id, name, role): (&str, &str, &str)) -> User {
    User {
        id: id.into(),
        name: name.into(),
        grants: home_grants(strings(&[role])),
    }
}

fn token(row: &TokenRow) -> Token {
    Token {
        client_id: row.client.into(),
        user_id: row.user.map(Into::into),
        scopes: strings(row.scopes),
        expires_at: None,
    }
}

/// The organisation as the README's "Seeded data" tables describe it.
pub fn base_store() -> Store {
    let mut s = Store::default();
    for row in DIVISIONS {
        s.divisions.insert(row.0.into(), division(row));
    }
    for row in &ROLES {
        s.roles.insert(row.id.into(), role(row));
    }
    for row in &CLIENTS {
        s.clients.insert(row.id.into(), client(row));
    }
    for row in QUEUES {
        s.queues.insert(row.0.into(), queue(row));
    }
    for row in USERS {
        s.users.insert(row.0.into(), user(row));
    }
    for row in &TOKENS {
        s.tokens.insert(row.token.into(), token(row));
    }
    s
}

/// The seeded credentials in a few lines, for the startup banner on stderr:
/// every OAuth client with its secret and every static token, read from
/// [`base_store`] so the banner cannot drift from what is seeded.
pub fn credentials_summary() -> String {
    let s = base_store();
    let mut clients: Vec<String> = s
        .clients
        .values()
        .map(|c| match &c.secret {
            Some(secret) => format!("{} / {secret}", c.id),
            None => format!("{} ({}, no secret)", c.id, c.grant_type),
        })
        .collect();
    clients.sort();
    let mut tokens: Vec<&str> = s.tokens.keys().map(String::as_str).collect();
    tokens.sort_unstable();
    format!(
        "seeded OAuth clients (id / secret): {}\nseeded static tokens: {}\n(cleanup-client and cc-cleanup-token may end conversations; each one's roles, scopes and users are in docs/emulator.md of the genesys-cleanup package, \"Seeded data\")",
        clients.join(", "),
        tokens.join(", ")
    )
}
