//! Token sources: a static token, or client credentials with a cached token
//! that is refreshed before it expires, by one request however many callers
//! wait for it (single flight), and once more after a 401.

use crate::error::Error;
use crate::genesys::api_error::Principal;
use base64::Engine;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub enum Credentials {
    Static(SecretString),
    ClientCredentials {
        client_id: String,
        client_secret: SecretString,
    },
}

/// A token as the token endpoint returned it.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: SecretString,
    #[serde(default)]
    pub expires_in: Option<f64>,
}

#[derive(Clone)]
struct Cached {
    header: HeaderValue,
    generation: u64,
    refresh_at: Instant,
    expires_at: Instant,
}

/// A bearer header and the generation of the token in it (to invalidate exactly that one).
#[derive(Clone)]
pub struct Bearer {
    pub header: HeaderValue,
    pub generation: u64,
}

pub struct TokenSource {
    credentials: Credentials,
    cached: Mutex<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    fetches: AtomicU64,
    /// The last failed fetch, numbered: callers that queued behind a fetch
    /// share its failure instead of each trying again (single flight for
    /// failures too: bad credentials cost one token request, not one per caller).
    failure: Mutex<(u64, Option<Error>)>,
}

impl TokenSource {
    pub fn new(credentials: Credentials) -> Result<Self, Error> {
        let source = TokenSource {
            credentials,
            cached: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
            failure: Mutex::new((0, None)),
        };
        if let Credentials::Static(token) = &source.credentials {
            let header = bearer_header(token.expose_secret())?;
            let far = Instant::now() + Duration::from_secs(100 * 365 * 86_400);
            *source.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(Cached {
                header,
                generation: 0,
                refresh_at: far,
                expires_at: far,
            });
        }
        Ok(source)
    }

    pub fn principal(&self) -> Principal {
        match &self.credentials {
            Credentials::Static(_) => Principal::StaticToken,
            Credentials::ClientCredentials { client_id, .. } => {
                Principal::OAuthClient(client_id.clone())
            }
        }
    }

    /// True when a 401 can be answered by fetching a new token.
    pub fn can_refresh(&self) -> bool {
        matches!(self.credentials, Credentials::ClientCredentials { .. })
    }

    /// How many token requests were made (for tests and reports).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The Basic header for the token endpoint.
    pub fn basic_header(&self) -> Option<HeaderValue> {
        let Credentials::ClientCredentials {
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return None;
        };
        let raw = format!("{client_id}:{}", client_secret.expose_secret());
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
        let mut h = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
        h.set_sensitive(true);
        Some(h)
    }

    /// Returns a valid bearer, calling `fetch` (one request) when none is cached
    /// or the cached one is due for refresh. Concurrent callers share one fetch.
    pub async fn bearer<F, Fut>(&self, fetch: F) -> Result<Bearer, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse, Error>>,
    {
        let now = Instant::now();
        if let Some(c) = self.snapshot() {
            if now < c.refresh_at {
                return Ok(c.bearer());
            }
            if now < c.expires_at {
                // Due for refresh but still valid: one caller refreshes, the
                // others keep using the current token instead of waiting.
                match self.refresh.try_lock() {
                    Ok(guard) => return self.refresh_locked(guard, fetch).await,
                    Err(_) => return Ok(c.bearer()),
                }
            }
        }
        let failures_before = self.failure_seq();
        let guard = self.refresh.lock().await;
        // Someone may have refreshed while we waited for the lock...
        if let Some(c) = self.snapshot() {
            if Instant::now() < c.refresh_at {
                return Ok(c.bearer());
            }
        }
        // ...or failed to: then that answer is ours too.
        if let (seq, Some(e)) = &*self.failure.lock().unwrap_or_else(|p| p.into_inner()) {
            if *seq != failures_before {
                return Err(e.clone());
            }
        }
        self.refresh_locked(guard, fetch).await
    }

    async fn refresh_locked<F, Fut>(
        &self,
        _guard: tokio::sync::MutexGuard<'_, ()>,
        fetch: F,
    ) -> Result<Bearer, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse, Error>>,
    {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let token = match fetch().await {
            Ok(t) => t,
            Err(e) => {
                let mut f = self.failure.lock().unwrap_or_else(|p| p.into_inner());
                *f = (f.0 + 1, Some(e.clone()));
                return Err(e);
            }
        };
        let header = bearer_header(token.access_token.expose_secret())?;
        let lifetime = Duration::from_secs_f64(
            token
                .expires_in
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(86_400.0)
                .min(1e7),
        );
        // Refresh a tenth of the lifetime early (at most five minutes), measured
        // from when we asked, so a slow token request cannot make us late.
        let buffer = (lifetime / 10).min(Duration::from_secs(300));
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        let cached = Cached {
            header,
            generation,
            refresh_at: started + lifetime - buffer,
            expires_at: started + lifetime,
        };
        let bearer = cached.bearer();
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(cached);
        Ok(bearer)
    }

