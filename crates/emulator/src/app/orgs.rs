//! Isolated organisations on one emulator process (`/__emulator/orgs`).
//!
//! Each org is a whole emulator of its own — data, roles, clients, tokens,
//! scripts, rate-limit windows, config and request log — served on its own
//! loopback port. Test files that share one emulator (Jest's `globalSetup`
//! starting it once, workers in parallel) each take an org and address it by
//! its URL, so one file's scripted 429 or seeded data is never another's.
//! A port per org, rather than a tenant key on every request, keeps every
//! handler unaware of orgs and cannot leak state between them by mistake.
//!
//! This is the registry of the live ones; the admin handler starts them.

use crate::net::Background;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live orgs at most: each holds a listener and its data; a test suite that
/// forgets to delete its orgs hits this, not the machine's limits.
pub const MAX_ORGS: usize = 256;

#[derive(Default)]
pub struct Orgs {
    next: AtomicU64,
    live: Mutex<HashMap<String, Background>>,
}

impl Orgs {
    /// Whether another org may start.
    pub fn has_room(&self) -> Result<(), String> {
        if self.live.lock().len() >= MAX_ORGS {
            return Err(format!(
                "{MAX_ORGS} orgs are live: delete some (DELETE /__emulator/orgs/{{id}}) first"
            ));
        }
        Ok(())
    }

    /// Registers a started org under a new id -> `{id, url}`.
    pub fn insert(&self, org: Background) -> Value {
        let id = format!("org-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        let url = org.base_url();
        self.live.lock().insert(id.clone(), org);
        json!({ "id": id, "url": url })
    }

    pub fn list(&self) -> Value {
        let live = self.live.lock();
        let mut orgs: Vec<Value> = live
            .iter()
            .map(|(id, r)| json!({ "id": id, "url": r.base_url() }))
            .collect();
        orgs.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        json!({ "orgs": orgs })
    }

    /// Stops the org's listener (requests in flight get the usual drain).
    pub async fn delete(&self, id: &str) -> bool {
        let running = self.live.lock().remove(id);
        match running {
            Some(r) => {
                r.stop().await;
                true
            }
            None => false,
        }
    }
}
