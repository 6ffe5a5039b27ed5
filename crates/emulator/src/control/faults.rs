//! Injected faults: the random ones (`faultRate`/`faults`) and the `fault`
//! answers of scripts.
//!
//! `500`/`502`/`503` replace the answer before the handler runs (the request
//! has no effect). `reset`, `truncated`, `malformed` and `slow` are damage in
//! transit: the request IS processed and its answer is then lost or mangled,
//! which is the harder case for a client (e.g. a PATCH that worked but whose
//! answer never arrived).

use crate::genesys::errors::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use rand::Rng;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    E500,
    E502,
    E503,
    Reset,
    Truncated,
    Malformed,
    Slow,
}

/// Response extension: the server closes the connection instead of writing
/// this response (see `server.rs`).
#[derive(Clone, Copy, Debug)]
pub struct ResetConnection;

/// Response extension: a handler asks the gate to apply this fault to its
/// answer (used by the token endpoint, whose scripts run after client auth).
#[derive(Clone, Copy, Debug)]
pub struct PendingFault(pub Fault);

impl Fault {
    pub fn parse(s: &str) -> Option<Fault> {
        Some(match s {
            "500" => Fault::E500,
            "502" => Fault::E502,
            "503" => Fault::E503,
            "reset" => Fault::Reset,
            "truncated" => Fault::Truncated,
            "malformed" => Fault::Malformed,
            "slow" => Fault::Slow,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Fault::E500 => "500",
            Fault::E502 => "502",
            Fault::E503 => "503",
            Fault::Reset => "reset",
            Fault::Truncated => "truncated",
            Fault::Malformed => "malformed",
            Fault::Slow => "slow",
        }
    }

    /// The Genesys error that replaces the answer, for the status faults.
    pub fn error(self) -> Option<ApiError> {
        match self {
            Fault::E500 => Some(ApiError::for_status(500)),
            Fault::E502 => Some(ApiError::for_status(502)),
            Fault::E503 => Some(ApiError::for_status(503)),
            _ => None,
        }
    }
}

/// Draws a random fault: with probability `rate`, one kind by weight.
pub fn roll(rng: &mut impl Rng, rate: f64, weights: &BTreeMap<String, f64>) -> Option<Fault> {
    if rate <= 0.0 || rng.random::<f64>() >= rate {
        return None;
    }
    let total: f64 = weights.values().sum();
    if total <= 0.0 {
        return None;
    }
    let mut x = rng.random::<f64>() * total;
    let mut last = None;
    for (kind, w) in weights.iter().filter(|(_, w)| **w > 0.0) {
        last = Fault::parse(kind);
        if x < *w {
            return last;
        }
        x -= w;
    }
    last
}

const MALFORMED_BODY: &str =
    "<html><head><title>502 Bad Gateway</title></head><body>upstream connect error</body></html>";

/// Applies a transit fault to a finished answer (headers already set).
pub async fn mangle(resp: Response, fault: Fault, slow_ms: u64) -> Response {
    let (mut parts, body) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    match fault {
        Fault::Reset => {
            let mut r = Response::new(Body::empty());
            r.extensions_mut().insert(ResetConnection);
            r
        }
        Fault::Truncated => {
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            // An empty answer (202/204) has nothing to cut: cut a stand-in.
            let full = if bytes.len() < 2 {
                Bytes::from_static(
                    br#"{"id":"00000000-0000-0000-0000-000000000000","state":"disconnected"}"#,
                )
            } else {
                bytes
            };
            parts.status = StatusCode::OK;
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Response::from_parts(parts, Body::from(full.slice(..full.len() / 2)))
        }
        Fault::Malformed => {
            parts.status = StatusCode::OK;
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Response::from_parts(parts, Body::from(MALFORMED_BODY))
        }
        Fault::Slow => {
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            if bytes.is_empty() {
                // Nothing to trickle (and 202/204 may not have a body): be slow instead.
                tokio::time::sleep(Duration::from_millis(slow_ms)).await;
                return Response::from_parts(parts, Body::empty());
            }
            let n = bytes.len().min(10);
            let step = bytes.len().div_ceil(n);
            let chunks: Vec<Bytes> = (0..bytes.len())
                .step_by(step)
                .map(|i| bytes.slice(i..(i + step).min(bytes.len())))
                .collect();
            let pause = Duration::from_millis(slow_ms / chunks.len() as u64);
            let stream =
                futures_util::stream::unfold(chunks.into_iter(), move |mut it| async move {
                    let chunk = it.next()?;
                    tokio::time::sleep(pause).await;
                    Some((Ok::<Bytes, std::io::Error>(chunk), it))
                });
            Response::from_parts(parts, Body::from_stream(stream))
        }
        Fault::E500 | Fault::E502 | Fault::E503 => Response::from_parts(parts, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn roll_respects_rate_and_weights() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let only_reset: BTreeMap<String, f64> =
            [("reset".to_string(), 1.0), ("500".to_string(), 0.0)].into();
        assert_eq!(roll(&mut rng, 0.0, &only_reset), None);
        for _ in 0..50 {
            assert_eq!(roll(&mut rng, 1.0, &only_reset), Some(Fault::Reset));
        }
        let all: BTreeMap<String, f64> = crate::control::config::Config::default().faults;
        let hits = (0..1000)
            .filter(|_| roll(&mut rng, 0.3, &all).is_some())
            .count();
        assert!((200..400).contains(&hits), "{hits}");
    }

    #[tokio::test]
    async fn truncated_cuts_the_body() {
        let resp = Response::new(Body::from(r#"{"hello":"world!"}"#));
        let out = mangle(resp, Fault::Truncated, 0).await;
        let b = axum::body::to_bytes(out.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&b[..], br#"{"hello":"#);
    }
}
