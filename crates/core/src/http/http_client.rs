//! The one HTTP client a `Transport` sends with: which roots it trusts and
//! which proxy carries its requests. Kept apart from the transport so the
//! trust and proxy rules are in one small place.
//!
//! Trust: the platform's roots through `rustls-platform-verifier` (what
//! reqwest's rustls backend uses: the OS verifier on macOS and Windows, the
//! system bundle on Linux, which honours `SSL_CERT_FILE`/`SSL_CERT_DIR`),
//! plus the certificates of the `ca` option, of `NODE_EXTRA_CA_CERTS` (as Node
//! itself does) and of `SSL_CERT_FILE` (read here too, so it also works where
//! the OS verifier does not read it).
//!
//! Proxy: only https requests ever go through a proxy, and reqwest sends them
//! as a `CONNECT host:port` tunnel, so the proxy sees the Genesys host name and
//! never the token (it travels inside TLS). Plain http is allowed only to
//! loopback (see `region`) and is never proxied: a proxy would see its
//! `Authorization` header in clear. reqwest's own reading of the environment
//! is switched off for that reason (it would route plain http through
//! `HTTP_PROXY`/`ALL_PROXY`); `HTTPS_PROXY` and `NO_PROXY` are read here.

use crate::error::{Error, ErrorCode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, Once, Weak};
use std::time::Duration;

/// Extra trusted roots, validated (each parses as an X.509 trust anchor).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Roots(pub Vec<CertificateDer<'static>>);

impl fmt::Debug for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Roots({} certificates)", self.0.len())
    }
}

/// Which proxy carries https requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// `HTTPS_PROXY` (or `https_proxy`) when set, else none.
    #[default]
    FromEnv,
    /// `proxy: false`: never a proxy, whatever the environment says.
    Off,
    /// `proxy: 'http://proxy:3128'`.
    Url(ProxyUrl),
}

/// A validated proxy URL. It may carry credentials (`user:pass@`), so it is
/// never printed: `Debug` shows the scheme and host only.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(url::Url);

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ProxyUrl({}://{})",
            self.0.scheme(),
            self.0.host_str().unwrap_or("")
        )
    }
}

impl ProxyUrl {
    /// `source` names the option or variable in the error ("proxy", "HTTPS_PROXY").
    /// Without a scheme, `http://` is assumed (as curl does).
    pub fn parse(source: &str, raw: &str) -> Result<ProxyUrl, Error> {
        let raw = raw.trim();
        let with_scheme = if raw.contains("://") {
            raw.to_string()
        } else {
            format!("http://{raw}")
        };
        // The value is never echoed: it may hold the proxy's password.
        let url = url::Url::parse(&with_scheme).map_err(|_| {
            Error::invalid_argument(format!(
                "{source} is not a valid URL: give it as http://host:port (credentials, if any, as http://user:password@host:port)."
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::invalid_argument(format!(
                "{source} must be an http:// or https:// proxy URL, got a {}:// URL (SOCKS proxies are not supported).",
                url.scheme().chars().take(16).collect::<String>()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::invalid_argument(format!(
                "{source} has no host: give it as http://host:port."
            )));
        }
        Ok(ProxyUrl(url))
    }
}

/// What the process environment says about trust and proxies, read once when
/// a client is built (passed in, so tests need not change the environment).
#[derive(Clone, Debug, Default)]
pub struct NetEnv {
    pub node_extra_ca_certs: Option<PathBuf>,
    pub ssl_cert_file: Option<PathBuf>,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
}

impl NetEnv {
    pub fn from_process() -> NetEnv {
        // An empty variable counts as unset (as `export HTTPS_PROXY=` means).
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        NetEnv {
            node_extra_ca_certs: var(&["NODE_EXTRA_CA_CERTS"]).map(PathBuf::from),
            ssl_cert_file: var(&["SSL_CERT_FILE"]).map(PathBuf::from),
            https_proxy: var(&["HTTPS_PROXY", "https_proxy"]),
            no_proxy: var(&["NO_PROXY", "no_proxy"]),
        }
    }
}

/// Reads PEM text into validated roots; `source` names where it came from.
pub fn parse_pem(source: &str, pem: &[u8]) -> Result<Roots, Error> {
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(pem) {
        let der = item.map_err(|e| {
            Error::invalid_argument(format!(
                "{source} is not valid PEM ({e}): give one or more -----BEGIN CERTIFICATE----- blocks."
            ))
        })?;
        // A block that is not an X.509 certificate would only fail later, at
        // the first connection, with a TLS error that does not name it.
        let mut probe = rustls::RootCertStore::empty();
        probe.add(der.clone()).map_err(|e| {
            Error::invalid_argument(format!(
                "{source} holds a block that is not a valid X.509 certificate ({e}): give the CA certificate in PEM."
            ))
        })?;
        certs.push(der);
    }
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!(
            "{source} holds no certificate: give one or more -----BEGIN CERTIFICATE----- blocks (PEM)."
        )));
    }
    Ok(Roots(certs))
}

fn read_pem_file(var: &str, path: &PathBuf) -> Result<Roots, Error> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::invalid_argument(format!(
            "{var} names {} which could not be read ({e}): fix the path or unset {var}.",
            path.display()
        ))
    })?;
    parse_pem(&format!("{var} ({})", path.display()), &bytes)
}

