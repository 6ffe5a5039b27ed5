//! What authenticates an API request: the bearer (the cached token, or one
//! fetch shared by every waiting caller), its refresh after a 401, and the
//! `Target` an attempt is sent to. Fetching the token is `token_fetch`.

use super::{Call, Request, Target, Transport};
use crate::error::Error;
use crate::http::auth::Bearer;

impl Transport {
    /// The bearer for an API request: the cached token, or one fetched now
    /// (single flight, see `TokenSource`); the fetch counts in this call's stats.
    pub(super) async fn bearer(&self, call: &mut Call<'_>) -> Result<Bearer, Error> {
        self.auth.bearer(|| self.tokens.fetch(self, call)).await
    }

    /// The cached token was revoked or expired early: drop it, so that the
    /// next bearer is a fresh one, and count the replay as a retry.
    pub(super) fn refresh_after_401(
        &self,
        req: &Request<'_>,
        attempt: u32,
        bearer: &Bearer,
        call: &mut Call<'_>,
    ) {
        self.auth.invalidate(bearer.generation);
        self.count_retry(
            req,
            attempt,
            (Some(401), None),
            None,
            "unauthorized: refreshing the token",
            call,
        );
    }

    /// Where an API request goes, and the bearer that authenticates it.
    pub(super) fn api_target(&self, req: &Request<'_>, bearer: &Bearer, write: bool) -> Target {
        Target {
            url: format!("{}{}", self.api_base, req.path),
            authorization: bearer.header.clone(),
            content_type: "application/json",
            write,
        }
    }
}
