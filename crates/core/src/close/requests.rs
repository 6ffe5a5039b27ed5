//! The requests a close sends, each built from validated ids: the state
//! read, the two PATCHes and the teardown. The decisions are elsewhere.
//!
//! A write is sent one of two ways (`Send`): plainly (the transport waits
//! for the budget and retries as it must), or as the write a read decided
//! (`transport::decided`: at once, or `Stale` so that the caller reads
//! again).

use crate::error::Error;
use crate::genesys::ids;
use crate::genesys::model::MessageConversation;
use crate::genesys::patch_answer::ConversationSummary;
use crate::genesys::routes::{self, DISCONNECT_BODY};
use crate::http::transport::{
    Call, Decided, Parsed, Reply, Request, Transport, WriteAttempts, WriteSlot,
};
use bytes::Bytes;
use reqwest::Method;
use std::time::SystemTime;

pub(super) enum Read {
    Found(MessageConversation),
    NotFound,
}

/// How a write goes out.
pub(super) enum Send<'s, 'w> {
    /// The transport waits and retries as needed.
    Plain,
    /// Decided by a read: at once on `slot`, or `Stale`.
    Decided {
        slot: WriteSlot<'s>,
        tries: &'w mut WriteAttempts,
    },
}

/// A write's answer, or `None`: stale, read again.
type Written<T> = Result<Option<Reply<T>>, Error>;

async fn write<T>(
    t: &Transport,
    req: &Request<'_>,
    call: &mut Call<'_>,
    how: Send<'_, '_>,
    parse: impl Fn(u16, &[u8]) -> Parsed<T> + Sync,
) -> Written<T> {
    match how {
        Send::Plain => t.send(req, call, parse).await.map(Some),
        Send::Decided { slot, tries } => {
            Ok(match t.send_decided(req, call, slot, tries, parse).await? {
                Decided::Done(reply) => Some(reply),
                Decided::Stale => None,
            })
        }
    }
}

fn read_request<'a>(id: &str, action: &'a str) -> Request<'a> {
    Request {
        method: Method::GET,
        path: routes::fill(routes::MESSAGE_CONVERSATION, &[id]),
        route: routes::MESSAGE_CONVERSATION,
        body: None,
        action,
    }
}

fn parse_read(status: u16, body: &[u8]) -> Parsed<Read> {
    match status {
        200 => match serde_json::from_slice::<MessageConversation>(body) {
            Ok(c) => Parsed::Accept(Read::Found(c)),
            Err(_) => Parsed::Unreadable,
        },
        404 => Parsed::Accept(Read::NotFound),
        _ => Parsed::Reject,
    }
}

/// Participant ids from the server go into paths: validated first.
fn checked(read: Read) -> Result<Read, Error> {
    if let Read::Found(c) = &read {
        for p in &c.participants {
            ids::from_response("participant", &p.id)?;
        }
    }
    Ok(read)
}

/// The state read (verification, re-reads after a conflict).
pub(super) async fn read(t: &Transport, id: &str, call: &mut Call<'_>) -> Result<Read, Error> {
    let action = format!("reading message conversation {id}");
    let reply = t.send(&read_request(id, &action), call, parse_read).await?;
    checked(reply.value)
}

/// The state read a write will be decided on: it reserves that write's
/// rate slot with its own, so the write can follow at once.
pub(super) async fn read_deciding<'t>(
    t: &'t Transport,
    id: &str,
    call: &mut Call<'_>,
) -> Result<(Read, WriteSlot<'t>), Error> {
    let action = format!("reading message conversation {id}");
    let (reply, slot) = t
        .send_deciding(&read_request(id, &action), call, parse_read)
        .await?;
    Ok((checked(reply.value)?, slot))
}

pub(super) enum PatchAnswer {
    Done(Option<(ConversationSummary, Option<SystemTime>)>),
    NotFound,
}

/// `PATCH /api/v2/conversations/messages/{id}` `{"state":"disconnected"}`.
pub(super) async fn patch_conversation(
    t: &Transport,
    id: &str,
    call: &mut Call<'_>,
    how: Send<'_, '_>,
) -> Written<PatchAnswer> {
    let action = format!("ending message conversation {id}");
    let req = Request {
        method: Method::PATCH,
        path: routes::fill(routes::MESSAGE_CONVERSATION, &[id]),
        route: routes::MESSAGE_CONVERSATION,
        body: Some(Bytes::from_static(DISCONNECT_BODY)),
        action: &action,
    };
    let reply = write(t, &req, call, how, |status, body| match status {
        200..=299 => Parsed::Accept(serde_json::from_slice::<ConversationSummary>(body).ok()),
        404 => Parsed::Accept(None),
        _ => Parsed::Reject,
    })
    .await?;
    Ok(reply.map(|reply| {
        let (status, date) = (reply.status, reply.date);
        reply.map(|summary| match (status, summary) {
            (404, _) => PatchAnswer::NotFound,
            (_, summary) => PatchAnswer::Done(summary.map(|s| (s, date))),
        })
    }))
}

/// Disconnects one participant; with a wrap-up code, applies it in the same
/// call. Its value is false when the conversation or participant is gone (404).
pub(super) async fn patch_participant(
    t: &Transport,
    id: &str,
    participant_id: &str,
    wrapup_code: Option<&str>,
    call: &mut Call<'_>,
    how: Send<'_, '_>,
) -> Written<bool> {
    let pid = ids::from_response("participant", participant_id)?;
    let body = match wrapup_code {
        Some(code) => {
            serde_json::json!({"state": "disconnected", "wrapup": {"code": code}}).to_string()
        }
        None => String::from_utf8_lossy(DISCONNECT_BODY).into_owned(),
    };
    let action = format!("disconnecting participant {pid} of conversation {id}");
    let req = Request {
        method: Method::PATCH,
        path: routes::fill(routes::MESSAGE_PARTICIPANT, &[id, pid]),
        route: routes::MESSAGE_PARTICIPANT,
        body: Some(Bytes::from(body)),
        action: &action,
    };
    let reply = write(t, &req, call, how, |status, _| match status {
        200..=299 | 404 => Parsed::Accept(()),
        _ => Parsed::Reject,
    })
    .await?;
    Ok(reply.map(|r| {
        let found = r.status != 404;
        r.map(|()| found)
    }))
}

/// `POST /api/v2/conversations/{id}/disconnect`: the full teardown.
pub(super) async fn teardown(t: &Transport, id: &str, call: &mut Call<'_>) -> Result<(), Error> {
    let action = format!("tearing down stuck conversation {id}");
    let req = Request {
        method: Method::POST,
        path: routes::fill(routes::TEARDOWN, &[id]),
        route: routes::TEARDOWN,
        body: None,
        action: &action,
    };
    t.send(&req, call, |status, _| match status {
        200..=299 | 404 => Parsed::Accept(()),
        _ => Parsed::Reject,
    })
    .await
    .map(|_| ())
}
