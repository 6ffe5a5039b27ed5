//! `POST /oauth/token`: the client-credentials grant with HTTP Basic client
//! authentication, answering with OAuth-style (not Genesys) error bodies.

use crate::app::{App, Intercept, State as AppState};
use crate::control::faults::PendingFault;
use crate::control::script::Caller;
use crate::genesys::auth::basic_credentials;
use crate::ground::clock::now_ms;
use crate::ground::ids::random_token;
use crate::model::{Client, Token};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Minted tokens beyond this many trigger a sweep of expired ones.
const TOKEN_SWEEP_AT: usize = 50_000;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(
            json!({ "error": error, "description": description, "error_description": description }),
        ),
    )
        .into_response()
}

/// `application/x-www-form-urlencoded` lookup of one field.
fn form_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (url_decode(k) == key).then(|| url_decode(v))
    })
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub async fn token(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let creds = basic_credentials(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    let grant = form_value(&body, "grant_type");
    let now = now_ms();
    let mut st = app.lock();
    let client = match authenticate(&st, creds) {
        Ok(c) => c,
        Err(why) => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why),
    };
    // Scripts answer after the (client) auth check, as on /api/v2.
    let caller = Caller {
        token: None,
        client_id: Some(&client.id),
    };
    let pending = match st.take_script("POST", "/oauth/token", caller) {
        Some(Intercept::Answer(r)) => return r,
        Some(Intercept::Transit(f)) => Some(f),
        None => None,
    };
    let rate = st.config.token_rate();
    if rate.limit > 0 && pending.is_none() && st.token_limiter.hit(&client.id, &rate, now).limited {
        st.log.stats.rate_limited += 1;
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "rate limit exceeded",
        );
    }
    let mut resp = grant_token(&mut st, &client, grant.as_deref(), now);
    if let Some(f) = pending {
        resp.extensions_mut().insert(PendingFault(f));
    }
    resp
}

/// The client of these Basic credentials, if its secret matches; else why
/// not (a 401 `invalid_client`).
fn authenticate(st: &AppState, creds: Option<(String, String)>) -> Result<Client, &'static str> {
    let Some((id, secret)) = creds else {
        return Err("client authentication is required");
    };
    match st.store.clients.get(&id) {
        Some(c) if c.secret.as_deref() == Some(secret.as_str()) => Ok(c.clone()),
        _ => Err("invalid client credentials"),
    }
}

/// A new token for a client-credentials client, or the grant's refusal.
fn grant_token(st: &mut AppState, client: &Client, grant: Option<&str>, now: i64) -> Response {
    if grant != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant type is not supported",
        );
    }
    if client.grant_type != "CLIENT-CREDENTIALS" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "client is not authorized to use this grant type",
        );
    }
    let ttl = st.config.token_ttl_sec;
    let token = random_token(&mut rand::rng());
    if st.store.tokens.len() >= TOKEN_SWEEP_AT {
        st.store
            .tokens
            .retain(|_, t| t.expires_at.is_none_or(|e| e > now));
    }
    st.store.tokens.insert(
        token.clone(),
        Token {
            client_id: client.id.clone(),
            user_id: None,
            scopes: Vec::new(),
            expires_at: Some(now.saturating_add((ttl as i64).saturating_mul(1000))),
        },
    );
    Json(json!({ "access_token": token, "token_type": "bearer", "expires_in": ttl }))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_parsing() {
        assert_eq!(
            form_value(b"grant_type=client_credentials", "grant_type").as_deref(),
            Some("client_credentials")
        );
        assert_eq!(
            form_value(b"a=1&grant%5Ftype=x+y%21", "grant_type").as_deref(),
            Some("x y!")
        );
        assert_eq!(form_value(b"a=1", "grant_type"), None);
        assert_eq!(url_decode("100%"), "100%");
    }
}