/// Everything the client needs besides the environment.
#[derive(Clone, Debug, Default)]
pub struct HttpSettings {
    pub ca: Roots,
    pub proxy: ProxyChoice,
    pub connect_timeout: Duration,
}

/// The proxy for https requests, if any: the option, else `HTTPS_PROXY`.
pub fn chosen_proxy(choice: &ProxyChoice, env: &NetEnv) -> Result<Option<ProxyUrl>, Error> {
    match choice {
        ProxyChoice::Off => Ok(None),
        ProxyChoice::Url(u) => Ok(Some(u.clone())),
        ProxyChoice::FromEnv => env
            .https_proxy
            .as_deref()
            .map(|raw| ProxyUrl::parse("HTTPS_PROXY", raw))
            .transpose(),
    }
}

/// The extra roots to trust: the `ca` option, then the environment's files.
pub fn extra_roots(settings: &HttpSettings, env: &NetEnv) -> Result<Roots, Error> {
    let mut all = settings.ca.0.clone();
    if let Some(p) = &env.node_extra_ca_certs {
        all.extend(read_pem_file("NODE_EXTRA_CA_CERTS", p)?.0);
    }
    if let Some(p) = &env.ssl_cert_file {
        all.extend(read_pem_file("SSL_CERT_FILE", p)?.0);
    }
    Ok(Roots(all))
}

static CRYPTO: Once = Once::new();

/// The effective settings a client is built from, once the environment has
/// been read (its files too): equal keys build equal clients. It holds the
/// proxy URL, which may carry a password, so it has no `Debug` and is never
/// printed; the roots are public certificates.
#[derive(Clone, PartialEq, Eq, Hash)]
struct HttpKey {
    roots: Vec<CertificateDer<'static>>,
    proxy: Option<url::Url>,
    no_proxy: Option<String>,
    connect_timeout: Duration,
}

fn effective(settings: &HttpSettings, env: &NetEnv) -> Result<HttpKey, Error> {
    Ok(HttpKey {
        roots: extra_roots(settings, env)?.0,
        proxy: chosen_proxy(&settings.proxy, env)?.map(|p| p.0),
        no_proxy: env.no_proxy.clone(),
        connect_timeout: settings.connect_timeout,
    })
}

/// The client of this process for these settings: every `Transport` whose
/// effective settings are equal shares one connection pool and one TLS setup
/// (the platform's root store is copied once, not per client; ~200 KB).
/// Only what each client does with it (rate budget, fence, token) stays its
/// own. The map holds weak references, pruned at each miss: it never holds
/// more entries than there are distinct settings in live clients.
pub fn shared(settings: &HttpSettings, env: &NetEnv) -> Result<Arc<reqwest::Client>, Error> {
    static CLIENTS: LazyLock<Mutex<HashMap<HttpKey, Weak<reqwest::Client>>>> =
        LazyLock::new(Mutex::default);
    let key = effective(settings, env)?;
    let mut clients = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(client) = clients.get(&key).and_then(Weak::upgrade) {
        return Ok(client);
    }
    clients.retain(|_, c| c.strong_count() > 0);
    let client = Arc::new(build_key(&key)?);
    clients.insert(key, Arc::downgrade(&client));
    Ok(client)
}

/// Builds a client of its own (not shared; see `shared`).
pub fn build(settings: &HttpSettings, env: &NetEnv) -> Result<reqwest::Client, Error> {
    build_key(&effective(settings, env)?)
}

