//! Scripted answers: `POST /__emulator/script` queues rules; the first rule
//! that matches a request and still has `times > 0` answers it (after the
//! auth check) and counts down.

use crate::control::faults::Fault;
use crate::genesys::errors::ApiError;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub enum Respond {
    Fault(Fault),
    Answer(Answer),
}

#[derive(Clone, Debug)]
pub struct Answer {
    status: StatusCode,
    code: Option<String>,
    message: Option<String>,
    retry_after: Option<u64>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RespondSpec {
    status: Option<u16>,
    code: Option<String>,
    message: Option<String>,
    retry_after: Option<u64>,
    headers: Option<BTreeMap<String, String>>,
    body: Option<Value>,
    fault: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScriptSpec {
    method: Option<String>,
    path: String,
    times: Option<u32>,
    /// Only requests made with this bearer token (`/api/v2`).
    token: Option<String>,
    /// Only token requests by this OAuth client (`/oauth/token`).
    client_id: Option<String>,
    respond: RespondSpec,
}

struct Script {
    method: Option<String>,
    token: Option<String>,
    client_id: Option<String>,
    pattern: String,
    segments: Vec<String>,
    remaining: u32,
    respond: Respond,
    spec: Value,
}

/// Who made a request, for rules scoped to a token or a client.
#[derive(Clone, Copy, Default)]
pub struct Caller<'a> {
    pub token: Option<&'a str>,
    pub client_id: Option<&'a str>,
}

#[derive(Default)]
pub struct Scripts {
    list: Vec<Script>,
}

impl Scripts {
    /// Queues an array of rules (or one rule). All are checked before any is added.
    pub fn add(&mut self, body: &Value) -> Result<usize, String> {
        let items = match body {
            Value::Array(a) => a.clone(),
            obj @ Value::Object(_) => vec![obj.clone()],
            _ => return Err("script must be an array of rules".into()),
        };
        let mut parsed = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            parsed.push(parse_rule(item).map_err(|e| format!("rule {i}: {e}"))?);
        }
        let n = parsed.len();
        self.list.extend(parsed);
        Ok(n)
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Takes one answer from the first matching rule with times left.
    /// `caller`: the request's bearer token, or the client id on `/oauth/token`.
    pub fn take(&mut self, method: &str, path: &str, caller: Caller<'_>) -> Option<Respond> {
        let i = self.list.iter().position(|s| {
            s.remaining > 0
                && s.method.as_deref().is_none_or(|m| m == method)
                && s.token.as_deref().is_none_or(|t| caller.token == Some(t))
                && s.client_id
                    .as_deref()
                    .is_none_or(|c| caller.client_id == Some(c))
                && path_matches(&s.segments, path)
        })?;
        let s = &mut self.list[i];
        s.remaining -= 1;
        let respond = s.respond.clone();
        if s.remaining == 0 {
            self.list.remove(i);
        }
        Some(respond)
    }

    /// The pending rules with their remaining counts (`GET /__emulator/script`).
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.list
                .iter()
                .map(|s| {
                    let mut v = s.spec.clone();
                    v["times"] = json!(s.remaining);
                    v["path"] = json!(s.pattern);
                    v
                })
                .collect(),
        )
    }
}

fn parse_rule(item: Value) -> Result<Script, String> {
    let spec_json = item.clone();
    let spec: ScriptSpec = serde_json::from_value(item).map_err(|e| e.to_string())?;
    if !spec.path.starts_with('/') {
        return Err("path must start with /".into());
    }
    let segments: Vec<String> = spec.path.split('/').map(str::to_owned).collect();
    if segments.iter().rev().skip(1).any(|s| s == "**") {
        return Err("`**` may only be the last segment".into());
    }
    let r = spec.respond;
    let respond = match (&r.fault, r.status) {
        (Some(f), None) => {
            Respond::Fault(Fault::parse(f).ok_or_else(|| format!("unknown fault `{f}`"))?)
        }
        (Some(_), Some(_)) => return Err("respond has both fault and status".into()),
        (None, None) => return Err("respond needs status or fault".into()),
        (None, Some(status)) => {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(|s| (200..600).contains(&s.as_u16()))
                .ok_or_else(|| format!("bad status {status}"))?;
            if r.body.is_some()
                && (status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED)
            {
                return Err(format!("status {status} cannot have a body"));
            }
            let mut headers = Vec::new();
            for (k, v) in r.headers.unwrap_or_default() {
                headers.push((
                    HeaderName::from_bytes(k.as_bytes())
                        .map_err(|_| format!("bad header name `{k}`"))?,
                    HeaderValue::from_str(&v).map_err(|_| format!("bad header value for `{k}`"))?,
                ));
            }
            Respond::Answer(Answer {
                status,
                code: r.code,
                message: r.message,
                retry_after: r.retry_after,
                headers,
                body: r.body,
            })
        }
    };
    Ok(Script {
        method: spec.method.map(|m| m.to_ascii_uppercase()),
        token: spec.token,
        client_id: spec.client_id,
        pattern: spec.path,
        segments,
        remaining: spec.times.unwrap_or(1),
        respond,
        spec: spec_json,
    })
}

