//! The middleware every non-admin request passes through. In order:
//! latency -> authorization (401) -> scripts -> rate limit (429) -> random
//! fault -> handler; then it renders error bodies with the correlation id,
//! adds the Genesys headers, applies transit faults and logs the request.

use crate::app::{App, Intercept, State};
use crate::control::faults::{self, Fault, PendingFault, ResetConnection};
use crate::control::log::LogEntry;
use crate::control::ratelimit::Verdict;
use crate::control::script::Caller;
use crate::genesys::auth::{self, Ctx};
use crate::genesys::errors::ApiError;
use crate::ground::clock::now_ms;
use crate::ground::ids::rand_uuid;
use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// `/api/v2/...`: the full pipeline.
    Api,
    /// `/oauth/token`: latency and logging; the handler does its own auth.
    OAuth,
    /// Anything else: a logged 404.
    Other,
}

impl Class {
    fn of(path: &str) -> Class {
        if path == "/api/v2" || path.starts_with("/api/v2/") {
            Class::Api
        } else if path == "/oauth/token" {
            Class::OAuth
        } else {
            Class::Other
        }
    }
}

enum Outcome {
    Answer(Response),
    Proceed(Option<Ctx>),
}

/// What the locked pre-check decided.
struct Pre {
    delay_ms: u64,
    outcome: Outcome,
    rate: Option<Verdict>,
    fault: Option<Fault>,
    slow_ms: u64,
    token_kind: Option<&'static str>,
}

/// Before the handler, under the lock: the delay, then for `/api/v2` the
/// caller, scripts, the rate limit and a random fault.
fn pre_check(
    st: &mut State,
    class: Class,
    method: &str,
    path: &str,
    auth_header: Option<&str>,
    now: i64,
) -> Pre {
    // Genesys's own timers act before anyone looks.
    st.reap(now);
    let mut pre = Pre {
        delay_ms: delay_ms(st, class),
        outcome: Outcome::Proceed(None),
        rate: None,
        fault: None,
        slow_ms: st.config.slow_body_ms,
        token_kind: None,
    };
    if class == Class::Api {
        check_api(st, &mut pre, method, path, auth_header, now);
    }
    pre
}

/// `latencyMs` plus a random jitter (drawn from the seeded RNG).
fn delay_ms(st: &mut State, class: Class) -> u64 {
    let cfg = &st.config;
    match class {
        Class::Other => 0,
        _ if cfg.jitter_ms > 0 => cfg.latency_ms + st.rng.random_range(0..=cfg.jitter_ms),
        _ => cfg.latency_ms,
    }
}

/// Who is calling (401), a script rule, the rate limit (429), a random fault.
fn check_api(
    st: &mut State,
    pre: &mut Pre,
    method: &str,
    path: &str,
    auth_header: Option<&str>,
    now: i64,
) {
    let rate = st.config.api_rate();
    let ctx = match caller(st, auth_header, now) {
        Ok(ctx) => ctx,
        Err(e) => {
            pre.rate = Some(st.api_limiter.peek("", &rate, now));
            pre.outcome = Outcome::Answer(e.into_response());
            return;
        }
    };
    pre.token_kind = Some(ctx.caller.kind.as_str());
    let token = ctx.caller.token.as_str();
    // Scripted answers are neither counted nor limited by the rate limiter.
    let script_caller = Caller {
        token: Some(token),
        client_id: None,
    };
    if let Some(i) = st.take_script(method, path, script_caller) {
        pre.rate = Some(st.api_limiter.peek(token, &rate, now));
        pre.intercept(i, ctx);
        return;
    }
    let verdict = st.api_limiter.hit(token, &rate, now);
    pre.rate = Some(verdict);
    if verdict.limited {
        st.log.stats.rate_limited += 1;
        pre.outcome =
            Outcome::Answer(ApiError::too_many_requests(verdict.reset_secs.max(1)).into_response());
        return;
    }
    match st.roll_fault() {
        Some(i) => pre.intercept(i, ctx),
        None => pre.outcome = Outcome::Proceed(Some(ctx)),
    }
}

/// The caller of a bearer token, with the config bits its checks need.
fn caller(st: &State, auth_header: Option<&str>, now: i64) -> Result<Ctx, ApiError> {
    let caller = auth::bearer_token(auth_header).and_then(|t| auth::resolve(&st.store, t, now))?;
    Ok(Ctx {
        enforce_scopes: st.config.enforce_scopes,
        scope_error_code: st.config.scope_error_code.clone(),
        division_denied: st.config.division_denied_body,
        caller,
    })
}

impl Pre {
    fn intercept(&mut self, i: Intercept, ctx: Ctx) {
        self.outcome = match i {
            Intercept::Answer(r) => Outcome::Answer(r),
            Intercept::Transit(f) => {
                self.fault = Some(f);
                Outcome::Proceed(Some(ctx))
            }
        };
    }
}

fn with_error_body(resp: Response, err: &ApiError, cid: &str) -> Response {
    let (mut parts, _) = resp.into_parts();
    if err.empty_body {
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(err.body(cid)))
}

pub async fn gate(AxState(app): AxState<App>, mut req: Request, next: Next) -> Response {
    // The thread RNG, not the seeded one: ids need not repeat, and drawing
    // them must not shift a seeded fault sequence.
    let cid = rand_uuid(&mut rand::rng());
    let at = now_ms();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let auth_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let class = Class::of(&path);

    let pre = pre_check(
        &mut app.lock(),
        class,
        &method,
        &path,
        auth_header.as_deref(),
        at,
    );
    if pre.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(pre.delay_ms)).await;
    }
    let mut resp = match pre.outcome {
        Outcome::Answer(r) => r,
        Outcome::Proceed(ctx) => {
            if let Some(ctx) = ctx {
                req.extensions_mut().insert(ctx);
            }
            next.run(req).await
        }
    };
    if let Some(err) = resp.extensions_mut().remove::<ApiError>() {
        resp = with_error_body(resp, &err, &cid);
    }
    stamp_headers(&mut resp, &cid, pre.rate);
    let fault = pre
        .fault
        .or_else(|| resp.extensions().get::<PendingFault>().map(|p| p.0));
    if let Some(f) = fault {
        resp = faults::mangle(resp, f, pre.slow_ms).await;
    }
    let status = resp
        .extensions()
        .get::<ResetConnection>()
        .is_none()
        .then(|| resp.status().as_u16());
    app.lock().log.record(LogEntry {
        seq: 0,
        method,
        path,
        query,
        status,
        auth: auth::scheme(auth_header.as_deref()),
        token_kind: pre.token_kind,
        at_ms: at,
        fault: fault.map(Fault::as_str),
    });
    resp
}

/// The Genesys headers: the correlation id, and the rate-limit ones unless
/// a scripted answer set its own (tests send absurd ones).
fn stamp_headers(resp: &mut Response, cid: &str, rate: Option<Verdict>) {
    let h = resp.headers_mut();
    // axum's method-not-allowed fallback adds `Allow`; Genesys just 404s.
    h.remove(header::ALLOW);
    if let Ok(v) = HeaderValue::from_str(cid) {
        h.insert("inin-correlation-id", v);
    }
    if let Some(r) = rate {
        for (name, v) in [
            ("inin-ratelimit-count", u64::from(r.count)),
            ("inin-ratelimit-allowed", u64::from(r.allowed)),
            ("inin-ratelimit-reset", r.reset_secs),
        ] {
            if !h.contains_key(name) {
                h.insert(name, HeaderValue::from(v));
            }
        }
    }
}