/// Never follows redirects (one would carry the `Authorization` header, or
/// the next request, to a host we did not vet).
fn build_key(key: &HttpKey) -> Result<reqwest::Client, Error> {
    // reqwest is built without a bundled crypto provider; install ring once.
    CRYPTO.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("genesys-cleanup/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(key.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        // Drops reqwest's own environment proxies (see the module comment).
        .no_proxy();
    if !key.roots.is_empty() {
        let certs = key
            .roots
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::invalid_argument(format!("A trusted root was refused: {e}.")))?;
        builder = builder.tls_certs_merge(certs);
    }
    if let Some(proxy) = &key.proxy {
        // `Proxy::https`: only https targets are proxied (as CONNECT tunnels).
        let p = reqwest::Proxy::https(proxy.as_str())
            .map_err(|_| {
                Error::invalid_argument("The proxy URL was refused: give it as http://host:port.")
            })?
            .no_proxy(
                key.no_proxy
                    .as_deref()
                    .and_then(reqwest::NoProxy::from_string),
            );
        builder = builder.proxy(p);
    }
    builder.build().map_err(|e| {
        Error::new(
            ErrorCode::Network,
            format!("Could not build the HTTP client (TLS roots or proxy): {e}"),
        )
    })
}

/// Serde for the `ca` option: a PEM string, a Buffer (bytes), or an array of
/// either; validated into roots.
pub fn ca_option<'de, D: Deserializer<'de>>(d: D) -> Result<Roots, D::Error> {
    struct Pem;
    impl<'de> Visitor<'de> for Pem {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a PEM string, a Buffer, or an array of them")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
            Ok(v.as_bytes().to_vec())
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
        fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut all = Vec::new();
            while let Some(one) = seq.next_element::<PemPart>()? {
                all.extend_from_slice(&one.0);
                all.push(b'\n');
            }
            Ok(all)
        }
    }
    struct PemPart(Vec<u8>);
    impl<'de> de::Deserialize<'de> for PemPart {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(Pem).map(PemPart)
        }
    }
    let bytes = d.deserialize_any(Pem)?;
    parse_pem("ca", &bytes).map_err(|e| {
        de::Error::custom(format!(
            "{}{}",
            crate::options::RULE,
            e.message.trim_start_matches("ca ")
        ))
    })
}

