//! The napi binding: converts JS values to core types and back, and nothing
//! else. The public JS API is `index.js`, which wraps these exports.

#![allow(clippy::result_large_err)] // see the core crate: errors are cold and carry rich fields

mod convert;
mod js_error;

use convert::{
    BulkProgress, BulkReport, BulkSettings, ClientEvent, CloseBehaviour, CloseResult,
    ConnectionOptions, FindSettings, IdleConversation, ScopeReport, SweepReport,
};
use futures::FutureExt;
use genesys_cleanup_core::bulk::ProgressSink;
use genesys_cleanup_core::client::Client;
use genesys_cleanup_core::events::EventSink;
use genesys_cleanup_core::CancellationToken;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// A cancellation handle the JS wrapper ties to an `AbortSignal`.
#[napi]
pub struct CancelHandle {
    token: CancellationToken,
}

#[napi]
impl CancelHandle {
    #[napi(constructor)]
    pub fn new() -> Self {
        CancelHandle {
            token: CancellationToken::new(),
        }
    }

    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

impl Default for CancelHandle {
    fn default() -> Self {
        Self::new()
    }
}

fn token_of(cancel: Option<&CancelHandle>) -> CancellationToken {
    cancel.map(|c| c.token.clone()).unwrap_or_default()
}

/// Runs core work on the runtime, mapping core errors and panics to JS errors.
fn spawn<T, F>(env: &Env, fut: F) -> Result<PromiseRaw<'_, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = std::result::Result<T, genesys_cleanup_core::Error>> + Send + 'static,
{
    env.spawn_future(async move {
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(js_error::to_napi(e)),
            Err(panic) => Err(js_error::from_panic(panic)),
        }
    })
}

fn client_from(
    options: &ConnectionOptions,
    on_event: Option<EventCallback>,
) -> std::result::Result<Client, genesys_cleanup_core::Error> {
    Client::new(&options.to_core(), event_sink(on_event))
}

/// Weak threadsafe function: a client that is only observed must not keep
/// Node alive.
fn event_sink(on_event: Option<EventCallback>) -> Option<EventSink> {
    on_event.map(|tsfn| {
        let tsfn = Arc::new(tsfn);
        Arc::new(move |e: genesys_cleanup_core::events::Event| {
            tsfn.call(
                ClientEvent::from(e),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }) as EventSink
    })
}

type ProgressCallback = ThreadsafeFunction<BulkProgress, (), BulkProgress, Status, false>;
type EventCallback = ThreadsafeFunction<ClientEvent, (), ClientEvent, Status, false, true>;

fn progress_sink(cb: Option<ProgressCallback>) -> Option<ProgressSink> {
    cb.map(|tsfn| {
        let tsfn = Arc::new(tsfn);
        Arc::new(move |c: genesys_cleanup_core::bulk::Counts| {
            tsfn.call(
                BulkProgress::from(c),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }) as ProgressSink
    })
}

/// One-off close with its own connection (prefer `CleanupClient` in services).
#[napi(ts_return_type = "Promise<CloseResult>")]
pub fn close_conversation<'env>(
    env: &'env Env,
    #[napi(ts_arg_type = "string")] conversation_id: serde_json::Value,
    connection: ConnectionOptions,
    behaviour: Option<CloseBehaviour>,
    cancel: Option<&CancelHandle>,
    #[napi(ts_arg_type = "((event: ClientEvent) => void) | undefined | null")] on_event: Option<
        EventCallback,
    >,
) -> Result<PromiseRaw<'env, CloseResult>> {
    let token = token_of(cancel);
    let prepared = client_from(&connection, on_event)
        .and_then(|c| Ok((c, behaviour.unwrap_or_default().to_core()?)));
    spawn(env, async move {
        let (client, opts) = prepared?;
        client
            .close_conversation(&conversation_id, &opts, &token)
            .await
            .map(CloseResult::from)
    })
}

