//! The napi binding: reads JS options into the core's types with serde,
//! runs the core, and writes its results and errors back with serde. No
//! decisions here. The public JS API is `index.js`, which wraps these exports.

#![allow(clippy::result_large_err)] // see the core crate: errors are cold and carry rich fields

mod js_error;
mod js_value;

use futures::FutureExt;
use genesys_cleanup_core::bulk::{BulkOptions, BulkSettings, Counts, ProgressSink};
use genesys_cleanup_core::client::Client;
use genesys_cleanup_core::close::CloseOptions;
use genesys_cleanup_core::config::ConnectionOptions;
use genesys_cleanup_core::discover::FindOptions;
use genesys_cleanup_core::events::{Event, EventSink};
use genesys_cleanup_core::watch::{WatchEvent, WatchOptions, WatchSink};
use genesys_cleanup_core::{CancellationToken, Error as CoreError};
use js_value::{id_input, read_options, Js};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde::Serialize;
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

type Settled<T> = std::result::Result<T, CoreError>;

/// Runs core work on the runtime. On the JS thread, a result becomes a JS
/// value by its serde shape and an error a JS `Error` with its fields; a
/// panic becomes `ERR_INTERNAL`.
fn spawn<'env, T, F>(env: &'env Env, fut: F) -> Result<PromiseRaw<'env, Unknown<'env>>>
where
    T: Serialize + Send + 'static,
    F: Future<Output = Settled<T>> + Send + 'static,
{
    env.spawn_future_with_callback(
        async move {
            Ok(match AssertUnwindSafe(fut).catch_unwind().await {
                Ok(settled) => settled,
                Err(panic) => Err(js_error::from_panic(panic)),
            })
        },
        |env, settled: Settled<T>| match settled {
            Ok(v) => env.to_js_value(&v),
            Err(e) => Err(js_error::build(env, &e)),
        },
    )
}

/// Weak threadsafe function: a client that is only observed must not keep
/// Node alive.
fn event_sink(on_event: Option<EventCallback>) -> Option<EventSink> {
    on_event.map(|tsfn| {
        let tsfn = Arc::new(tsfn);
        Arc::new(move |e: Event| {
            tsfn.call(Js(e), ThreadsafeFunctionCallMode::NonBlocking);
        }) as EventSink
    })
}

type ProgressCallback = ThreadsafeFunction<Js<Counts>, (), Js<Counts>, Status, false>;
type EventCallback = ThreadsafeFunction<Js<Event>, (), Js<Event>, Status, false, true>;

type WatchCallback = ThreadsafeFunction<Js<WatchEvent>, (), Js<WatchEvent>, Status, false, true>;

/// Weak too: only the watch's promise keeps Node alive while it runs.
fn watch_sink(cb: Option<WatchCallback>) -> Option<WatchSink> {
    cb.map(|tsfn| {
        let tsfn = Arc::new(tsfn);
        Arc::new(move |e: WatchEvent| {
            tsfn.call(Js(e), ThreadsafeFunctionCallMode::NonBlocking);
        }) as WatchSink
    })
}

fn progress_sink(cb: Option<ProgressCallback>) -> Option<ProgressSink> {
    cb.map(|tsfn| {
        let tsfn = Arc::new(tsfn);
        Arc::new(move |c: Counts| {
            tsfn.call(Js(c), ThreadsafeFunctionCallMode::NonBlocking);
        }) as ProgressSink
    })
}

fn client_from(
    env: &Env,
    options: &Option<Unknown>,
    on_event: Option<EventCallback>,
) -> Settled<Client> {
    let connection: ConnectionOptions = read_options(env, options)?;
    Client::new(&connection, event_sink(on_event))
}

/// The close behaviour and bulk settings of one options object.
fn bulk_options(
    env: &Env,
    options: &Option<Unknown>,
    on_progress: Option<ProgressCallback>,
) -> Settled<BulkOptions> {
    Ok(BulkOptions {
        settings: read_options::<BulkSettings>(env, options)?,
        close: read_options::<CloseOptions>(env, options)?,
        progress: progress_sink(on_progress),
    })
}

/// One-off close with its own connection (prefer `CleanupClient` in services).
#[napi(ts_return_type = "Promise<CloseResult>")]
pub fn close_conversation<'env>(
    env: &'env Env,
    #[napi(ts_arg_type = "unknown")] conversation_id: Unknown,
    #[napi(ts_arg_type = "CloseOptions")] options: Option<Unknown>,
    cancel: Option<&CancelHandle>,
    #[napi(ts_arg_type = "((event: ClientEvent) => void) | undefined | null")] on_event: Option<
        EventCallback,
    >,
) -> Result<PromiseRaw<'env, Unknown<'env>>> {
    let token = token_of(cancel);
    let conversation_id = id_input(env, &conversation_id);
    let prepared = client_from(env, &options, on_event)
        .and_then(|c| Ok((c, read_options::<CloseOptions>(env, &options)?)));
    spawn(env, async move {
        let (client, opts) = prepared?;
        client
            .close_conversation(&conversation_id, &opts, &token)
            .await
    })
}

