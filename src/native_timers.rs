//! `CleanupClient.queueTimers` and `setQueueInactivity`: Genesys's own
//! timers (the core's `native`). Options read with serde, results written
//! with serde; no decisions here.

use crate::js_value::read_options;
use crate::{spawn, token_of, CancelHandle, CleanupClient};
use genesys_cleanup_core::native::set_inactivity::SetQueueInactivityOptions;
use genesys_cleanup_core::native::TimersOptions;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi]
impl CleanupClient {
    /// The queues' web messaging inactivity timers, a deployment's settings
    /// (with `deploymentId`) and the advice.
    #[napi(ts_return_type = "Promise<TimersReport>")]
    pub fn queue_timers<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "TimersOptions")] options: Option<Unknown>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = read_options::<TimersOptions>(env, &options);
        spawn(
            env,
            async move { client.queue_timers(&opts?, &token).await },
        )
    }

    /// Switches a queue's inactivity timer on or off: dry unless `apply`.
    #[napi(ts_return_type = "Promise<QueueInactivityChange>")]
    pub fn set_queue_inactivity<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SetQueueInactivityOptions")] options: Option<Unknown>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.inner.clone();
        let token = token_of(cancel);
        let opts = read_options::<SetQueueInactivityOptions>(env, &options);
        spawn(env, async move {
            client.set_queue_inactivity(&opts?, &token).await
        })
    }
}
