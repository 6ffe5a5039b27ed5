//! A long-lived client: one connection pool, one token, one pacer and one
//! retry budget shared by every operation.

use crate::access::{self, ScopeReport};
use crate::close::{self, CloseOptions, CloseResult};
use crate::config::ConnectionOptions;
use crate::error::Error;
use crate::events::EventSink;
use crate::transport::Transport;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
}

impl Client {
    pub fn new(options: &ConnectionOptions, events: Option<EventSink>) -> Result<Self, Error> {
        let config = options.resolve()?;
        Ok(Client { transport: Arc::new(Transport::new(config, events)?) })
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    pub async fn close_conversation(&self, id: &serde_json::Value, opts: &CloseOptions, cancel: &CancellationToken) -> Result<CloseResult, Error> {
        close::close_conversation(&self.transport, id, opts, cancel).await
    }

    pub async fn check_scopes(&self, cancel: &CancellationToken) -> Result<ScopeReport, Error> {
        access::check_scopes(&self.transport, cancel).await
    }

    /// How many token requests this client has made.
    pub fn token_fetches(&self) -> u64 {
        self.transport.auth().fetch_count()
    }
}
