//! Session actions: `configureSession`, `closeSession`, `echo`; the checks
//! a known session passes; the 3-connection limit.

use super::Req;
use crate::app::State as AppState;
use crate::control::config::LimitCloses;
use crate::genesys::guest::frames::{self, Expiry};
use crate::genesys::guest::{GuestOut, MAX_CONNECTIONS};
use crate::model::deployment::GuestSession;
use serde_json::{json, Value};

/// `durationSeconds`/`expirationDate` of a session whose deployment sets a
/// duration: `sessionDurationSeconds` after its last message.
pub(super) fn expiry(st: &AppState, token: &str) -> Option<Expiry> {
    let s = st.store.guest_sessions.get(token)?;
    let d = st.store.deployments.get(&s.deployment_id)?;
    let duration_s = d.active().session_duration_seconds?;
    Some(Expiry {
        duration_s,
        expires_at_s: s.last_activity / 1000 + duration_s as i64,
    })
}

/// A known session that is usable, else its error answered: 4007 when the
/// server forgot it, 4006 once expired (config `guestExpiryEndsConversation`
/// also ends its conversation, `disconnectType: "session.expired"`).
pub(super) fn usable(st: &mut AppState, req: &Req) -> bool {
    let Some(s) = st.store.guest_sessions.get(req.token) else {
        req.fail(st, 4007, frames::NOT_FOUND);
        return false;
    };
    if s.forgotten {
        req.fail(st, 4007, frames::NOT_FOUND);
        return false;
    }
    let duration = st
        .store
        .deployments
        .get(&s.deployment_id)
        .and_then(|d| d.active().session_duration_seconds);
    if !s.is_expired(duration, req.now) {
        return true;
    }
    if st.config.guest_expiry_ends_conversation {
        if let Some(c) = s.conversation_id.clone() {
            end_conversation(st, &c, req.now, ("session.expired", "session.expired"));
        }
    }
    req.fail(st, 4006, frames::EXPIRED);
    false
}

/// Ends the open participants of a guest's conversation: the customer's
/// with `kinds.0`, the others' with `kinds.1`; then publishes it.
pub(super) fn end_conversation(st: &mut AppState, id: &str, now: i64, kinds: (&str, &str)) {
    let Some(c) = st.store.conversation_mut(id) else {
        return;
    };
    if c.is_ended() {
        return;
    }
    for p in &mut c.participants {
        let kind = if p.purpose == "customer" {
            kinds.0
        } else {
            kinds.1
        };
        p.disconnect(now, kind);
    }
    c.refresh_end();
    st.publish(id, now);
}

/// Read-only: forced, or its conversation ended under `conversationDisconnect
/// {enabled:true, type:"ReadOnly"}` (DOCUMENTED).
pub(super) fn read_only(st: &AppState, token: &str) -> bool {
    let Some(s) = st.store.guest_sessions.get(token) else {
        return false;
    };
    let disconnect_read_only = st
        .store
        .deployments
        .get(&s.deployment_id)
        .is_some_and(|d| d.active().conversation_disconnect.read_only());
    let ended = s
        .conversation_id
        .as_ref()
        .and_then(|c| st.store.conversation(c))
        .is_some_and(|c| c.is_ended());
    s.read_only || (disconnect_read_only && ended)
}

/// `configureSession`: an unknown token starts a session (`newSession:
/// true`, DOCUMENTED) and no conversation; a known one resumes it, with
/// `readOnly` as it stands; `startNew:true` on a read-only one starts over.
pub(super) fn configure(st: &mut AppState, req: &Req) {
    let Some(deployment) = st.guest.conn(req.conn).map(|c| c.deployment_id.clone()) else {
        return;
    };
    let start_new = req.body.get("startNew").and_then(Value::as_bool) == Some(true);
    let known = st.store.guest_sessions.contains_key(req.token);
    let restart = known && start_new && read_only(st, req.token);
    if known && !restart && !usable(st, req) {
        return;
    }
    if !known || restart {
        st.store
            .guest_sessions
            .insert(req.token.into(), GuestSession::new(deployment, req.now));
    }
    st.guest.bind(req.conn, req.token);
    if over_limit(st, req) {
        return;
    }
    let ro = read_only(st, req.token);
    let exp = expiry(st, req.token);
    req.answer(
        st,
        frames::session(true, !known || restart, ro, exp.as_ref(), req.tracing),
    );
}

/// More than 3 connections on the session: one gets `ConnectionClosedEvent`
/// and is closed (DOCUMENTED); which one is config `guestLimitCloses`
/// (UNCONFIRMED). True when it was this one (it gets no session answer).
fn over_limit(st: &mut AppState, req: &Req) -> bool {
    let conns = st.guest.of_session(req.token);
    if conns.len() <= MAX_CONNECTIONS {
        return false;
    }
    let victim = match st.config.guest_limit_closes {
        LimitCloses::Oldest => conns[0],
        LimitCloses::Newest => req.conn,
    };
    st.guest.send(
        victim,
        GuestOut::Text(frames::event("ConnectionClosedEvent", json!({}))),
    );
    st.guest
        .send(victim, GuestOut::Close(1000, "too many connections"));
    st.guest.unbind(victim);
    victim == req.conn
}

/// `closeSession`: `SessionResponse {connected:false}` to this socket,
/// `ConnectionClosedEvent` to the session's others (DOCUMENTED). The
/// conversation is left as it is (UNCONFIRMED); a session that never had
/// one is forgotten.
pub(super) fn close(st: &mut AppState, req: &Req) {
    if !usable(st, req) {
        return;
    }
    for other in st.guest.of_session(req.token) {
        st.guest.unbind(other);
        if other != req.conn {
            st.guest.send(
                other,
                GuestOut::Text(frames::event("ConnectionClosedEvent", json!({}))),
            );
            if st.config.guest_server_closes {
                st.guest
                    .send(other, GuestOut::Close(1000, "session closed"));
            }
        }
    }
    let ro = read_only(st, req.token);
    if st
        .store
        .guest_sessions
        .get(req.token)
        .is_some_and(|s| s.conversation_id.is_none())
    {
        st.store.guest_sessions.remove(req.token);
    }
    req.answer(st, frames::session(false, false, ro, None, req.tracing));
}

/// `echo`: the message back as a `StructuredMessage`, with the session's
/// expiry in `metadata` when it has a duration.
pub(super) fn echo(st: &mut AppState, req: &Req) {
    let text = req
        .body
        .get("message")
        .and_then(|m| m.get("text"))
        .cloned()
        .unwrap_or(json!(""));
    let exp = expiry(st, req.token);
    let body = json!({"id": "echo_id", "type": "Text", "text": text});
    req.answer(st, frames::structured(body, exp.as_ref(), req.tracing));
}