/// One-off access diagnosis.
#[napi(ts_return_type = "Promise<ScopeReport>")]
pub fn check_scopes<'env>(
    env: &'env Env,
    connection: ConnectionOptions,
    cancel: Option<&CancelHandle>,
    #[napi(ts_arg_type = "((event: ClientEvent) => void) | undefined | null")] on_event: Option<
        EventCallback,
    >,
) -> Result<PromiseRaw<'env, ScopeReport>> {
    let token = token_of(cancel);
    let client = client_from(&connection, on_event);
    spawn(env, async move {
        client?.check_scopes(&token).await.map(ScopeReport::from)
    })
}

/// A long-lived client: one connection pool, token, pacer and retry budget.
#[napi]
pub struct CleanupClient {
    inner: Client,
}

#[napi]
impl CleanupClient {
    /// Throws (synchronously) a JSON-marked error for invalid options: the
    /// wrapper turns it into a `CleanupError`.
    #[napi(constructor)]
    pub fn new(
        connection: ConnectionOptions,
        #[napi(ts_arg_type = "((event: ClientEvent) => void) | undefined | null")] on_event: Option<
            EventCallback,
        >,
    ) -> Result<Self> {
        let inner = client_from(&connection, on_event).map_err(js_error::to_napi)?;
        Ok(CleanupClient { inner })
    }

    /// Closes many conversations; every input gets exactly one result, in order.
    #[napi(ts_return_type = "Promise<BulkReport>")]
    pub fn close_conversations<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "unknown[]")] ids: Vec<serde_json::Value>,
        behaviour: Option<CloseBehaviour>,
        settings: Option<BulkSettings>,
        #[napi(ts_arg_type = "((progress: BulkProgress) => void) | undefined | null")] on_progress: Option<ProgressCallback>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, BulkReport>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = behaviour.unwrap_or_default().to_core().and_then(|close| {
            settings
                .unwrap_or_default()
                .to_core(close, progress_sink(on_progress))
        });
        spawn(env, async move {
            client
                .close_many(ids, &opts?, &token)
                .await
                .map(BulkReport::from)
        })
    }

    /// Open conversations idle for at least `idleForMs`, from the analytics query.
    #[napi(ts_return_type = "Promise<IdleConversation[]>")]
    pub fn find_idle_conversations<'env>(
        &self,
        env: &'env Env,
        settings: FindSettings,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Vec<IdleConversation>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = settings.to_core();
        spawn(env, async move {
            let found = client.find_idle(&opts?, &token).await?;
            Ok(found
                .conversations
                .into_iter()
                .map(IdleConversation::from)
                .collect())
        })
    }

    /// Finds idle conversations and closes them (or, with `dryRun`, reports what it would close).
    #[napi(ts_return_type = "Promise<SweepReport>")]
    pub fn sweep<'env>(
        &self,
        env: &'env Env,
        find: FindSettings,
        behaviour: Option<CloseBehaviour>,
        settings: Option<BulkSettings>,
        #[napi(ts_arg_type = "((progress: BulkProgress) => void) | undefined | null")] on_progress: Option<ProgressCallback>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, SweepReport>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let dry_run = find.dry_run.unwrap_or(false);
        let prepared = find.to_core().and_then(|f| {
            let close = behaviour.unwrap_or_default().to_core()?;
            Ok((
                f,
                settings
                    .unwrap_or_default()
                    .to_core(close, progress_sink(on_progress))?,
            ))
        });
        spawn(env, async move {
            let (find, bulk) = prepared?;
            client
                .sweep(&find, bulk, dry_run, &token)
                .await
                .map(SweepReport::from)
        })
    }

    #[napi(ts_return_type = "Promise<CloseResult>")]
    pub fn close_conversation<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "string")] conversation_id: serde_json::Value,
        behaviour: Option<CloseBehaviour>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, CloseResult>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = behaviour.unwrap_or_default().to_core();
        spawn(env, async move {
            client
                .close_conversation(&conversation_id, &opts?, &token)
                .await
                .map(CloseResult::from)
        })
    }

    #[napi(ts_return_type = "Promise<ScopeReport>")]
    pub fn check_scopes<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, ScopeReport>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        spawn(env, async move {
            client.check_scopes(&token).await.map(ScopeReport::from)
        })
    }

    /// Token requests made so far (tests and diagnostics).
    #[napi]
    pub fn token_fetches(&self) -> f64 {
        self.inner.token_fetches() as f64
    }
}
