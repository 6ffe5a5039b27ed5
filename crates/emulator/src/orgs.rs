//! Isolated organisations on one emulator process (`/__emulator/orgs`).
//!
//! Each org is a whole emulator of its own — data, roles, clients, tokens,
//! scripts, rate-limit windows, config and request log — served on its own
//! loopback port. Test files that share one emulator (Jest's `globalSetup`
//! starting it once, workers in parallel) each take an org and address it by
//! its URL, so one file's scripted 429 or seeded data is never another's.
//! A port per org, rather than a tenant key on every request, keeps every
//! handler unaware of orgs and cannot leak state between them by mistake.

use crate::app::{App, Options};
use crate::server::{self, Running};
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

/// Live orgs at most: each holds a listener and its data; a test suite that
/// forgets to delete its orgs hits this, not the machine's limits.
pub const MAX_ORGS: usize = 256;

#[derive(Default)]
pub struct Orgs {
    next: AtomicU64,
    live: Mutex<HashMap<String, Running>>,
}

/// `POST /__emulator/orgs` body: how the new org starts.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgSpec {
    /// Open conversations seeded at creation (and after its reset). Default 0.
    #[serde(default)]
    pub seed_conversations: usize,
    /// Settings merged over the defaults, as `PATCH /__emulator/config`.
    #[serde(default)]
    pub config: Option<Value>,
}

impl Orgs {
    /// Starts an org like `parent` (its start-up options), seeded as asked.
    pub async fn create(&self, parent: &Options, spec: OrgSpec) -> Result<Value, String> {
        if self.live.lock().len() >= MAX_ORGS {
            return Err(format!(
                "{MAX_ORGS} orgs are live: delete some (DELETE /__emulator/orgs/{{id}}) first"
            ));
        }
        let options = Options {
            seed_conversations: spec.seed_conversations,
            ..parent.clone()
        };
        options.validate()?;
        let app = App::new(options);
        if let Some(patch) = &spec.config {
            let mut st = app.lock();
            st.config = st.config.merged(patch)?;
            let limit = st.config.log_limit;
            st.log.set_limit(limit);
            if let Some(seed) = st.config.rng_seed {
                st.rng = StdRng::seed_from_u64(seed);
            }
        }
        // Loopback only, whatever the parent listens on: an org is for tests.
        let running = server::spawn(app, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| format!("could not bind a loopback port for the org: {e}"))?;
        let id = format!("org-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        let url = running.base_url();
        self.live.lock().insert(id.clone(), running);
        Ok(json!({ "id": id, "url": url }))
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