/// `*` is one non-empty segment, a final `**` is the rest (zero or more).
fn path_matches(pattern: &[String], path: &str) -> bool {
    let mut segs = path.split('/');
    for p in pattern {
        if p == "**" {
            return true;
        }
        match segs.next() {
            Some(s) if p == s || (p == "*" && !s.is_empty()) => {}
            _ => return false,
        }
    }
    segs.next().is_none()
}

impl Answer {
    /// An error status without a `body` gets a Genesys error body (rendered
    /// by the gate); `body` is sent as JSON as given.
    pub fn into_response(self) -> Response {
        let mut resp = match self.body {
            Some(body) => {
                let mut r =
                    (self.status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                r
            }
            None if self.status.as_u16() >= 400 => {
                let status = self.status.as_u16();
                let mut err = match (status, self.retry_after) {
                    (429, Some(secs)) => ApiError::too_many_requests(secs),
                    _ => ApiError::for_status(status),
                };
                if let Some(c) = self.code {
                    err.code = c;
                }
                if let Some(m) = self.message {
                    err.message = m;
                }
                err.into_response()
            }
            None => self.status.into_response(),
        };
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        for (k, v) in self.headers {
            resp.headers_mut().insert(k, v);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn wildcards() {
        let one = segs("/api/v2/conversations/messages/*");
        assert!(path_matches(&one, "/api/v2/conversations/messages/abc"));
        assert!(!path_matches(
            &one,
            "/api/v2/conversations/messages/abc/participants/x"
        ));
        assert!(!path_matches(&one, "/api/v2/conversations/messages/"));
        let rest = segs("/api/v2/**");
        assert!(path_matches(&rest, "/api/v2/conversations/x/disconnect"));
        assert!(path_matches(&rest, "/api/v2"));
        assert!(!path_matches(&rest, "/oauth/token"));
    }

    #[test]
    fn counts_down_in_order() {
        let mut s = Scripts::default();
        s.add(&json!([
            {"method":"GET","path":"/api/v2/conversations/messages/*","times":2,"respond":{"status":429,"retryAfter":1}},
            {"path":"/api/v2/**","times":1,"respond":{"fault":"reset"}}
        ]))
        .unwrap();
        assert!(matches!(
            s.take("GET", "/api/v2/conversations/messages/a", Caller::default()),
            Some(Respond::Answer(_))
        ));
        assert!(matches!(
            s.take(
                "PATCH",
                "/api/v2/conversations/messages/a",
                Caller::default()
            ),
            Some(Respond::Fault(Fault::Reset))
        ));
        assert!(matches!(
            s.take("GET", "/api/v2/conversations/messages/a", Caller::default()),
            Some(Respond::Answer(_))
        ));
        assert!(s
            .take("GET", "/api/v2/conversations/messages/a", Caller::default())
            .is_none());
        assert!(s.is_empty());
    }

    #[test]
    fn scoped_to_a_token_or_a_client() {
        let mut s = Scripts::default();
        s.add(&json!([
            {"path":"/api/v2/**","token":"tok-a","respond":{"status":429}},
            {"path":"/oauth/token","clientId":"client-a","respond":{"status":500}}
        ]))
        .unwrap();
        let b = Caller {
            token: Some("tok-b"),
            client_id: None,
        };
        assert!(
            s.take("GET", "/api/v2/x", b).is_none(),
            "another token's rule"
        );
        let other = Caller {
            token: None,
            client_id: Some("client-b"),
        };
        assert!(
            s.take("POST", "/oauth/token", other).is_none(),
            "another client's rule"
        );
        let a = Caller {
            token: Some("tok-a"),
            client_id: None,
        };
        assert!(s.take("GET", "/api/v2/x", a).is_some());
        let ca = Caller {
            token: None,
            client_id: Some("client-a"),
        };
        assert!(s.take("POST", "/oauth/token", ca).is_some());
        assert!(s.is_empty());
    }

    #[test]
    fn rejects_bad_rules() {
        let mut s = Scripts::default();
        assert!(s
            .add(&json!([{"path":"x","respond":{"status":200}}]))
            .is_err());
        assert!(s.add(&json!([{"path":"/x","respond":{}}])).is_err());
        assert!(s
            .add(&json!([{"path":"/x","respond":{"fault":"boom"}}]))
            .is_err());
        assert!(s
            .add(&json!([{"path":"/**/x","respond":{"status":500}}]))
            .is_err());
        assert!(s.is_empty());
    }
}
