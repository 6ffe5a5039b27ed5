//! Per-call options as JS callers give them (every field optional, numbers as
//! f64) and their validation into the typed options of `close`, `bulk` and
//! `discover`. Like `config::ConnectionOptions`, every rule here answers
//! `ERR_INVALID_ARGUMENT` naming the option, so the binding only copies fields.

use crate::bulk::{BulkOptions, ProgressSink, MAX_CONCURRENCY};
use crate::close::CloseOptions;
use crate::config::duration_ms;
use crate::discover::{FindOptions, MAX_PAGE_SIZE};
use crate::error::Error;

/// What to do when closing (`CloseBehaviour` in JS).
#[derive(Debug, Default, Clone)]
pub struct RawCloseOptions {
    pub wrapup_code: Option<String>,
    pub verify: Option<bool>,
    pub verify_timeout_ms: Option<f64>,
    pub teardown_stuck: Option<bool>,
    pub fast: Option<bool>,
    pub message_types: Option<Vec<String>>,
    pub dry_run: Option<bool>,
    pub idle_for_ms: Option<f64>,
}

impl RawCloseOptions {
    pub fn resolve(&self) -> Result<CloseOptions, Error> {
        let defaults = CloseOptions::default();
        let opts = CloseOptions {
            wrapup_code: self.wrapup_code.clone(),
            verify: self.verify.unwrap_or(false),
            verify_timeout: match self.verify_timeout_ms {
                None => defaults.verify_timeout,
                v => duration_ms("verifyTimeoutMs", v, 0.0, 0.0, 600_000.0)?,
            },
            teardown_stuck: self.teardown_stuck.unwrap_or(false),
            fast: self.fast.unwrap_or(false),
            message_types: self.message_types.clone().unwrap_or(defaults.message_types),
            dry_run: self.dry_run.unwrap_or(false),
            idle_for: match self.idle_for_ms {
                None => None,
                v => Some(idle_for_ms(v)?),
            },
        };
        opts.validate()?;
        Ok(opts)
    }
}

/// Bulk settings (`concurrency`, `progressIntervalMs`).
#[derive(Debug, Default, Clone)]
pub struct RawBulkSettings {
    pub concurrency: Option<f64>,
    pub progress_interval_ms: Option<f64>,
}

impl RawBulkSettings {
    pub fn resolve(
        &self,
        close: CloseOptions,
        progress: Option<ProgressSink>,
    ) -> Result<BulkOptions, Error> {
        let d = BulkOptions::default();
        Ok(BulkOptions {
            concurrency: whole_number(
                "concurrency",
                self.concurrency,
                d.concurrency as u64,
                1,
                MAX_CONCURRENCY as u64,
            )? as usize,
            close,
            progress,
            progress_interval: match self.progress_interval_ms {
                None => d.progress_interval,
                v => duration_ms("progressIntervalMs", v, 0.0, 0.0, 60_000.0)?,
            },
        })
    }
}

/// Discovery settings (`findIdleConversations`, `sweep`).
#[derive(Debug, Default, Clone)]
pub struct RawFindOptions {
    pub idle_for_ms: Option<f64>,
    pub lookback_ms: Option<f64>,
    pub page_size: Option<f64>,
    pub message_types: Option<Vec<String>>,
    pub limit: Option<f64>,
}

impl RawFindOptions {
    pub fn resolve(&self) -> Result<FindOptions, Error> {
        let d = FindOptions::default();
        let idle_for = match self.idle_for_ms {
            None => {
                return Err(Error::invalid_argument(
                    "idleForMs is required: how long a conversation must have been idle, e.g. 30 * 60_000 for 30 minutes.",
                ))
            }
            v => idle_for_ms(v)?,
        };
        let opts = FindOptions {
            idle_for,
            lookback: match self.lookback_ms {
                None => d.lookback,
                v => duration_ms("lookbackMs", v, 0.0, 1.0, 366.0 * 86_400_000.0)?,
            },
            page_size: whole_number(
                "pageSize",
                self.page_size,
                u64::from(d.page_size),
                1,
                u64::from(MAX_PAGE_SIZE),
            )? as u32,
            message_types: self.message_types.clone().unwrap_or(d.message_types),
            limit: whole_number("limit", self.limit, 0, 0, 1_000_000_000)? as u32,
        };
        opts.validate()?;
        Ok(opts)
    }
}

/// `idleForMs`: how long nothing may have happened in a conversation.
fn idle_for_ms(v: Option<f64>) -> Result<std::time::Duration, Error> {
    duration_ms("idleForMs", v, 0.0, 0.0, 365.0 * 86_400_000.0)
}

/// Validates a whole-number option within bounds.
pub fn whole_number(
    name: &str,
    v: Option<f64>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, Error> {
    match v {
        None => Ok(default),
        Some(n) if n.is_finite() && n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => {
            Ok(n as u64)
        }
        Some(n) => Err(Error::invalid_argument(format!(
            "{name} must be a whole number from {min} to {max}, got {n}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn defaults_resolve() {
        let c = RawCloseOptions::default().resolve().unwrap();
        assert_eq!(c.message_types, vec!["webmessaging"]);
        assert!(!c.fast && !c.verify && !c.dry_run);
        let b = RawBulkSettings::default().resolve(c, None).unwrap();
        assert_eq!(b.concurrency, 8);
    }

    #[test]
    fn bad_values_name_the_option() {
        for (bad, name) in [
            (
                RawBulkSettings {
                    concurrency: Some(0.0),
                    ..Default::default()
                },
                "concurrency",
            ),
            (
                RawBulkSettings {
                    concurrency: Some(1.5),
                    ..Default::default()
                },
                "concurrency",
            ),
            (
                RawBulkSettings {
                    concurrency: Some(257.0),
                    ..Default::default()
                },
                "concurrency",
            ),
            (
                RawBulkSettings {
                    progress_interval_ms: Some(-1.0),
                    ..Default::default()
                },
                "progressIntervalMs",
            ),
        ] {
            let Err(e) = bad.resolve(CloseOptions::default(), None) else {
                panic!("{name} should be refused")
            };
            assert_eq!(e.code, ErrorCode::InvalidArgument);
            assert!(e.message.contains(name), "{}", e.message);
        }
        let e = RawFindOptions::default().resolve().unwrap_err();
        assert!(e.message.contains("idleForMs is required"));
        let e = RawFindOptions {
            idle_for_ms: Some(1.0),
            page_size: Some(101.0),
            ..Default::default()
        }
        .resolve()
        .unwrap_err();
        assert!(e.message.contains("pageSize"));
        let e = RawCloseOptions {
            verify_timeout_ms: Some(f64::NAN),
            ..Default::default()
        }
        .resolve()
        .unwrap_err();
        assert!(e.message.contains("verifyTimeoutMs"));
        let e = RawCloseOptions {
            message_types: Some(vec![]),
            ..Default::default()
        }
        .resolve()
        .unwrap_err();
        assert!(e.message.contains("messageTypes"));
    }
}