/// One-off access diagnosis.
#[napi(ts_return_type = "Promise<ScopeReport>")]
pub fn check_scopes<'env>(
    env: &'env Env,
    #[napi(ts_arg_type = "ConnectionOptions")] options: Option<Unknown>,
    cancel: Option<&CancelHandle>,
    #[napi(ts_arg_type = "((event: ClientEvent) => void) | undefined | null")] on_event: Option<
        EventCallback,
    >,
) -> Result<PromiseRaw<'env, Unknown<'env>>> {
    let token = token_of(cancel);
    let client = client_from(env, &options, on_event);
    spawn(env, async move { client?.check_scopes(&token).await })
}

/// Every Genesys Cloud region the library knows (name, domain, hosts).
#[napi(ts_return_type = "Region[]")]
pub fn regions(env: &Env) -> Result<Unknown<'_>> {
    env.to_js_value(&genesys_cleanup_core::region::list())
}

/// A long-lived client: one connection pool, token, pacer and retry budget.
#[napi]
pub struct CleanupClient {
    inner: Client,
}

#[napi]
impl CleanupClient {
    /// Throws a JS `Error` with the core error's fields for invalid options.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "ClientOptions")] options: Option<Unknown>,
        #[napi(ts_arg_type = "((event: ClientEvent) => void) | undefined | null")] on_event: Option<
            EventCallback,
        >,
    ) -> Result<Self> {
        let inner = client_from(&env, &options, on_event).map_err(|e| js_error::build(&env, &e))?;
        Ok(CleanupClient { inner })
    }

    /// Closes many conversations; every input gets exactly one result, in order.
    #[napi(ts_return_type = "Promise<BulkReport>")]
    pub fn close_conversations<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "unknown[]")] ids: Vec<Unknown>,
        #[napi(ts_arg_type = "BulkOptions")] options: Option<Unknown>,
        #[napi(ts_arg_type = "((progress: BulkProgress) => void) | undefined | null")] on_progress: Option<ProgressCallback>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = bulk_options(env, &options, on_progress);
        let ids: Vec<_> = ids.iter().map(|v| id_input(env, v)).collect();
        spawn(
            env,
            async move { client.close_many(ids, &opts?, &token).await },
        )
    }

    /// Open conversations idle for at least `idleForMs`, each confirmed by a re-read.
    #[napi(ts_return_type = "Promise<IdleConversation[]>")]
    pub fn find_idle_conversations<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "FindOptions")] options: Option<Unknown>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = read_options::<FindOptions>(env, &options);
        spawn(env, async move {
            Ok(client.find_idle(&opts?, &token).await?.conversations)
        })
    }

    /// Finds idle conversations and closes them (or, with `dryRun`, reports what it would close).
    #[napi(ts_return_type = "Promise<SweepReport>")]
    pub fn sweep<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SweepOptions")] options: Option<Unknown>,
        #[napi(ts_arg_type = "((progress: BulkProgress) => void) | undefined | null")] on_progress: Option<ProgressCallback>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let prepared = read_options::<FindOptions>(env, &options)
            .and_then(|find| Ok((find, bulk_options(env, &options, on_progress)?)));
        spawn(env, async move {
            let (find, bulk) = prepared?;
            client.sweep(&find, bulk, &token).await
        })
    }

    #[napi(ts_return_type = "Promise<CloseResult>")]
    pub fn close_conversation<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "unknown")] conversation_id: Unknown,
        #[napi(ts_arg_type = "CloseBehaviour")] options: Option<Unknown>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let conversation_id = id_input(env, &conversation_id);
        let opts = read_options::<CloseOptions>(env, &options);
        spawn(env, async move {
            client
                .close_conversation(&conversation_id, &opts?, &token)
                .await
        })
    }

    #[napi(ts_return_type = "Promise<ScopeReport>")]
    pub fn check_scopes<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        spawn(env, async move { client.check_scopes(&token).await })
    }

    /// Watches queue topics and ends idle conversations until cancelled.
    #[napi(ts_return_type = "Promise<WatchReport>")]
    pub fn watch<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "WatchOptions")] options: Option<Unknown>,
        #[napi(ts_arg_type = "((event: WatchEvent) => void) | undefined | null")] on_event: Option<
            WatchCallback,
        >,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = read_options::<WatchOptions>(env, &options);
        let sink = watch_sink(on_event);
        spawn(env, async move { client.watch(opts?, sink, &token).await })
    }

    /// Token requests made so far (tests and diagnostics).
    #[napi]
    pub fn token_fetches(&self) -> f64 {
        self.inner.token_fetches() as f64
    }
}