    /// The cached bearer while it is still valid, without fetching: for a
    /// write that must go out at once or not at all.
    pub fn current(&self) -> Option<Bearer> {
        let c = self.snapshot()?;
        (Instant::now() < c.expires_at).then(|| c.bearer())
    }

    /// Drops the token of `generation` after a 401, so the next caller fetches
    /// a new one. A later token (someone already refreshed) is kept.
    pub fn invalidate(&self, generation: u64) {
        if !self.can_refresh() {
            return;
        }
        let mut slot = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|c| c.generation == generation) {
            *slot = None;
        }
    }

    fn failure_seq(&self) -> u64 {
        self.failure.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    fn snapshot(&self) -> Option<Cached> {
        self.cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Cached {
    fn bearer(&self) -> Bearer {
        Bearer {
            header: self.header.clone(),
            generation: self.generation,
        }
    }
}

fn bearer_header(token: &str) -> Result<HeaderValue, Error> {
    let mut h = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        Error::invalid_argument(
            "The access token contains characters that cannot be sent in an HTTP header.",
        )
    })?;
    h.set_sensitive(true);
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn cc() -> TokenSource {
        TokenSource::new(Credentials::ClientCredentials {
            client_id: "id".into(),
            client_secret: SecretString::from("secret"),
        })
        .unwrap()
    }

    fn token(ttl: f64) -> TokenResponse {
        TokenResponse {
            access_token: SecretString::from("fresh"),
            expires_in: Some(ttl),
        }
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let src = Arc::new(cc());
        let mut handles = Vec::new();
        for _ in 0..50 {
            let src = src.clone();
            handles.push(tokio::spawn(async move {
                src.bearer(|| async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(token(3600.0))
                })
                .await
                .map(|b| b.generation)
            }));
        }
        for h in handles {
            assert_eq!(h.await.unwrap().unwrap(), 1);
        }
        assert_eq!(src.fetch_count(), 1);
    }

    #[tokio::test]
    async fn callers_queued_behind_a_failed_fetch_share_its_error() {
        let src = Arc::new(cc());
        let mut handles = Vec::new();
        for _ in 0..20 {
            let src = src.clone();
            handles.push(tokio::spawn(async move {
                src.bearer(|| async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Err(Error::new(crate::ErrorCode::Unauthorized, "rejected"))
                })
                .await
                .err()
                .map(|e| e.code)
            }));
        }
        for h in handles {
            assert_eq!(h.await.unwrap(), Some(crate::ErrorCode::Unauthorized));
        }
        assert_eq!(src.fetch_count(), 1);
        // A later caller (not queued behind that fetch) tries again.
        let _ = src.bearer(|| async { Ok(token(60.0)) }).await.unwrap();
        assert_eq!(src.fetch_count(), 2);
    }

    #[tokio::test]
    async fn invalidate_refetches_once_per_generation() {
        let src = cc();
        let b1 = src.bearer(|| async { Ok(token(3600.0)) }).await.unwrap();
        src.invalidate(b1.generation);
        src.invalidate(b1.generation);
        let b2 = src.bearer(|| async { Ok(token(3600.0)) }).await.unwrap();
        assert_eq!(b2.generation, 2);
        // A stale 401 for generation 1 must not throw away generation 2.
        src.invalidate(b1.generation);
        let b3 = src.bearer(|| async { Ok(token(3600.0)) }).await.unwrap();
        assert_eq!(b3.generation, 2);
        assert_eq!(src.fetch_count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_before_expiry() {
        let src = cc();
        src.bearer(|| async { Ok(token(100.0)) }).await.unwrap();
        tokio::time::advance(Duration::from_secs(85)).await;
        assert_eq!(
            src.bearer(|| async { Ok(token(100.0)) })
                .await
                .unwrap()
                .generation,
            1
        );
        tokio::time::advance(Duration::from_secs(6)).await;
        // 91 s into a 100 s token: inside the 10 s buffer, refreshed.
        assert_eq!(
            src.bearer(|| async { Ok(token(100.0)) })
                .await
                .unwrap()
                .generation,
            2
        );
    }

    #[test]
    fn headers_are_sensitive_and_static_tokens_never_refresh() {
        let src = TokenSource::new(Credentials::Static(SecretString::from("abc"))).unwrap();
        assert!(!src.can_refresh());
        let h = src.snapshot().unwrap().header;
        assert!(h.is_sensitive());
        assert!(!format!("{h:?}").contains("abc"));
        assert!(cc().basic_header().unwrap().is_sensitive());
    }
}
