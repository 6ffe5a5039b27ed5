//! An unauthenticated GET of a public file (a Messenger deployment's
//! `config.json`): no Authorization header, no rate budget, one attempt
//! bounded by the attempt timeout and by `max` bytes. The caller builds the
//! URL; it must start with an origin the caller allowed (the region's
//! `api-cdn` host, or the `baseUrl`).

use super::Transport;
use crate::error::{Error, ErrorCode};
use crate::http::net_error;
use bytes::{Bytes, BytesMut};
use tokio_util::sync::CancellationToken;

impl Transport {
    /// `GET url` with no credentials: `Ok(None)` for a 404, the body (at
    /// most `max` bytes) for a 200, an error otherwise.
    pub async fn public_get(
        &self,
        url: &str,
        allowed_origin: &str,
        max: usize,
        action: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Bytes>, Error> {
        let origin = allowed_origin.trim_end_matches('/');
        if !url.starts_with(&format!("{origin}/")) {
            return Err(Error::new(
                ErrorCode::Internal,
                format!("{action}: the URL is not on {origin}. Please report it."),
            ));
        }
        let read = async {
            let mut resp = self
                .http
                .get(url)
                .timeout(self.attempt_timeout)
                .send()
                .await?;
            let status = resp.status().as_u16();
            let mut body = BytesMut::new();
            while let Some(chunk) = resp.chunk().await? {
                if body.len() + chunk.len() > max {
                    return Ok((status, None));
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>((status, Some(body.freeze())))
        };
        let (status, body) = tokio::select! {
            r = read => r.map_err(|e| net_error::error_for(action, &e, e.is_timeout()).0)?,
            _ = cancel.cancelled() => return Err(Error::aborted()),
        };
        match (status, body) {
            (404, _) => Ok(None),
            (200, Some(b)) => Ok(Some(b)),
            (200, None) => Err(Error::new(
                ErrorCode::Upstream,
                format!("{action}: the answer is larger than {max} bytes."),
            )),
            (s, _) => Err(Error::new(
                ErrorCode::Upstream,
                format!("{action}: the server answered HTTP {s}."),
            )
            .with_status(s)),
        }
    }
}
