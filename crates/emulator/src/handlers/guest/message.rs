//! `onMessage`: Presence `Clear` (the guest clears and ends the
//! conversation), `Text` (a customer message), other events (answered, no
//! effect).

use super::session::{end_conversation, expiry, read_only, usable};
use super::Req;
use crate::app::State as AppState;
use crate::genesys::guest::{frames, GuestOut};
use crate::ground::ids::{rand_uuid, HOME_DIVISION_ID};
use crate::model::{Conversation, Media, Participant};
use serde_json::{json, Value};

/// What the admin API shows of a message: `Text`, `Presence Clear`, ... (never its text).
pub(super) fn detail(body: &Value) -> Option<String> {
    let m = body.get("message")?;
    let kind = m.get("type").and_then(Value::as_str)?;
    let presence = m
        .get("events")
        .and_then(|e| e.get(0))
        .and_then(|e| e.get("presence"))
        .and_then(|p| p.get("type"))
        .and_then(Value::as_str);
    Some(match presence {
        Some(p) => format!("Presence {}", p.chars().take(40).collect::<String>()),
        None => kind.chars().take(40).collect(),
    })
}

fn is_clear(body: &Value) -> bool {
    detail(body).as_deref() == Some("Presence Clear")
}

pub(super) fn on_message(st: &mut AppState, req: &Req) {
    // A socket that has not configured this session (UNCONFIRMED: 4007).
    let bound = st.guest.conn(req.conn).and_then(|c| c.token.as_deref()) == Some(req.token);
    if !bound {
        return req.fail(st, 4007, frames::NOT_FOUND);
    }
    if !usable(st, req) {
        return;
    }
    let kind = req
        .body
        .get("message")
        .and_then(|m| m.get("type"))
        .and_then(Value::as_str);
    match kind {
        _ if is_clear(req.body) => clear(st, req),
        Some("Text") => text(st, req),
        Some("Event") => {
            let mut body = req.body["message"].clone();
            body["id"] = json!(rand_uuid(&mut st.rng));
            req.answer(st, frames::structured(body, None, req.tracing));
        }
        _ => req.fail(st, 400, frames::FAILED),
    }
}

/// Presence `Clear` (DOCUMENTED, transport SDK PR #194 and its design
/// doc): 403 when the deployment disables it; else a 200 echo, then
/// `SessionClearedEvent` and `ConnectionClosedEvent` to every connection of
/// the session (and a close 1000 with config `guestServerCloses`,
/// UNCONFIRMED), the conversation ended (customer `client`, others `peer`:
/// UNCONFIRMED) and the session forgotten: the token's next configure is
/// a new session. Allowed when read-only (DOCUMENTED).
fn clear(st: &mut AppState, req: &Req) {
    let Some(s) = st.store.guest_sessions.get(req.token) else {
        return;
    };
    let conversation = s.conversation_id.clone();
    let Some(d) = st.store.deployments.get(&s.deployment_id) else {
        return;
    };
    if !d.active().conversation_clear {
        let body = d.clear_forbidden_body.as_deref().map_or_else(
            || frames::CLEAR_DISABLED.to_string(),
            |b| b.replace("{token}", req.token),
        );
        return req.fail(st, 403, &body);
    }
    let echo_id = rand_uuid(&mut st.rng);
    req.answer(st, frames::clear_echo(&echo_id, req.tracing));
    for conn in st.guest.of_session(req.token) {
        for class in ["SessionClearedEvent", "ConnectionClosedEvent"] {
            st.guest
                .send(conn, GuestOut::Text(frames::event(class, json!({}))));
        }
        if st.config.guest_server_closes {
            st.guest
                .send(conn, GuestOut::Close(1000, "session cleared"));
        }
        st.guest.unbind(conn);
    }
    if let Some(c) = conversation {
        end_conversation(st, &c, req.now, ("client", "peer"));
    }
    st.store.guest_sessions.remove(req.token);
}

/// `Text`: 409 when read-only (DOCUMENTED); else a customer message in the
/// session's conversation, which resets a queue's inactivity timer. With
/// no open conversation, the message starts one (a customer in a bot flow,
/// on no queue, until the admin API transfers it).
fn text(st: &mut AppState, req: &Req) {
    if read_only(st, req.token) {
        return req.fail(st, 409, frames::READ_ONLY);
    }
    let id = open_conversation(st, req);
    let message_id = rand_uuid(&mut st.rng);
    if let Some(c) = st.store.conversation_mut(&id) {
        let _ = c.post_message("customer", req.now, message_id.clone());
    }
    if let Some(s) = st.store.guest_sessions.get_mut(req.token) {
        s.last_activity = req.now;
    }
    st.publish(&id, req.now);
    let text = req.body["message"]
        .get("text")
        .cloned()
        .unwrap_or(json!(""));
    let exp = expiry(st, req.token);
    let body = json!({"id": message_id, "type": "Text", "text": text});
    req.answer(st, frames::structured(body, exp.as_ref(), req.tracing));
}

/// The session's open conversation, started if there is none.
fn open_conversation(st: &mut AppState, req: &Req) -> String {
    let current = st
        .store
        .guest_sessions
        .get(req.token)
        .and_then(|s| s.conversation_id.clone())
        .filter(|c| st.store.conversation(c).is_some_and(|c| !c.is_ended()));
    if let Some(c) = current {
        return c;
    }
    let (id, pid, comm) = (
        rand_uuid(&mut st.rng),
        rand_uuid(&mut st.rng),
        rand_uuid(&mut st.rng),
    );
    let mut customer = Participant::new(pid, "customer", "connected", req.now, comm);
    customer.name = Some("Guest".into());
    st.store.insert_conversation(Conversation {
        id: id.clone(),
        media: Media::WebMessaging,
        started_at: req.now,
        inactivity_timeout: None,
        ended_at: None,
        stuck: false,
        participants: vec![customer],
        division_ids: vec![HOME_DIVISION_ID.into()],
    });
    if let Some(s) = st.store.guest_sessions.get_mut(req.token) {
        s.conversation_id = Some(id.clone());
    }
    id
}
