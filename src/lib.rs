//! The napi binding: reads JS options into the core's types with serde,
//! runs the core, and writes its results and errors back with serde. No
//! decisions here. The public JS API is `index.js`, which wraps these exports.

#![allow(clippy::result_large_err)] // see the core crate: errors are cold and carry rich fields

mod build_marker;
mod delivery;
mod guest;
mod js_error;
mod js_value;
mod native_timers;
mod results;

use futures::FutureExt;
use genesys_cleanup_core::bulk::{BulkOptions, BulkSettings};
use genesys_cleanup_core::client::Client;
use genesys_cleanup_core::close::CloseOptions;
use genesys_cleanup_core::diagnose::ScopeOptions;
use genesys_cleanup_core::discover::FindOptions;
use genesys_cleanup_core::genesys::ids::IdInput;
use genesys_cleanup_core::http::config::ConnectionOptions;
use genesys_cleanup_core::native::TimersOptions;
use genesys_cleanup_core::observe::event_buffer::EventBuffer;
use genesys_cleanup_core::observe::events::Event;
use genesys_cleanup_core::stats::Counts;
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

/// Conversations per JSON chunk of `findIdleConversations` (about 0.45 MB,
/// parsed in a few milliseconds).
const FOUND_PER_CHUNK: usize = 2_000;

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

fn to_json<T: Serialize + ?Sized>(value: &T) -> Settled<String> {
    serde_json::to_string(value).map_err(|e| {
        CoreError::new(
            genesys_cleanup_core::ErrorCode::Internal,
            format!("genesys-cleanup could not write its report as JSON ({e}). Please report it."),
        )
    })
}

/// A JS event listener as the binding receives it: a batch of events per call.
type EventListener<'f> = Function<'f, Js<Vec<Event>>, ()>;
/// A JS progress callback: the newest counts (or null if already taken).
type ProgressCallback<'f> = Function<'f, Js<Option<Counts>>, ()>;

/// A client and the buffer of its events (when it has a listener).
fn client_from(
    env: &Env,
    options: &Option<Unknown>,
    on_event: Option<EventListener>,
) -> Settled<(Client, Option<Arc<EventBuffer>>)> {
    let connection: ConnectionOptions = read_options(env, options)?;
    let (sink, buffer) = match on_event {
        Some(listener) => {
            let (sink, buffer) = delivery::event_sink(listener).map_err(internal)?;
            (Some(sink), Some(buffer))
        }
        None => (None, None),
    };
    Ok((Client::new(&connection, sink)?, buffer))
}

/// A napi failure while setting up a callback (the JS engine is shutting
/// down or out of memory): a bug report, not the caller's fault.
fn internal(e: napi::Error) -> CoreError {
    CoreError::new(
        genesys_cleanup_core::ErrorCode::Internal,
        format!(
            "genesys-cleanup could not set up a callback ({}).",
            e.reason
        ),
    )
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
        progress: on_progress
            .map(delivery::progress_sink)
            .transpose()
            .map_err(internal)?,
        results: None,
    })
}

/// Every Genesys Cloud region the library knows (name, domain, hosts).
#[napi(ts_return_type = "Region[]")]
pub fn regions(env: &Env) -> Result<Unknown<'_>> {
    env.to_js_value(&genesys_cleanup_core::genesys::region::list())
}

/// Every error code the core produces, in the order of `ErrorCode::ALL`
/// (JS builds `ERROR_CODES` from this: one list, in Rust).
#[napi]
pub fn error_codes() -> Vec<&'static str> {
    genesys_cleanup_core::error::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect()
}

/// A long-lived client: one connection pool, token, pacer and retry budget.
#[napi]
pub struct CleanupClient {
    inner: Client,
    events: Option<Arc<EventBuffer>>,
}

