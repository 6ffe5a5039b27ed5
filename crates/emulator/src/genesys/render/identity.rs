//! The identity answers: `TokenInfo`, OAuth clients, roles, `AuthzSubject`,
//! `users/me`.

use super::division_ref;
use crate::ground::ids::ORG_NAME;
use crate::model::{role_ids, Client, Grant, Role, Store, User};
use serde_json::{json, Map, Value};

fn org(id: &str) -> Value {
    json!({ "id": id, "name": ORG_NAME, "selfUri": format!("/api/v2/organizations/{id}") })
}

/// `roleDivisions`: one `{roleId, divisionId}` per grant (`*`: every division).
pub fn role_divisions(grants: &[Grant]) -> Value {
    Value::Array(
        grants
            .iter()
            .map(|g| json!({ "roleId": g.role_id, "divisionId": g.division_id }))
            .collect(),
    )
}

/// `TokenInfo`. `roleDivisions` only with config `tokenInfoRoleDivisions`.
pub fn token_info(
    client: &Client,
    authorized_scope: &[String],
    with_role_divisions: bool,
    organization_id: &str,
) -> Value {
    let mut oc = Map::new();
    oc.insert("id".into(), json!(client.id));
    oc.insert("name".into(), json!(client.name));
    oc.insert("authorizedGrantType".into(), json!(client.grant_type));
    oc.insert("scope".into(), json!(client.scopes));
    if with_role_divisions {
        oc.insert("roleDivisions".into(), role_divisions(&client.grants));
    }
    json!({
        "organization": org(organization_id),
        "homeOrganization": org(organization_id),
        "authorizedScope": authorized_scope,
        "OAuthClient": Value::Object(oc),
    })
}

/// `GET /api/v2/oauth/clients/{id}`.
pub fn oauth_client(client: &Client) -> Value {
    json!({
        "id": client.id,
        "name": client.name,
        "authorizedGrantType": client.grant_type,
        "scope": client.scopes,
        "roleDivisions": role_divisions(&client.grants),
        "selfUri": format!("/api/v2/oauth/clients/{}", client.id),
    })
}

/// `GET /api/v2/authorization/subjects/me` (`AuthzSubject`): one
/// `AuthzGrant` `{subjectId, division, role}` per grant, the role with its
/// `policies` (`AuthzGrantPolicy`: `{domain, entityName, actions}`).
pub fn subject(store: &Store, subject_id: &str, name: &str, grants: &[Grant]) -> Value {
    let grants: Vec<Value> = grants
        .iter()
        .filter_map(|g| {
            let role = store.roles.get(&g.role_id)?;
            let policies: Vec<Value> = policies(role)
                .into_iter()
                .map(|(domain, entity, actions)| {
                    json!({ "domain": domain, "entityName": entity, "actions": actions })
                })
                .collect();
            Some(json!({
                "subjectId": subject_id,
                "division": division_ref(store, &g.division_id),
                "role": { "id": role.id, "name": role.name, "policies": policies },
            }))
        })
        .collect();
    json!({
        "id": subject_id,
        "name": name,
        "grants": grants,
        "version": 1,
        "selfUri": format!("/api/v2/authorization/subjects/{subject_id}"),
    })
}

/// A role's permissions grouped as policies: one per `domain:entity`.
fn policies(role: &Role) -> Vec<(String, String, Vec<String>)> {
    let mut policies: Vec<(String, String, Vec<String>)> = Vec::new();
    for p in &role.permissions {
        let mut parts = p.splitn(3, ':');
        let (domain, entity, action) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or("*"),
            parts.next().unwrap_or("*"),
        );
        match policies
            .iter_mut()
            .find(|(d, e, _)| d == domain && e == entity)
        {
            Some((_, _, actions)) => actions.push(action.into()),
            None => policies.push((domain.into(), entity.into(), vec![action.into()])),
        }
    }
    policies
}

/// `GET /api/v2/authorization/roles/{id}`: permissions plus the same grouped
/// as `permissionPolicies` (one per `domain:entity`).
pub fn role(role: &Role) -> Value {
    let policies: Vec<Value> = policies(role)
        .into_iter()
        .map(|(domain, entity, actions)| json!({ "domain": domain, "entityName": entity, "actionSet": actions }))
        .collect();
    json!({
        "id": role.id,
        "name": role.name,
        "permissions": role.permissions,
        "permissionPolicies": policies,
        "selfUri": format!("/api/v2/authorization/roles/{}", role.id),
    })
}

/// `GET /api/v2/users/me`, with `authorization` when expanded.
pub fn user_me(store: &Store, user: &User, expand_authorization: bool) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(user.id));
    m.insert("name".into(), json!(user.name));
    if expand_authorization {
        let roles: Vec<Value> = role_ids(&user.grants)
            .iter()
            .filter_map(|r| store.roles.get(r))
            .map(|r| json!({ "id": r.id, "name": r.name }))
            .collect();
        m.insert(
            "authorization".into(),
            json!({ "roles": roles, "permissions": store.permissions_of(&role_ids(&user.grants)) }),
        );
    }
    m.insert(
        "selfUri".into(),
        json!(format!("/api/v2/users/{}", user.id)),
    );
    Value::Object(m)
}
