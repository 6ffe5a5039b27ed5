//! `endGuestConversation`: the core's `guest` (no OAuth client, no
//! connection pool). One `GuestCall` per call holds its event buffer, which
//! the JS wrapper drains before the call settles (as `CleanupClient` does).
//! Options read with serde, the result written with serde; no decisions here.

use crate::js_value::read_options;
use crate::js_value::Js;
use crate::{delivery, internal, spawn, token_of, CancelHandle, EventListener};
use genesys_cleanup_core::guest::{self, EndGuestOptions};
use genesys_cleanup_core::observe::event_buffer::EventBuffer;
use genesys_cleanup_core::observe::events::{Event, EventSink};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// One `endGuestConversation` call and its events.
#[napi]
pub struct GuestCall {
    sink: Option<EventSink>,
    events: Option<Arc<EventBuffer>>,
}

#[napi]
impl GuestCall {
    #[napi(constructor)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "((events: ClientEvent[]) => void) | undefined | null")]
        on_event: Option<EventListener>,
    ) -> Result<Self> {
        let (sink, events) = match on_event {
            Some(listener) => {
                let (sink, buffer) = delivery::event_sink(listener)
                    .map_err(|e| crate::js_error::build(&env, &internal(e)))?;
                (Some(sink), Some(buffer))
            }
            None => (None, None),
        };
        Ok(GuestCall { sink, events })
    }

    /// Ends the guest's conversation over the Guest API socket.
    #[napi(ts_return_type = "Promise<GuestEndResult>")]
    pub fn end<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "EndGuestOptions")] options: Option<Unknown>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let token = token_of(cancel);
        let sink = self.sink.clone();
        let opts = read_options::<EndGuestOptions>(env, &options);
        spawn(env, async move {
            guest::end_guest_conversation(&opts?, &sink, &token).await
        })
    }

    /// The events not delivered yet, oldest first.
    #[napi(ts_return_type = "ClientEvent[]")]
    pub fn take_events(&self) -> Js<Vec<Event>> {
        Js(self.events.as_ref().map(|b| b.take()).unwrap_or_default())
    }
}
