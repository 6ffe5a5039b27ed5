//! The org's entities: divisions, roles and their grants, OAuth
//! clients, users and tokens.

#[derive(Clone, Debug)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub permissions: Vec<String>,
}

/// A division: conversations, queues and role grants live in one.
#[derive(Clone, Debug)]
pub struct Division {
    pub id: String,
    pub name: String,
}

/// A role granted in one division (`roleDivisions` entry); the division
/// [`ALL_DIVISIONS`] grants it everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role_id: String,
    pub division_id: String,
}

/// The division id of a grant in every division, present and future
/// (Genesys's `*`).
pub const ALL_DIVISIONS: &str = "*";

#[derive(Clone, Debug)]
pub struct Client {
    pub id: String,
    pub name: String,
    /// `None`: the client cannot authenticate at the token endpoint.
    pub secret: Option<String>,
    pub grant_type: String,
    pub grants: Vec<Grant>,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub name: String,
    pub grants: Vec<Grant>,
}

/// Role ids of a grant list, each once, in order.
pub fn role_ids(grants: &[Grant]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in grants {
        if !out.contains(&g.role_id) {
            out.push(g.role_id.clone());
        }
    }
    out
}

#[derive(Clone, Debug)]
pub struct Token {
    pub client_id: String,
    /// Set for user tokens (grant CODE etc.); `None` for client credentials.
    pub user_id: Option<String>,
    pub scopes: Vec<String>,
    /// Epoch ms; `None` never expires.
    pub expires_at: Option<i64>,
}
