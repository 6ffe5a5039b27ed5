//! Fetching an OAuth token with client credentials: the region's token
//! endpoint, Basic credentials, its own small retry loop over the transport's
//! one `attempt`. Apart from the API pipeline: no bearer, no rate budget (the
//! token endpoint is not counted in the API's limit), no 401 replay.

use super::{Call, Judged, Parsed, Request, Target, Transport};
use crate::error::{Error, ErrorCode};
use crate::genesys::routes;
use crate::http::auth::TokenResponse;
use crate::observe::events::{Event, EventKind};
use bytes::Bytes;
use reqwest::Method;

const ROUTE: &str = routes::OAUTH_TOKEN;

pub struct TokenFetcher {
    url: String,
}

impl TokenFetcher {
    pub fn new(login_base: &str) -> Self {
        TokenFetcher {
            url: format!("{login_base}{ROUTE}"),
        }
    }

    /// One token, retried like any request (transient failures, 429s and the
    /// token endpoint's own rate limit); every attempt counts in `call`.
    pub async fn fetch(&self, t: &Transport, call: &mut Call<'_>) -> Result<TokenResponse, Error> {
        t.emit(|| Event::new(EventKind::TokenRefresh, "POST", ROUTE, 0));
        let authorization = t.auth().basic_header().ok_or_else(|| {
            Error::new(
                ErrorCode::Unauthorized,
                "No client credentials to fetch a token with.",
            )
        })?;
        let target = Target {
            url: self.url.clone(),
            authorization,
            content_type: "application/x-www-form-urlencoded",
            write: false,
        };
        let req = Request {
            method: Method::POST,
            path: String::new(),
            route: ROUTE,
            body: Some(Bytes::from_static(b"grant_type=client_credentials")),
            action: "fetching an OAuth token (client credentials)",
        };
        let mut attempt = 0;
        let result = self.attempts(t, &req, &target, call, &mut attempt).await;
        if let Err(e) = &result {
            t.give_up(&req, attempt, e);
        }
        result
    }

    async fn attempts(
        &self,
        t: &Transport,
        req: &Request<'_>,
        target: &Target,
        call: &mut Call<'_>,
        attempt: &mut u32,
    ) -> Result<TokenResponse, Error> {
        loop {
            if call.cancel.is_cancelled() {
                return Err(Error::aborted());
            }
            let failure = match t.attempt(req, target, None, *attempt, call, &parse).await? {
                Judged::Done(reply) => return Ok(reply.value),
                Judged::Failed(failure) | Judged::Unauthorized(failure) => failure,
            };
            let wait = t
                .retry_wait(req, failure, *attempt, call)
                .map_err(|e| self.credentials_refused(e))?;
            *attempt += 1;
            t.sleep(wait, call).await?;
        }
    }

    /// The token endpoint's 401 (or its 400 for a bad grant) means the client
    /// credentials are wrong: say that, not "unauthorized request".
    fn credentials_refused(&self, mut e: Error) -> Error {
        if e.status == Some(401) || e.status == Some(400) && e.code == ErrorCode::InvalidArgument {
            e.code = ErrorCode::Unauthorized;
            e.message = format!(
                "The token endpoint {} rejected the client credentials ({}): check clientId and clientSecret, that the OAuth client uses the Client Credentials grant, and that it belongs to this region.",
                self.url,
                e.genesys_code.as_deref().unwrap_or("no error code")
            );
        }
        e
    }
}

fn parse(status: u16, body: &[u8]) -> Parsed<TokenResponse> {
    match status {
        200 => match serde_json::from_slice::<TokenResponse>(body) {
            Ok(t) => Parsed::Accept(t),
            Err(_) => Parsed::Unreadable,
        },
        _ => Parsed::Reject,
    }
}
