//! Runtime configuration: what `GET/PATCH /__emulator/config` shows and merges.
//! CLI flags only set the defaults that `POST /__emulator/reset` returns to.

use crate::control::ratelimit::{Mode, Policy, Rounding};
use crate::genesys::errors::DivisionDenied;
use crate::model::inactivity::{Marks, Rules};
use crate::model::queue::Switch;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Fault names accepted in `faults` weights and in scripts.
pub const FAULT_KINDS: [&str; 7] = [
    "500",
    "502",
    "503",
    "reset",
    "truncated",
    "malformed",
    "slow",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchEnded {
    /// 200 with the unchanged conversation.
    Ok,
    /// 409 `conversation.already.ended`.
    Conflict,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Requests per window per token on `/api/v2`; 0 = off.
    pub rate_limit_per_minute: u32,
    /// Length of the rate-limit window (both limiters).
    pub rate_window_ms: u64,
    /// Shape of the `/api/v2` window: `fixed` (from a token's first request),
    /// `aligned` (to the clock) or `sliding`.
    pub rate_limit_mode: Mode,
    /// Rounding of `inin-ratelimit-reset`: `up` or `down`.
    pub rate_reset_rounding: Rounding,
    /// Token requests per window per client on `/oauth/token`; 0 = off.
    pub token_rate_limit_per_minute: u32,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub enforce_scopes: bool,
    pub scope_error_code: String,
    pub token_ttl_sec: u64,
    pub token_info_role_divisions: bool,
    pub patch_ended_conversation: PatchEnded,
    /// UNCONFIRMED: the 403 body of a division miss.
    pub division_denied_body: DivisionDenied,
    pub analytics_lag_ms: u64,
    /// A queue's inactivity timeout (`inactivityTimeoutSettings.timeoutSeconds`
    /// in ms) for every queue; 0 = off, Genesys's default.
    pub queue_inactivity_timeout_ms: u64,
    /// Which switch makes a queue's web messaging timer run: `subtype`
    /// (`subTypeSettings.webmessaging.enableInactivityTimeout`) or `either`
    /// (that or the top-level one). UNCONFIRMED.
    pub inactivity_switch: Switch,
    /// The queue timer also runs before an agent connects. UNCONFIRMED.
    pub queue_timer_before_agent: bool,
    /// Which participants a timer's DISCONNECT marks `inactivity`. UNCONFIRMED.
    pub inactivity_marks: Marks,
    /// The queue listing carries `mediaSettings`. UNCONFIRMED.
    pub queue_listing_media_settings: bool,
    /// Test fault, no Genesys behaviour: dotted paths a queue PUT drops from
    /// what it stores (`["acwSettings"]`).
    pub queue_put_drop_fields: Vec<String>,
    /// `config.json` carries `sessionDurationSeconds`. UNCONFIRMED.
    pub config_json_session_duration: bool,
    /// After a Clear, the server closes the guest sockets (1000). UNCONFIRMED.
    pub guest_server_closes: bool,
    /// Which connection a 4th one on a session closes. UNCONFIRMED.
    pub guest_limit_closes: LimitCloses,
    /// A guest session's expiry also ends its conversation
    /// (`disconnectType: "session.expired"`). UNCONFIRMED.
    pub guest_expiry_ends_conversation: bool,
    /// Lifetime of a notification channel: 24 h documented (B-ES, B-EB).
    pub channel_lifetime_ms: u64,
    /// `channel.metadata` heartbeat interval; 30 s only user-observed (UNCONFIRMED).
    pub heartbeat_ms: u64,
    /// Delay before each conversation event is sent on a socket.
    pub notification_delay_ms: u64,
    /// Test knob, no Genesys behaviour: right after answering a read of an
    /// open message conversation, its customer sends a message (the race a
    /// guarded close cannot rule out: activity between its read and its
    /// PATCH).
    pub message_after_read: bool,
    /// Time between `v2.system.socket_closing` and the close ("one minute", F7423).
    pub socket_closing_grace_ms: u64,
    /// Permissions (any of) a queue topic needs: UNCONFIRMED.
    pub queue_topic_permissions: Vec<String>,
    pub fault_rate: f64,
    pub faults: BTreeMap<String, f64>,
    pub slow_body_ms: u64,
    pub rng_seed: Option<u64>,
    pub log_limit: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rate_limit_per_minute: 0,
            rate_window_ms: 60_000,
            rate_limit_mode: Mode::Fixed,
            rate_reset_rounding: Rounding::Up,
            token_rate_limit_per_minute: 0,
            latency_ms: 0,
            jitter_ms: 0,
            enforce_scopes: true,
            scope_error_code: "app.not.authorized.for.scope".into(),
            token_ttl_sec: 86_400,
            token_info_role_divisions: false,
            patch_ended_conversation: PatchEnded::Ok,
            division_denied_body: DivisionDenied::NotAuthorized,
            analytics_lag_ms: 0,
            queue_inactivity_timeout_ms: 0,
            inactivity_switch: Switch::Subtype,
            queue_timer_before_agent: false,
            inactivity_marks: Marks::All,
            queue_listing_media_settings: true,
            queue_put_drop_fields: vec![],
            config_json_session_duration: false,
            guest_server_closes: true,
            guest_limit_closes: LimitCloses::Oldest,
            guest_expiry_ends_conversation: false,
            channel_lifetime_ms: 86_400_000,
            heartbeat_ms: 30_000,
            notification_delay_ms: 0,
            message_after_read: false,
            socket_closing_grace_ms: 60_000,
            queue_topic_permissions: vec!["routing:queue:view".into()],
            fault_rate: 0.0,
            faults: FAULT_KINDS.iter().map(|k| (k.to_string(), 1.0)).collect(),
            slow_body_ms: 1000,
            rng_seed: None,
            log_limit: 200_000,
        }
    }
}

