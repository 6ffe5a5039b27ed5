//! `--replay trace.json`: serves back the answers a conformance run recorded
//! against another server (`npm run conformance -- --live --record trace.json`),
//! so that a difference a user found on their org becomes a test here.
//!
//! Each recorded exchange answers once, in order, the first request with the
//! same method and path, where any UUID-shaped segment matches any UUID
//! (the trace's ids are hashed). Authentication is not checked: the answers
//! are the recorded ones, whatever the credentials. A request the trace does
//! not hold gets a 404 marked `x-emulator-replay: unmatched`.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const FORMAT: &str = "genesys-cleanup-conformance-trace/1";

#[derive(Deserialize)]
struct Trace {
    format: String,
    exchanges: Vec<Exchange>,
}

#[derive(Deserialize, Clone)]
struct Exchange {
    method: String,
    path: String,
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Value,
}

#[derive(Clone)]
pub struct Replay(Arc<Mutex<Vec<Option<Exchange>>>>);

impl Replay {
    /// Reads a trace file; the error says what is wrong with it.
    pub fn load(text: &str) -> Result<Replay, String> {
        let trace: Trace =
            serde_json::from_str(text).map_err(|e| format!("not a conformance trace: {e}"))?;
        if trace.format != FORMAT {
            return Err(format!("trace format `{}` is not `{FORMAT}`", trace.format));
        }
        for e in &trace.exchanges {
            StatusCode::from_u16(e.status)
                .map_err(|_| format!("bad status {} for {} {}", e.status, e.method, e.path))?;
        }
        Ok(Replay(Arc::new(Mutex::new(
            trace.exchanges.into_iter().map(Some).collect(),
        ))))
    }

    pub fn router(self) -> Router {
        Router::new().fallback(answer).with_state(self)
    }

    fn take(&self, method: &str, path: &str) -> Option<Exchange> {
        let mut list = self.0.lock();
        let slot = list.iter_mut().find(|e| {
            e.as_ref()
                .is_some_and(|e| e.method.eq_ignore_ascii_case(method) && same_path(&e.path, path))
        })?;
        slot.take()
    }
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

fn same_path(recorded: &str, asked: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) =
        (recorded.split('/').collect(), asked.split('/').collect());
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || (is_uuid(x) && is_uuid(y)))
}

async fn answer(State(replay): State<Replay>, req: Request) -> Response {
    let Some(e) = replay.take(req.method().as_str(), req.uri().path()) else {
        let mut r = (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"status": 404, "code": "not.found", "message": "The trace holds no (more) answer for this request."})),
        )
            .into_response();
        r.headers_mut()
            .insert("x-emulator-replay", HeaderValue::from_static("unmatched"));
        return r;
    };
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match &e.body {
        Value::Null => Response::new(Body::empty()),
        Value::String(s) if s == "<not JSON>" => Response::new(Body::from("<not JSON>")),
        body => axum::Json(body.clone()).into_response(),
    };
    *resp.status_mut() = status;
    for (k, v) in &e.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_any_id_and_answers_are_used_once_in_order() {
        let r = Replay::load(&json!({"format": FORMAT, "exchanges": [
            {"method": "GET", "path": "/api/v2/conversations/messages/11111111-2222-4333-8444-555555555555", "status": 404},
            {"method": "GET", "path": "/api/v2/conversations/messages/11111111-2222-4333-8444-555555555555", "status": 200},
        ]}).to_string())
        .unwrap();
        let asked = "/api/v2/conversations/messages/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
        assert_eq!(r.take("GET", asked).unwrap().status, 404);
        assert_eq!(r.take("get", asked).unwrap().status, 200);
        assert!(r.take("GET", asked).is_none());
        assert!(r.take("GET", "/api/v2/conversations/messages/x").is_none());
    }

    #[test]
    fn refuses_what_is_not_a_trace() {
        assert!(Replay::load("{}").is_err());
        assert!(Replay::load(&json!({"format": "other", "exchanges": []}).to_string()).is_err());
        assert!(Replay::load(
            &json!({"format": FORMAT, "exchanges": [{"method": "GET", "path": "/", "status": 99}]})
                .to_string()
        )
        .is_err());
    }
}
