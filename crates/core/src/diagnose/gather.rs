//! The requests of a diagnosis, and nothing else: each answer is kept as
//! [`Evidence`] for the pure verdict and advice.

use super::evidence::{ConversationRead, Evidence, Probe, ProbeKind, Refusal};
use super::NIL_UUID;
use crate::error::Error;
use crate::genesys::model::{MessageConversation, TokenInfo};
use crate::genesys::routes;
use crate::http::transport::{Call, Parsed, Request, Transport};
use crate::session::grants::{access, fatal, get, kept, Lookup, LookupKind};
use bytes::Bytes;
use reqwest::Method;
use tokio_util::sync::CancellationToken;

/// Asks the API what it knows about the token, then probes the endpoints a
/// close uses; with a `conversation_id` (already validated), also reads that
/// conversation for its divisions (never writes to it). Errs only when the
/// token is rejected (401) or the caller aborts: every other failure is
/// evidence.
pub async fn gather(
    t: &Transport,
    cancel: &CancellationToken,
    conversation_id: Option<&str>,
    message_types: &[String],
) -> Result<Evidence, Error> {
    let call = &mut t.call(cancel);
    let mut lookups = Vec::new();
    let token = get::<TokenInfo>(t, call, LookupKind::TokenInfo, routes::TOKENS_ME.into()).await?;
    let token = kept(&mut lookups, LookupKind::TokenInfo, token, |_| 0).unwrap_or_default();
    let (granted, holdings) = access(t, call, &mut lookups, &token).await?;
    let read = probe(t, call, ProbeKind::Read).await?;
    let end = probe(t, call, ProbeKind::End).await?;
    let participant = match end {
        Probe::Passed => None,
        _ => Some(probe(t, call, ProbeKind::Participant).await?),
    };
    let conversation = match conversation_id {
        Some(id) => Some(read_conversation(t, call, id).await?),
        None => None,
    };
    let queues = queue_listing(t, call).await?;
    Ok(Evidence {
        token,
        lookups,
        granted,
        holdings,
        read,
        end,
        participant,
        conversation,
        message_types: message_types.to_vec(),
        queues: Some(queues),
        requests: call.stats.requests,
    })
}

/// `GET /api/v2/conversations/messages/{id}`: its divisions, or why not.
async fn read_conversation(
    t: &Transport,
    call: &mut Call<'_>,
    id: &str,
) -> Result<ConversationRead, Error> {
    let req = Request {
        method: Method::GET,
        path: routes::fill(routes::MESSAGE_CONVERSATION, &[id]),
        route: routes::MESSAGE_CONVERSATION,
        body: None,
        action: "reading the conversation to diagnose",
    };
    let answer = t
        .send(&req, call, |status, body| match status {
            200 => match serde_json::from_slice::<MessageConversation>(body) {
                Ok(c) => Parsed::Accept(Some((c.division_list(), participant_types(&c)))),
                Err(_) => Parsed::Unreadable,
            },
            404 => Parsed::Accept(None),
            _ => Parsed::Reject,
        })
        .await;
    let id = id.to_string();
    Ok(match answer {
        Ok(reply) => match reply.value {
            Some((divisions, message_types)) => ConversationRead::Found {
                id,
                divisions,
                message_types,
            },
            None => ConversationRead::NotFound { id },
        },
        Err(e) if fatal(&e) => return Err(e),
        Err(error) => ConversationRead::Failed { id, error },
    })
}

/// Each participant `type` once, in order (a few at most: bounded anyway).
fn participant_types(c: &MessageConversation) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in c
        .participants
        .iter()
        .filter_map(|p| p.message_type.as_deref())
    {
        if out.len() < 8 && !out.iter().any(|o| o == t) {
            out.push(crate::text::bound_token(t));
        }
    }
    out
}

/// `QueueEntityListing`, only its total.
#[derive(serde::Deserialize)]
struct QueueTotal {
    #[serde(default)]
    total: Option<u64>,
}

/// Can watch mode list the queues it subscribes to (`routing:queue:view`)?
async fn queue_listing(t: &Transport, call: &mut Call<'_>) -> Result<Lookup, Error> {
    let path = format!("{}?pageSize=1&pageNumber=1", routes::QUEUES);
    let found = get::<QueueTotal>(t, call, LookupKind::Queues, path)
        .await?
        .map(|q| q.total.unwrap_or(0).min(usize::MAX as u64) as usize);
    Ok(Lookup {
        kind: LookupKind::Queues,
        found,
    })
}

async fn probe(t: &Transport, call: &mut Call<'_>, kind: ProbeKind) -> Result<Probe, Error> {
    let conversation = routes::fill(routes::MESSAGE_CONVERSATION, &[NIL_UUID]);
    let disconnect = Some(Bytes::from_static(routes::DISCONNECT_BODY));
    let (method, path, body) = match kind {
        ProbeKind::Read => (Method::GET, conversation, None),
        ProbeKind::End => (Method::PATCH, conversation, disconnect),
        ProbeKind::Participant => (
            Method::PATCH,
            routes::fill(routes::MESSAGE_PARTICIPANT, &[NIL_UUID, NIL_UUID]),
            disconnect,
        ),
    };
    let req = Request {
        method,
        path,
        route: "probe",
        body,
        action: "probing access with the nil conversation id",
    };
    let answer = t
        .send(&req, call, |status, _| match status {
            404 | 200..=299 => Parsed::Accept(()),
            _ => Parsed::Reject,
        })
        .await;
    match answer {
        Ok(_) => Ok(Probe::Passed),
        Err(e) if fatal(&e) => Err(e),
        Err(e) if e.status == Some(403) => Ok(Probe::Refused(Refusal::from_error(&e))),
        Err(e) => Ok(Probe::Inconclusive(format!("{}: {}", e.code, e.message))),
    }
}