/// Which guest connection the 4th on one session closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitCloses {
    Oldest,
    Newest,
}

impl Config {
    /// The queue timer's UNCONFIRMED choices.
    pub fn inactivity_rules(&self) -> Rules {
        Rules {
            switch: self.inactivity_switch,
            before_agent: self.queue_timer_before_agent,
            marks: self.inactivity_marks,
            fallback_ms: self.queue_inactivity_timeout_ms,
        }
    }

    /// The `/api/v2` limiter, per token.
    pub fn api_rate(&self) -> Policy {
        Policy {
            limit: self.rate_limit_per_minute,
            window_ms: self.rate_window_ms,
            mode: self.rate_limit_mode,
            rounding: self.rate_reset_rounding,
        }
    }

    /// The `/oauth/token` limiter, per client id: a fixed window.
    pub fn token_rate(&self) -> Policy {
        Policy {
            limit: self.token_rate_limit_per_minute,
            window_ms: self.rate_window_ms,
            mode: Mode::Fixed,
            rounding: Rounding::Up,
        }
    }

    /// Merges a PATCH body into a copy of this config. Top-level keys replace
    /// (so `faults` is replaced whole, which is what "only resets" means);
    /// unknown keys and bad values are rejected so typos don't pass silently.
    pub fn merged(&self, patch: &Value) -> Result<Config, String> {
        let Value::Object(patch) = patch else {
            return Err("config patch must be a JSON object".into());
        };
        let mut current = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let obj = current
            .as_object_mut()
            .expect("config serialises to an object");
        for (k, v) in patch {
            if !obj.contains_key(k) {
                return Err(format!("unknown config key `{k}`"));
            }
            obj.insert(k.clone(), v.clone());
        }
        let cfg: Config = serde_json::from_value(current).map_err(|e| e.to_string())?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.rate_window_ms == 0 {
            return Err("rateWindowMs must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err("faultRate must be between 0 and 1".into());
        }
        for (k, w) in &self.faults {
            if !FAULT_KINDS.contains(&k.as_str()) {
                return Err(format!(
                    "unknown fault `{k}` (known: {})",
                    FAULT_KINDS.join(", ")
                ));
            }
            if !w.is_finite() || *w < 0.0 {
                return Err(format!("fault weight for `{k}` must be >= 0"));
            }
        }
        if self.channel_lifetime_ms == 0 || self.heartbeat_ms == 0 {
            return Err("channelLifetimeMs and heartbeatMs must be at least 1".into());
        }
        if self.log_limit == 0 {
            return Err("logLimit must be at least 1".into());
        }
        if self.scope_error_code.is_empty() {
            return Err("scopeErrorCode must not be empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_replaces_and_validates() {
        let c = Config::default();
        let m = c
            .merged(&json!({"rateLimitPerMinute": 5, "faults": {"reset": 1}, "patchEndedConversation": "conflict"}))
            .unwrap();
        assert_eq!(m.rate_limit_per_minute, 5);
        assert_eq!(m.faults.len(), 1);
        assert_eq!(m.patch_ended_conversation, PatchEnded::Conflict);
        assert!(c.merged(&json!({"nope": 1})).is_err());
        assert!(c.merged(&json!({"faultRate": 2})).is_err());
        assert!(c.merged(&json!({"faults": {"boom": 1}})).is_err());
        assert!(c
            .merged(&json!({"patchEndedConversation": "maybe"}))
            .is_err());
        assert_eq!(c.merged(&json!({"rngSeed": 7})).unwrap().rng_seed, Some(7));
        let m = c
            .merged(&json!({"rateLimitMode": "sliding", "rateResetRounding": "down"}))
            .unwrap();
        assert_eq!(
            (m.rate_limit_mode, m.rate_reset_rounding),
            (Mode::Sliding, Rounding::Down)
        );
        assert!(c.merged(&json!({"rateLimitMode": "leaky"})).is_err());
        for (given, want) in [
            ("missing.permissions", DivisionDenied::MissingPermissions),
            (
                "missing.any.permissions",
                DivisionDenied::MissingAnyPermissions,
            ),
            ("not.authorized", DivisionDenied::NotAuthorized),
            ("empty", DivisionDenied::Empty),
        ] {
            let m = c.merged(&json!({ "divisionDeniedBody": given })).unwrap();
            assert_eq!(m.division_denied_body, want);
        }
        assert!(c.merged(&json!({"divisionDeniedBody": "nope"})).is_err());
    }
}
