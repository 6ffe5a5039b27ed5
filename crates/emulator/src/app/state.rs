//! The app state: [`State`], everything behind the one lock; [`App`], the
//! handle every handler gets (the lock, reset, the start-up options, the
//! orgs); [`Options`], the start-up settings.

use super::orgs::Orgs;
use crate::control::config::Config;
use crate::control::faults::{self, Fault};
use crate::control::log::RequestLog;
use crate::control::ratelimit::Windows;
use crate::control::script::{Caller, Respond, Scripts};
use crate::genesys::guest::Guests;
use crate::genesys::notify::Notifications;
use crate::ground::clock;
use crate::ground::ids::rand_uuid;
use crate::model::inactivity::{self, Timers};
use crate::model::Store;
use crate::seed::{self, SeedSpec};
use axum::response::{IntoResponse, Response};
use parking_lot::{Mutex, MutexGuard};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::Arc;

/// Start-up settings (the CLI); `POST /__emulator/reset` returns to these.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed_conversations: usize,
    pub rate_limit: u32,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub token_ttl_sec: u64,
    pub enforce_scopes: bool,
    pub fault_rate: f64,
    pub rng_seed: Option<u64>,
    /// What `tokens/me` answers as the organization id (`ORG_ID` by default;
    /// an org of `POST /__emulator/orgs` may be given its own).
    pub organization_id: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed_conversations: 0,
            rate_limit: 0,
            latency_ms: 0,
            jitter_ms: 0,
            token_ttl_sec: 86_400,
            enforce_scopes: true,
            fault_rate: 0.0,
            rng_seed: None,
            organization_id: crate::ground::ids::ORG_ID.to_string(),
        }
    }
}

impl Options {
    pub fn config(&self) -> Config {
        Config {
            rate_limit_per_minute: self.rate_limit,
            latency_ms: self.latency_ms,
            jitter_ms: self.jitter_ms,
            token_ttl_sec: self.token_ttl_sec,
            enforce_scopes: self.enforce_scopes,
            fault_rate: self.fault_rate,
            rng_seed: self.rng_seed,
            ..Config::default()
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.seed_conversations > seed::MAX_SEED {
            return Err(format!(
                "--seed-conversations must be at most {}",
                seed::MAX_SEED
            ));
        }
        self.config().validate()
    }
}

/// Everything behind the one lock: settings, the org's data, the RNG, the
/// rate-limit windows, scripts, the request log and notification channels.
/// Every operation is a few hash lookups, so one lock is simpler and faster
/// than finer-grained locking at the request rates we need.
pub struct State {
    pub config: Config,
    pub store: Store,
    /// Seedable, so faults, jitter and generated data repeat with `rngSeed`.
    pub rng: StdRng,
    /// `/api/v2` windows, keyed by token.
    pub api_limiter: Windows,
    /// `/oauth/token` windows, keyed by client id.
    pub token_limiter: Windows,
    pub scripts: Scripts,
    pub log: RequestLog,
    /// Notification channels and their sockets.
    pub notify: Notifications,
    /// Guest API sockets (the sessions themselves are in the store).
    pub guest: Guests,
}

/// What the gate does instead of the handler, or to its answer: a script
/// rule or a random fault.
pub enum Intercept {
    /// Answer this instead (a scripted answer, or a status fault): the
    /// request has no effect.
    Answer(Response),
    /// Let the handler answer, then damage the answer in transit.
    Transit(Fault),
}

impl State {
    /// Tells the subscribed channels that conversation `id` changed.
    pub fn publish(&mut self, id: &str, now: i64) {
        let timers = self.timers();
        let delay = self.config.notification_delay_ms;
        if let Some(c) = self.store.conversation(id) {
            self.notify.publish(c, &timers, delay, now);
        }
    }

    /// The queues' live inactivity timers under the current config.
    pub fn timers(&self) -> Timers {
        Timers::of(&self.store, self.config.inactivity_rules())
    }

    /// Genesys's own timers, due at `now`: ends what they end and publishes
    /// it (at every request, and on a tick). Nothing to do, and no cost
    /// beyond the queues, while no queue has a live timer.
    pub fn reap(&mut self, now: i64) {
        let timers = self.timers();
        if !timers.any_live() {
            return;
        }
        let rng = &mut self.rng;
        let mut ids = || rand_uuid(rng);
        let ended = inactivity::reap(&mut self.store, &timers, now, &mut ids);
        for id in ended {
            self.publish(&id, now);
        }
    }

    /// The first script rule that matches the request, counted down and in
    /// the stats.
    pub fn take_script(&mut self, method: &str, path: &str, caller: Caller) -> Option<Intercept> {
        let respond = self.scripts.take(method, path, caller)?;
        self.log.stats.scripted += 1;
        Some(match respond {
            Respond::Answer(a) => Intercept::Answer(a.into_response()),
            Respond::Fault(f) => self.inject(f),
        })
    }

    /// A random fault, with probability `faultRate` (counted in the stats).
    pub fn roll_fault(&mut self) -> Option<Intercept> {
        let f = faults::roll(&mut self.rng, self.config.fault_rate, &self.config.faults)?;
        Some(self.inject(f))
    }

    fn inject(&mut self, f: Fault) -> Intercept {
        self.log.stats.faults_injected += 1;
        match f.error() {
            Some(e) => Intercept::Answer(e.into_response()),
            None => Intercept::Transit(f),
        }
    }
}

/// How often Genesys's own timers are checked without a request.
const TICK_MS: u64 = 200;

#[derive(Clone)]
pub struct App(Arc<Inner>);

struct Inner {
    state: Mutex<State>,
    options: Options,
    orgs: Orgs,
}

fn fresh_state(options: &Options, next_seq: u64) -> State {
    let config = options.config();
    let mut rng = config
        .rng_seed
        .map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64);
    let mut store = seed::base_store();
    if options.seed_conversations > 0 {
        seed::seed(
            &mut store,
            &mut rng,
            &SeedSpec::count(options.seed_conversations, None),
            clock::now_ms(),
        )
        .expect("validated seed options");
    }
    State {
        log: RequestLog::new(config.log_limit, next_seq),
        config,
        store,
        rng,
        api_limiter: Windows::default(),
        token_limiter: Windows::default(),
        scripts: Scripts::default(),
        notify: Default::default(),
        guest: Default::default(),
    }
}

impl App {
    pub fn new(options: Options) -> App {
        let app = App(Arc::new(Inner {
            state: Mutex::new(fresh_state(&options, 0)),
            options,
            orgs: Orgs::default(),
        }));
        app.start_tick();
        app
    }

    /// Every 200 ms, Genesys's own timers act even when no request comes
    /// (so their notifications go out on time). Only inside a Tokio
    /// runtime; it ends with the last handle to the app.
    fn start_tick(&self) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak = Arc::downgrade(&self.0);
        rt.spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(TICK_MS));
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                inner.state.lock().reap(clock::now_ms());
            }
        });
    }

    /// The start-up options (`reset` returns to them).
    pub fn options(&self) -> &Options {
        &self.0.options
    }

    /// The isolated orgs started from this emulator.
    pub fn orgs(&self) -> &Orgs {
        &self.0.orgs
    }

    /// The one lock. Never held across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock()
    }

    /// Back to the seeded state; log sequence numbers keep counting.
    pub fn reset(&self) {
        let mut st = self.lock();
        let fresh = fresh_state(&self.0.options, st.log.next_seq());
        *st = fresh;
    }
}
