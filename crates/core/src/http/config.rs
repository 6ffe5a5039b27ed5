//! Connection options as given by the caller, and their validation into a
//! resolved configuration. Every rule here produces `ERR_INVALID_ARGUMENT`
//! (or `ERR_INSECURE_URL`) with a message naming the option and the fix.

use crate::error::Error;
use crate::genesys::region::{self, Endpoints};
use crate::http::auth::Credentials;
use crate::http::http_client::{HttpSettings, ProxyChoice, Roots};
use crate::http::pacing::Pacing;
use crate::http::retry::RetryPolicy;
use crate::options::{millis, opt_millis, whole};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// Options shared by every entry point (the `ConnectionOptions` of the JS
/// API), read with serde and validated by [`ConnectionOptions::resolve`].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConnectionOptions {
    /// A region name (`eu_west_1`), its domain (`mypurecloud.ie`) or API host. Default `us_east_1`.
    pub region: Option<String>,
    /// Overrides `region` (a proxy, the emulator): https, or plain http to loopback only.
    pub base_url: Option<String>,
    /// A bearer token (user or client credentials); never refreshed.
    pub access_token: Option<SecretString>,
    /// OAuth client id (Client Credentials grant); the token is fetched, cached and refreshed.
    pub client_id: Option<String>,
    /// OAuth client secret, with `clientId`.
    pub client_secret: Option<SecretString>,
    /// Per attempt, in ms. Default 16000, 1 to 600000.
    #[serde(rename = "timeoutMs", deserialize_with = "millis::<_, 1, 600_000>")]
    pub timeout: Duration,
    /// Retries per request for throttled and transient failures. Default 5, 0 to 20.
    #[serde(deserialize_with = "whole::<_, 0, 20>")]
    pub max_retries: u32,
    /// A 429, or a spent rate-limit window, asking to wait longer than this
    /// fails fast with `ERR_RATE_LIMITED` and `retryAfterMs`. Default 180000, 0 to 3600000.
    #[serde(
        rename = "maxRetryAfterMs",
        deserialize_with = "millis::<_, 0, 3_600_000>"
    )]
    pub max_retry_after: Duration,
    /// Overall time for one operation (all attempts and waits), in ms,
    /// 1 to 86400000. Default: none.
    #[serde(
        rename = "deadlineMs",
        deserialize_with = "opt_millis::<_, 1, 86_400_000>"
    )]
    pub deadline: Option<Duration>,
    /// The largest answer read, in bytes: a bigger one is not read further and
    /// fails with `ERR_UPSTREAM` (not retried). Default 8 MiB, far above any
    /// Genesys answer; 1024 to 1 GiB.
    #[serde(deserialize_with = "whole::<_, 1024, 1_073_741_824>")]
    pub max_response_bytes: u32,
    /// `budget` (default): a request starts at once while the token's window
    /// has budget, then waits for it to turn. `smooth`: even spacing at 98%
    /// of the limit.
    pub pacing: Pacing,
    /// Extra trusted root certificates, added to the platform's: PEM text (a
    /// string or a Buffer) with one or more `BEGIN CERTIFICATE` blocks, or an
    /// array of them. For a TLS-inspecting proxy's CA or a private gateway.
    #[serde(deserialize_with = "crate::http::http_client::ca_option")]
    pub ca: Roots,
    /// The proxy for https requests (`http://host:port`, credentials as
    /// `http://user:password@host:port`), or `false` for none. Default:
    /// `HTTPS_PROXY` when set. Hosts in `NO_PROXY` go direct.
    #[serde(deserialize_with = "crate::http::http_client::proxy_option")]
    pub proxy: ProxyChoice,
}

/// The defaults of the options that have one (the others are `None`).
impl Default for ConnectionOptions {
    fn default() -> Self {
        let policy = RetryPolicy::default();
        ConnectionOptions {
            region: None,
            base_url: None,
            access_token: None,
            client_id: None,
            client_secret: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: policy.max_retries,
            max_retry_after: policy.max_retry_after,
            deadline: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            pacing: Pacing::default(),
            ca: Roots::default(),
            proxy: ProxyChoice::default(),
        }
    }
}

impl crate::options::Validated for ConnectionOptions {
    /// Checked when the client is built (`resolve`), where the rules need all fields.
    fn validated(self) -> Result<Self, Error> {
        Ok(self)
    }
}

