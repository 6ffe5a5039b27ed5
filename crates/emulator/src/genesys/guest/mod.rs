//! The Web Messaging Guest API's sockets ("Shyrka"): which connections are
//! open on which deployment and session, the frames they are sent, and the
//! "mute" test switch. The sessions themselves are data (`model::deployment`);
//! what each action does is `handlers::guest`.
//!
//! - `frames`: the JSON of every server frame (envelope `{type, class,
//!   code, body, tracingId?}`, the WMJ swagger; bodies from the Messenger
//!   transport SDK's fixtures).
//!
//! Guest tokens are held here only to route frames; they are never
//! rendered, logged or echoed.

pub mod frames;

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use tokio::sync::mpsc::UnboundedSender;

/// Sessions allow 3 open connections (DOCUMENTED, transport SDK PR #127).
pub const MAX_CONNECTIONS: usize = 3;

/// What a guest socket task is told to do.
#[derive(Debug)]
pub enum GuestOut {
    Text(String),
    Close(u16, &'static str),
}

pub struct Conn {
    pub deployment_id: String,
    /// The session this socket configured (`None` before `configureSession`,
    /// and after its session was cleared or closed).
    pub token: Option<String>,
    pub tx: UnboundedSender<GuestOut>,
}

/// One received action, as the admin API shows it (never the token).
struct Record {
    deployment_id: String,
    conn: u64,
    action: String,
    detail: Option<String>,
}

#[derive(Default)]
pub struct Guests {
    /// By connection number: oldest first.
    conns: BTreeMap<u64, Conn>,
    next: u64,
    /// Deployments whose sockets are accepted but never answered.
    pub muted: HashSet<String>,
    log: Vec<Record>,
    opened: BTreeMap<String, u64>,
}

impl Guests {
    pub fn open(&mut self, deployment_id: &str, tx: UnboundedSender<GuestOut>) -> u64 {
        self.next += 1;
        let conn = Conn {
            deployment_id: deployment_id.into(),
            token: None,
            tx,
        };
        self.conns.insert(self.next, conn);
        *self.opened.entry(deployment_id.into()).or_default() += 1;
        self.next
    }

    pub fn close(&mut self, conn: u64) {
        self.conns.remove(&conn);
    }

    pub fn conn(&self, conn: u64) -> Option<&Conn> {
        self.conns.get(&conn)
    }

    /// Binds a socket to a session.
    pub fn bind(&mut self, conn: u64, token: &str) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.token = Some(token.into());
        }
    }

    /// The connections bound to a session, oldest first.
    pub fn of_session(&self, token: &str) -> Vec<u64> {
        self.conns
            .iter()
            .filter(|(_, c)| c.token.as_deref() == Some(token))
            .map(|(n, _)| *n)
            .collect()
    }

    /// Unbinds a socket (its session no longer reaches it).
    pub fn unbind(&mut self, conn: u64) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.token = None;
        }
    }

    pub fn send(&self, conn: u64, out: GuestOut) {
        if let Some(c) = self.conns.get(&conn) {
            let _ = c.tx.send(out);
        }
    }

    pub fn record(&mut self, conn: u64, action: &str, detail: Option<String>) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        self.log.push(Record {
            deployment_id: c.deployment_id.clone(),
            conn,
            action: action.chars().take(40).collect(),
            detail,
        });
    }

    /// `GET /__emulator/guest/connections`: counts and the actions
    /// received, for one deployment or all.
    pub fn to_json(&self, deployment: Option<&str>) -> Value {
        let wanted = |d: &str| deployment.is_none_or(|w| w == d);
        let open: Vec<&Conn> = self
            .conns
            .values()
            .filter(|c| wanted(&c.deployment_id))
            .collect();
        let sessions: HashSet<&str> = open.iter().filter_map(|c| c.token.as_deref()).collect();
        let actions: Vec<Value> = self
            .log
            .iter()
            .filter(|r| wanted(&r.deployment_id))
            .map(|r| json!({"deploymentId": r.deployment_id, "connection": r.conn, "action": r.action, "detail": r.detail}))
            .collect();
        let opened: u64 = self
            .opened
            .iter()
            .filter(|(d, _)| wanted(d))
            .map(|(_, n)| n)
            .sum();
        json!({
            "open": open.len(),
            "configured": open.iter().filter(|c| c.token.is_some()).count(),
            "sessions": sessions.len(),
            "opened": opened,
            "actions": actions,
        })
    }
}