#[napi]
impl CleanupClient {
    /// Throws a JS `Error` with the core error's fields for invalid options.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "ClientOptions")] options: Option<Unknown>,
        #[napi(ts_arg_type = "((events: ClientEvent[]) => void) | undefined | null")]
        on_event: Option<EventListener>,
    ) -> Result<Self> {
        let (inner, events) =
            client_from(&env, &options, on_event).map_err(|e| js_error::build(&env, &e))?;
        Ok(CleanupClient { inner, events })
    }

    /// The events not delivered yet, oldest first (then a `dropped` event if
    /// the buffer overflowed): the JS wrapper delivers them before it
    /// settles a run, so a run's events all arrive before its promise does.
    #[napi(ts_return_type = "ClientEvent[]")]
    pub fn take_events(&self) -> Js<Vec<Event>> {
        Js(self.events.as_ref().map(|b| b.take()).unwrap_or_default())
    }

    /// Closes many conversations; every input gets exactly one result, in
    /// order, through `results`. Resolves with the report as JSON text
    /// (written off the JS thread), its results left out.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn close_conversations<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "unknown[] | string")] ids: Either<String, Vec<Unknown>>,
        #[napi(ts_arg_type = "BulkOptions")] options: Option<Unknown>,
        #[napi(ts_arg_type = "((progress: BulkProgress | null) => void) | undefined | null")]
        on_progress: Option<ProgressCallback>,
        cancel: Option<&CancelHandle>,
        results: &results::ResultStream,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = bulk_options(env, &options, on_progress).map(|mut o| {
            o.results = Some(results.bulk_sink());
            o
        });
        // Strings joined by newlines (index.js does it when every element is a
        // string without one, at least one element): one string crosses and
        // is split on the runtime's thread. Read one napi value at a time,
        // 100 000 ids held the JS thread for over 100 ms.
        let ids = match ids {
            Either::A(joined) => Either::A(joined),
            Either::B(values) => {
                Either::B(values.iter().map(|v| id_input(env, v)).collect::<Vec<_>>())
            }
        };
        spawn(env, async move {
            let ids = match ids {
                Either::A(joined) => joined
                    .split('\n')
                    .map(|s| IdInput::Text(s.to_string()))
                    .collect(),
                Either::B(ids) => ids,
            };
            // The results went to the stream as they were decided.
            to_json(&client.close_many(ids, &opts?, &token).await?)
        })
    }

    /// Open conversations idle for at least `idleForMs`, each confirmed by a
    /// re-read: as JSON arrays of up to 2 000, written off the JS thread
    /// (`index.js` parses one per turn of the event loop; converted in one
    /// go, 100 000 held the event loop for 360 ms).
    #[napi(ts_return_type = "Promise<string[]>")]
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
            let found = client.find_idle(&opts?, &token).await?.conversations;
            found
                .chunks(FOUND_PER_CHUNK)
                .map(to_json)
                .collect::<Settled<Vec<String>>>()
        })
    }

    /// Finds idle conversations and closes them (or, with `dryRun`, reports
    /// what it would close). Resolves with the report as JSON text, its
    /// results and conversations found left out: they went to `results`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn sweep<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SweepOptions")] options: Option<Unknown>,
        #[napi(ts_arg_type = "((progress: BulkProgress | null) => void) | undefined | null")]
        on_progress: Option<ProgressCallback>,
        cancel: Option<&CancelHandle>,
        results: &results::ResultStream,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let prepared = read_options::<FindOptions>(env, &options)
            .and_then(|find| Ok((find, bulk_options(env, &options, on_progress)?)));
        let sink = results.sweep_sink();
        spawn(env, async move {
            let (find, bulk) = prepared?;
            // The results and the conversations found went to the stream.
            to_json(&client.sweep(&find, bulk, sink, &token).await?)
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
        #[napi(ts_arg_type = "ScopeOptions")] options: Option<Unknown>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = read_options::<ScopeOptions>(env, &options);
        let timers = read_options::<TimersOptions>(env, &options);
        spawn(env, async move {
            client.check_scopes(&opts?, &timers?, &token).await
        })
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

    /// The organization id of the token (names a job's lease).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn organization_id<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        spawn(env, async move { client.organization_id(&token).await })
    }

    /// Writes the leased job's fence refused in this term (since it was
    /// armed after being lifted): the job's lease was not known valid then.
    #[napi]
    pub fn fence_refused(&self) -> u32 {
        self.inner.fence_refused()
    }

    /// A leased job's write fence: writes allowed for `valid_for_ms` more
    /// (0: the lease is lost), or no fence (`null`). The wrapper checks the number.
    #[napi]
    pub fn fence_writes(&self, valid_for_ms: Option<f64>) {
        // Not a finite number: the lease cannot be vouched for, so no writes.
        let valid_for = valid_for_ms.map(|ms| {
            let ms = if ms.is_finite() {
                ms.clamp(0.0, 86_400_000.0)
            } else {
                0.0
            };
            std::time::Duration::from_secs_f64(ms / 1000.0)
        });
        self.inner.fence_writes(valid_for);
    }
}