/// The validated configuration a client is built from.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoints: Endpoints,
    pub credentials: Credentials,
    pub attempt_timeout: Duration,
    pub policy: RetryPolicy,
    /// Overall time allowed for one operation (all attempts and waits).
    pub deadline: Option<Duration>,
    /// The largest answer read, in bytes.
    pub max_response_bytes: usize,
    pub pacing: Pacing,
    /// Trusted roots, proxy and connect timeout of the HTTP client.
    pub http: HttpSettings,
}

/// A `proxy` option with a plain-http `baseUrl` is refused rather than
/// ignored: plain http goes only to loopback, which a proxy elsewhere cannot
/// reach, and through a proxy the token would travel in clear. (`HTTPS_PROXY`
/// from the environment is not an option the caller chose for this client:
/// it applies to https only, and is not used for loopback.)
fn check_proxy_for(proxy: &ProxyChoice, endpoints: &Endpoints) -> Result<(), Error> {
    match proxy {
        ProxyChoice::Url(_) if endpoints.api_base.starts_with("http://") => {
            Err(Error::invalid_argument(format!(
                "proxy cannot be used with the plain-http baseUrl {}: plain http is allowed only to loopback (an emulator, a local gateway), which a proxy cannot reach and through which the token would travel unencrypted. Leave proxy out (or set it to false) for a loopback baseUrl, or use an https baseUrl.",
                endpoints.api_base
            )))
        }
        _ => Ok(()),
    }
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(16);
pub const DEFAULT_MAX_RESPONSE_BYTES: u32 = 8 << 20;

impl ConnectionOptions {
    pub fn resolve(&self) -> Result<ClientConfig, Error> {
        let endpoints = match (&self.base_url, &self.region) {
            (Some(url), _) => region::resolve_base_url(url)?,
            (None, Some(r)) => region::resolve_region(r)?,
            (None, None) => region::resolve_region(region::DEFAULT_REGION)?,
        };
        check_proxy_for(&self.proxy, &endpoints)?;
        // Every number was read and bounded by serde: nothing to check again.
        Ok(ClientConfig {
            endpoints,
            credentials: self.credentials()?,
            attempt_timeout: self.timeout,
            policy: RetryPolicy {
                max_retries: self.max_retries,
                max_retry_after: self.max_retry_after,
                ..RetryPolicy::default()
            },
            deadline: self.deadline,
            max_response_bytes: self.max_response_bytes as usize,
            pacing: self.pacing,
            http: HttpSettings {
                ca: self.ca.clone(),
                proxy: self.proxy.clone(),
                connect_timeout: self.timeout.min(Duration::from_secs(10)),
            },
        })
    }

    fn credentials(&self) -> Result<Credentials, Error> {
        let token = self
            .access_token
            .as_ref()
            .filter(|t| !t.expose_secret().trim().is_empty());
        let id = self
            .client_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let secret = self
            .client_secret
            .as_ref()
            .filter(|s| !s.expose_secret().is_empty());
        match (token, id, secret) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(Error::invalid_argument(
                "Pass either accessToken or clientId + clientSecret, not both.",
            )),
            (Some(t), None, None) => {
                let raw = t.expose_secret().trim();
                let raw = raw.strip_prefix("Bearer ").unwrap_or(raw);
                if raw.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                    return Err(Error::invalid_argument(
                        "accessToken contains spaces or control characters: pass the bare token.",
                    ));
                }
                Ok(Credentials::Static(SecretString::from(raw.to_string())))
            }
            (None, Some(id), Some(secret)) => Ok(Credentials::ClientCredentials {
                client_id: id.to_string(),
                client_secret: secret.clone(),
            }),
            (None, Some(_), None) => Err(Error::invalid_argument(
                "clientId was given without clientSecret: pass both (an OAuth client with the Client Credentials grant).",
            )),
            (None, None, Some(_)) => Err(Error::invalid_argument(
                "clientSecret was given without clientId: pass both.",
            )),
            (None, None, None) => Err(Error::invalid_argument(
                "No credentials: pass accessToken, or clientId and clientSecret of an OAuth client with the Client Credentials grant.",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn token() -> ConnectionOptions {
        ConnectionOptions {
            access_token: Some(SecretString::from("tok-123")),
            ..Default::default()
        }
    }

    #[test]
    fn defaults() {
        let c = token().resolve().unwrap();
        assert_eq!(c.endpoints.api_base, "https://api.mypurecloud.com");
        assert_eq!(c.attempt_timeout, Duration::from_secs(16));
        assert_eq!(c.policy.max_retries, 5);
        assert_eq!(c.policy.max_retry_after, Duration::from_secs(180));
        assert!(c.deadline.is_none());
        assert_eq!(c.pacing, Pacing::Budget);
    }

    fn read(v: serde_json::Value) -> Result<ConnectionOptions, Error> {
        crate::options::parse(v)
    }

    #[test]
    fn options_read_typed() {
        let o = read(
            json!({"accessToken": "t", "timeoutMs": 2500, "maxRetries": 0,
            "maxRetryAfterMs": 0, "deadlineMs": 60000, "pacing": "smooth"}),
        )
        .unwrap();
        let c = o.resolve().unwrap();
        assert_eq!(c.attempt_timeout, Duration::from_millis(2500));
        assert_eq!(c.policy.max_retries, 0);
        assert_eq!(c.policy.max_retry_after, Duration::ZERO);
        assert_eq!(c.deadline, Some(Duration::from_secs(60)));
        assert_eq!(c.pacing, Pacing::Smooth);
        let d = read(json!({"accessToken": "t"}))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(d.attempt_timeout, DEFAULT_TIMEOUT);
        assert_eq!(d.max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES as usize);
    }

    #[test]
    fn a_proxy_option_with_a_plain_http_base_url_is_refused() {
        let with = |base: &str, proxy: serde_json::Value| {
            read(json!({"accessToken": "t", "baseUrl": base, "proxy": proxy}))
                .and_then(|o| o.resolve())
        };
        let e = with("http://127.0.0.1:8080", json!("http://proxy.corp:3128")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
        assert!(
            e.message.starts_with(
                "proxy cannot be used with the plain-http baseUrl http://127.0.0.1:8080"
            ),
            "{}",
            e.message
        );
        assert!(with("http://127.0.0.1:8080", json!(false)).is_ok());
        assert!(with(
            "https://api.mypurecloud.ie",
            json!("http://proxy.corp:3128")
        )
        .is_ok());
        // The environment's HTTPS_PROXY is not the caller's choice for this client.
        assert!(
            read(json!({"accessToken": "t", "baseUrl": "http://127.0.0.1:8080"}))
                .unwrap()
                .resolve()
                .is_ok()
        );
    }

    #[test]
    fn credential_rules() {
        let none = ConnectionOptions::default();
        assert_eq!(none.resolve().unwrap_err().code, ErrorCode::InvalidArgument);
        let both = ConnectionOptions {
            client_id: Some("x".into()),
            client_secret: Some(SecretString::from("y")),
            ..token()
        };
        assert!(both.resolve().unwrap_err().message.contains("not both"));
        let half = ConnectionOptions {
            client_id: Some("x".into()),
            ..Default::default()
        };
        assert!(half.resolve().unwrap_err().message.contains("clientSecret"));
        let cc = ConnectionOptions {
            client_id: Some("x".into()),
            client_secret: Some(SecretString::from("y")),
            ..Default::default()
        };
        assert!(matches!(
            cc.resolve().unwrap().credentials,
            Credentials::ClientCredentials { .. }
        ));
    }

    #[test]
    fn secrets_never_show_in_debug_or_errors() {
        let o = ConnectionOptions {
            access_token: Some(SecretString::from("super-secret-token")),
            client_secret: Some(SecretString::from("super-secret-secret")),
            client_id: Some("id".into()),
            ..Default::default()
        };
        let dbg = format!("{o:?}");
        assert!(!dbg.contains("super-secret"), "{dbg}");
        let e = o.resolve().unwrap_err();
        assert!(!format!("{e:?}{e}").contains("super-secret"));
        let ok = ConnectionOptions {
            client_id: None,
            ..o
        }
        .resolve()
        .unwrap_err();
        assert!(!format!("{ok:?}").contains("super-secret"));
        let c = token().resolve().unwrap();
        assert!(!format!("{c:?}").contains("tok-123"));
    }

    #[test]
    fn number_rules() {
        for (opt, bad) in [
            ("timeoutMs", json!(-1)),
            ("timeoutMs", json!(0.5)),
            ("maxRetries", json!(1.5)),
            ("maxRetries", json!(99)),
            ("maxRetryAfterMs", json!(3_600_001)),
            ("deadlineMs", json!(0)),
            ("maxResponseBytes", json!(10)),
            ("pacing", json!("fast")),
            ("pacing", json!(3)),
        ] {
            let mut v = json!({"accessToken": "t"});
            v[opt] = bad;
            let e = read(v).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument);
            assert!(e.message.starts_with(opt), "{}", e.message);
        }
    }
}
