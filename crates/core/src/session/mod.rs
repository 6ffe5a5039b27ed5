//! One client's connection to Genesys as its jobs use it: the transport every
//! request goes through, and what is learned once per client and shared by
//! every job after it, so that a run of 10 000 closes pays for it once.
//!
//! The parts: this file (`Session`, its memos: where the token holds its
//! permissions, its organization), and `grants` (the lookups of what the
//! token holds, which a diagnosis records one by one).

pub mod grants;

use crate::error::{Error, ErrorCode};
use crate::genesys::divisions::Holdings;
use crate::genesys::model::TokenInfo;
use crate::genesys::routes;
use crate::http::transport::{Call, Parsed, Request, Transport};
use reqwest::Method;
use std::ops::Deref;
use std::sync::OnceLock;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

pub struct Session {
    transport: Transport,
    /// Where the token holds its permissions, fetched at most once (on the
    /// first refused close) and shared by every close after it. `None`
    /// inside: the lookups failed (not retried either).
    holdings: OnceCell<Option<Holdings>>,
    /// The token's organization id (`tokens/me`): it names a job's lease.
    organization: OnceLock<String>,
}

/// A session is used as its transport wherever a job only sends requests.
impl Deref for Session {
    type Target = Transport;

    fn deref(&self) -> &Transport {
        &self.transport
    }
}

impl Session {
    pub fn new(transport: Transport) -> Self {
        Session {
            transport,
            holdings: OnceCell::new(),
            organization: OnceLock::new(),
        }
    }

    /// Where the token holds its permissions: looked up on the first call,
    /// then the same answer for every caller. `None` when the lookups failed.
    pub async fn holdings(&self, call: &mut Call<'_>) -> Option<&Holdings> {
        let memo = &self.holdings;
        let held = memo
            .get_or_try_init(|| async {
                match grants::holdings(&self.transport, call).await {
                    // An abort is no answer: leave the memo for the next close.
                    None if call.cancel.is_cancelled() => Err(()),
                    h => Ok(h),
                }
            })
            .await;
        held.ok()?.as_ref()
    }

    /// The id of the organization the token belongs to, read once.
    pub async fn organization_id(&self, cancel: &CancellationToken) -> Result<String, Error> {
        if let Some(id) = self.organization.get() {
            return Ok(id.clone());
        }
        let id = read_organization_id(&self.transport, cancel).await?;
        Ok(self.organization.get_or_init(|| id).clone())
    }
}

/// `GET /api/v2/tokens/me` -> `organization.id`.
async fn read_organization_id(t: &Transport, cancel: &CancellationToken) -> Result<String, Error> {
    let req = Request {
        method: Method::GET,
        path: routes::TOKENS_ME.into(),
        route: routes::TOKENS_ME,
        body: None,
        action: "reading the token's organization (tokens/me)",
    };
    let reply = t
        .send(&req, &mut t.call(cancel), |status, body| match status {
            200 => match serde_json::from_slice::<TokenInfo>(body) {
                Ok(v) => Parsed::Accept(v),
                Err(_) => Parsed::Unreadable,
            },
            _ => Parsed::Reject,
        })
        .await?;
    reply
        .value
        .organization
        .map(|o| o.id)
        .filter(|id| !id.is_empty() && id.len() <= 64)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Upstream,
                "Genesys answered tokens/me without an organization id, which names the job's lease: pass the lease a key of its own (redisLease(client, { key })).",
            )
        })
}