/// Serde for the `proxy` option: a URL string, or `false` for none.
pub fn proxy_option<'de, D: Deserializer<'de>>(d: D) -> Result<ProxyChoice, D::Error> {
    struct P;
    impl<'de> Visitor<'de> for P {
        type Value = ProxyChoice;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a proxy URL or false")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<ProxyChoice, E> {
            if v {
                Err(E::custom(format!(
                    "{}must be a proxy URL (http://host:port) or false, got true.",
                    crate::options::RULE
                )))
            } else {
                Ok(ProxyChoice::Off)
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<ProxyChoice, E> {
            ProxyUrl::parse("proxy", v)
                .map(ProxyChoice::Url)
                .map_err(|e| {
                    E::custom(format!(
                        "{}{}",
                        crate::options::RULE,
                        e.message.trim_start_matches("proxy ")
                    ))
                })
        }
    }
    d.deserialize_any(P)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real self-signed CA certificate (generated with openssl for this test).
    const CA: &str = include_str!("../../tests/data/test-ca.pem");

    #[test]
    fn pem_is_validated() {
        assert_eq!(parse_pem("ca", CA.as_bytes()).unwrap().0.len(), 1);
        let two = format!("{CA}\n{CA}");
        assert_eq!(parse_pem("ca", two.as_bytes()).unwrap().0.len(), 2);
        for bad in [
            "",
            "hello",
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
        ] {
            let e = parse_pem("ca", bad.as_bytes()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument, "{bad}");
            assert!(e.message.starts_with("ca "), "{}", e.message);
        }
    }

    #[test]
    fn proxy_urls_are_checked_and_never_echoed() {
        let p = ProxyUrl::parse("proxy", "proxy.corp:3128").unwrap();
        assert_eq!(p.0.as_str(), "http://proxy.corp:3128/");
        let p = ProxyUrl::parse("proxy", "http://user:hunter2@proxy.corp:3128").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
        for bad in [
            "socks5://user:hunter2@h:1",
            "http://user:hunter2@",
            "http://[bad",
        ] {
            let e = ProxyUrl::parse("HTTPS_PROXY", bad).unwrap_err();
            assert!(e.message.starts_with("HTTPS_PROXY "), "{}", e.message);
            assert!(!e.message.contains("hunter2"), "{}", e.message);
        }
    }

    #[test]
    fn the_option_wins_over_the_environment() {
        let env = NetEnv {
            https_proxy: Some("http://env-proxy:1".into()),
            ..Default::default()
        };
        let from_env = chosen_proxy(&ProxyChoice::FromEnv, &env).unwrap().unwrap();
        assert_eq!(from_env.0.host_str(), Some("env-proxy"));
        assert_eq!(chosen_proxy(&ProxyChoice::Off, &env).unwrap(), None);
        let opt = ProxyChoice::Url(ProxyUrl::parse("proxy", "http://opt:2").unwrap());
        assert_eq!(
            chosen_proxy(&opt, &env).unwrap().unwrap().0.host_str(),
            Some("opt")
        );
        let broken = NetEnv {
            https_proxy: Some("ftp://x".into()),
            ..Default::default()
        };
        let e = chosen_proxy(&ProxyChoice::FromEnv, &broken).unwrap_err();
        assert!(e.message.contains("HTTPS_PROXY"), "{}", e.message);
    }

    #[test]
    fn environment_files_add_roots_or_say_what_is_wrong() {
        let dir = std::env::temp_dir().join(format!("gc-http-client-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("ca.pem");
        std::fs::write(&good, CA).unwrap();
        let settings = HttpSettings::default();
        let env = NetEnv {
            node_extra_ca_certs: Some(good.clone()),
            ssl_cert_file: Some(good.clone()),
            ..Default::default()
        };
        assert_eq!(extra_roots(&settings, &env).unwrap().0.len(), 2);
        let missing = NetEnv {
            node_extra_ca_certs: Some(dir.join("nope.pem")),
            ..Default::default()
        };
        let e = extra_roots(&settings, &missing).unwrap_err();
        assert!(
            e.message.starts_with("NODE_EXTRA_CA_CERTS names"),
            "{}",
            e.message
        );
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = extra_roots(
            &settings,
            &NetEnv {
                ssl_cert_file: Some(junk),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.message.starts_with("SSL_CERT_FILE"), "{}", e.message);
        // The client builds with the roots and a proxy.
        let with_proxy = HttpSettings {
            proxy: ProxyChoice::Url(ProxyUrl::parse("proxy", "http://127.0.0.1:9").unwrap()),
            ..settings
        };
        build(&with_proxy, &env).unwrap();
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn equal_settings_share_one_client_and_different_ones_do_not() {
        let env = NetEnv::default();
        let plain = HttpSettings {
            connect_timeout: Duration::from_millis(4321),
            ..Default::default()
        };
        let a = shared(&plain, &env).unwrap();
        let b = shared(&plain.clone(), &env).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "equal settings share one client");
        let ca = HttpSettings {
            ca: parse_pem("ca", CA.as_bytes()).unwrap(),
            ..plain.clone()
        };
        let proxied = HttpSettings {
            proxy: ProxyChoice::Url(
                ProxyUrl::parse("proxy", "http://u:secret@127.0.0.1:9").unwrap(),
            ),
            ..plain.clone()
        };
        let via_env = NetEnv {
            https_proxy: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        };
        let others = [
            shared(&ca, &env).unwrap(),
            shared(&proxied, &env).unwrap(),
            shared(&plain, &via_env).unwrap(),
            shared(
                &HttpSettings {
                    connect_timeout: Duration::from_millis(1234),
                    ..plain.clone()
                },
                &env,
            )
            .unwrap(),
        ];
        for (i, o) in others.iter().enumerate() {
            assert!(!Arc::ptr_eq(&a, o), "setting {i} has its own client");
            for p in &others[i + 1..] {
                assert!(!Arc::ptr_eq(o, p));
            }
        }
        // Once no client holds it, the next one is built afresh (weak entries).
        let weak = Arc::downgrade(&a);
        drop((a, b));
        assert!(weak.upgrade().is_none());
        let c = shared(&plain, &env).unwrap();
        assert_eq!(Arc::strong_count(&c), 1);
    }
}
