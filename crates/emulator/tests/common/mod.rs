//! The harness the emulator's socket and queue tests share: an emulator on
//! a loopback port, and plain HTTP calls to it (the API and the admin API).
// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use genesys_emulator::{spawn, App, Options, Running};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

pub struct Emu {
    pub run: Running,
    pub http: Client,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An emulator with the default options on a free loopback port.
pub async fn start() -> Emu {
    let run = spawn(App::new(Options::default()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // See the rustls dev-dependency: needed when reqwest's features are unified
    // with the core's; harmless (already installed) otherwise.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Emu {
        run,
        http: Client::builder().no_proxy().build().unwrap(),
    }
}

impl Emu {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.run.base_url(), path)
    }

    /// One request, with its status, headers and body (JSON; a body that is
    /// not JSON as a string; an empty one as Null).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.header("authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = rb.send().await.expect("transport");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// One request: its status and body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let a = self.send(method, path, token, body).await;
        (a.status, a.body)
    }

    /// A POST to the admin API that must succeed.
    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let (s, v) = self
            .call(
                Method::POST,
                &format!("/__emulator{path}"),
                None,
                Some(body),
            )
            .await;
        assert!(s.is_success(), "{path}: {s} {v}");
        v
    }
}
