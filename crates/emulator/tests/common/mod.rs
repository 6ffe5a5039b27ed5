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

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An emulator with the default options on a free loopback port.
pub async fn start() -> Emu {
    let run = spawn(App::new(Options::default()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    Emu {
        run,
        http: Client::builder().no_proxy().build().unwrap(),
    }
}

impl Emu {
    /// One request; the body as JSON (Null when it is not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self
            .http
            .request(method, format!("{}{}", self.run.base_url(), path));
        if let Some(t) = token {
            rb = rb.header("authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let bytes = resp.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
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
