//! What the functions read from their environment besides
//! [`AwsConfig`](pixpipe_aws::AwsConfig) (buckets, table, queue, public URL,
//! `PIXPIPE_MAX_ATTEMPTS`). Empty values count as unset; an invalid value fails
//! the cold start with [`ConfigError::Invalid`] naming the variable.
//!
//! | variable | function | default | meaning |
//! |---|---|---|---|
//! | `PIXPIPE_API_KEYS` | API | empty | comma-separated keys; empty: no key needed |
//! | `PIXPIPE_MAX_UPLOAD_BYTES` | both | 26214400 | largest declared upload / source read |
//! | `PIXPIPE_UPLOAD_TTL_SECS` | API | 900 | lifetime of an upload URL (S3 allows up to 7 days) |
//! | `PIXPIPE_MAX_PIXELS` | both | 50000000 | largest source (from its header) and output; a job's outputs together may have 4 times as many |
//! | `PIXPIPE_CALLBACK_SECRET` | worker | unset | key of callback signatures (at least 16 bytes); unset: callbacks are not sent |
//! | `PIXPIPE_ALLOW_PRIVATE_CALLBACKS` | both | false | accept and send callbacks to loopback, private and link-local addresses |

use std::str::FromStr;
#[cfg(feature = "api")]
use std::time::Duration;

#[cfg(feature = "api")]
use pixpipe_api::ApiKeys;
use pixpipe_aws::ConfigError;
#[cfg(feature = "api")]
use pixpipe_core::Settings;
#[cfg(feature = "worker")]
use pixpipe_imaging::Limits;
#[cfg(feature = "worker")]
use pixpipe_worker::callback::MIN_SECRET_LEN;
#[cfg(feature = "worker")]
use pixpipe_worker::{CallbackConfig, CallbackSecret};

/// Longest lifetime of an S3 presigned URL.
#[cfg(feature = "api")]
const MAX_UPLOAD_TTL_SECS: u64 = 7 * 24 * 3600;

/// The API function's settings.
#[cfg(feature = "api")]
#[derive(Clone)]
pub struct ApiEnv {
    /// `PIXPIPE_MAX_UPLOAD_BYTES` and `PIXPIPE_UPLOAD_TTL_SECS`.
    pub settings: Settings,
    /// `PIXPIPE_API_KEYS`.
    pub keys: ApiKeys,
}

#[cfg(feature = "api")]
impl ApiEnv {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `get`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let defaults = Settings::default();
        let max_upload_bytes = number(
            &get,
            "PIXPIPE_MAX_UPLOAD_BYTES",
            defaults.max_upload_bytes,
            1..=u64::MAX,
        )?;
        let ttl = number(
            &get,
            "PIXPIPE_UPLOAD_TTL_SECS",
            defaults.upload_ttl.as_secs(),
            1..=MAX_UPLOAD_TTL_SECS,
        )?;
        let max_pixels = number(
            &get,
            "PIXPIPE_MAX_PIXELS",
            defaults.max_pixels,
            1..=u64::MAX,
        )?;
        Ok(ApiEnv {
            settings: Settings {
                max_upload_bytes,
                upload_ttl: Duration::from_secs(ttl),
                allow_private_callbacks: flag(&get, "PIXPIPE_ALLOW_PRIVATE_CALLBACKS")?,
                // The Lambda functions have no watermark (see the README).
                watermark_configured: false,
                max_pixels,
            },
            keys: ApiKeys::from_csv(&get("PIXPIPE_API_KEYS").unwrap_or_default()),
        })
    }
}

/// The worker function's settings.
#[cfg(feature = "worker")]
#[derive(Debug, Clone)]
pub struct WorkerEnv {
    /// `max_input_bytes` from `PIXPIPE_MAX_UPLOAD_BYTES`, `max_pixels` from
    /// `PIXPIPE_MAX_PIXELS`, the rest as `Limits::default()`.
    pub limits: Limits,
    /// `secret` from `PIXPIPE_CALLBACK_SECRET`, `allow_private` from
    /// `PIXPIPE_ALLOW_PRIVATE_CALLBACKS`, the rest as `CallbackConfig::default()`.
    pub callbacks: CallbackConfig,
}

#[cfg(feature = "worker")]
impl WorkerEnv {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `get`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let defaults = Limits::default();
        let max_input_bytes = number(
            &get,
            "PIXPIPE_MAX_UPLOAD_BYTES",
            defaults.max_input_bytes,
            1..=usize::MAX,
        )?;
        let max_pixels = number(
            &get,
            "PIXPIPE_MAX_PIXELS",
            defaults.max_pixels,
            1..=u64::MAX,
        )?;
        let secret = match get("PIXPIPE_CALLBACK_SECRET") {
            None => None,
            Some(raw) => Some(CallbackSecret::new(raw.trim()).ok_or(ConfigError::Invalid {
                name: "PIXPIPE_CALLBACK_SECRET",
                reason: format!("must be at least {MIN_SECRET_LEN} bytes"),
            })?),
        };
        Ok(WorkerEnv {
            limits: Limits {
                max_input_bytes,
                max_pixels,
                ..defaults
            },
            callbacks: CallbackConfig {
                secret,
                allow_private: flag(&get, "PIXPIPE_ALLOW_PRIVATE_CALLBACKS")?,
                ..CallbackConfig::default()
            },
        })
    }
}

/// `true`/`1`/`yes` or `false`/`0`/`no` (any case); false when unset.
fn flag(get: &dyn Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    let Some(raw) = get(name) else {
        return Ok(false);
    };
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name,
            reason: format!("{raw:?} is not true or false"),
        }),
    }
}

/// A whole number in `range`, or `default` when unset.
fn number<T>(
    get: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + std::fmt::Display,
{
    let Some(raw) = get(name) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ConfigError::Invalid {
            name,
            reason: format!(
                "{raw:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        })
}

#[cfg(all(test, feature = "api", feature = "worker"))]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn api_defaults_match_core() {
        let env = ApiEnv::from_vars(vars(&[("PIXPIPE_UPLOAD_TTL_SECS", " ")])).unwrap();
        assert_eq!(
            env.settings.max_upload_bytes,
            Settings::default().max_upload_bytes
        );
        assert_eq!(env.settings.upload_ttl, Settings::default().upload_ttl);
        assert!(!env.keys.is_enabled());
    }

    #[test]
    fn api_reads_every_variable() {
        let env = ApiEnv::from_vars(vars(&[
            ("PIXPIPE_MAX_UPLOAD_BYTES", "1000"),
            ("PIXPIPE_UPLOAD_TTL_SECS", "60"),
            ("PIXPIPE_API_KEYS", "a, b"),
        ]))
        .unwrap();
        assert_eq!(env.settings.max_upload_bytes, 1000);
        assert_eq!(env.settings.upload_ttl, Duration::from_secs(60));
        assert!(env.keys.is_enabled());
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (name, bad) in [
            ("PIXPIPE_MAX_UPLOAD_BYTES", "0"),
            ("PIXPIPE_MAX_UPLOAD_BYTES", "25MB"),
            ("PIXPIPE_UPLOAD_TTL_SECS", "-1"),
            ("PIXPIPE_UPLOAD_TTL_SECS", "604801"),
        ] {
            let err = ApiEnv::from_vars(vars(&[(name, bad)])).err().expect(bad);
            assert!(
                matches!(err, ConfigError::Invalid { name: n, .. } if n == name),
                "{err}"
            );
        }
        let err = WorkerEnv::from_vars(vars(&[("PIXPIPE_MAX_PIXELS", "lots")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "PIXPIPE_MAX_PIXELS",
                ..
            }
        ));
    }

    #[test]
    fn worker_limits() {
        let env = WorkerEnv::from_vars(vars(&[])).unwrap();
        assert_eq!(env.limits, Limits::default());
        let env = WorkerEnv::from_vars(vars(&[
            ("PIXPIPE_MAX_UPLOAD_BYTES", "5000"),
            ("PIXPIPE_MAX_PIXELS", "1000000"),
        ]))
        .unwrap();
        assert_eq!(env.limits.max_input_bytes, 5000);
        assert_eq!(env.limits.max_pixels, 1_000_000);
        assert_eq!(env.limits.max_alloc, Limits::default().max_alloc);
        assert!(env.callbacks.secret.is_none() && !env.callbacks.allow_private);
    }

    #[test]
    fn callback_settings() {
        let env = WorkerEnv::from_vars(vars(&[
            ("PIXPIPE_CALLBACK_SECRET", "0123456789abcdef0123"),
            ("PIXPIPE_ALLOW_PRIVATE_CALLBACKS", "TRUE"),
        ]))
        .unwrap();
        assert!(env.callbacks.secret.is_some() && env.callbacks.allow_private);
        assert!(!format!("{env:?}").contains("0123456789abcdef0123"));
        let api = ApiEnv::from_vars(vars(&[("PIXPIPE_ALLOW_PRIVATE_CALLBACKS", "1")])).unwrap();
        assert!(api.settings.allow_private_callbacks);
        for (name, bad) in [
            ("PIXPIPE_CALLBACK_SECRET", "short"),
            ("PIXPIPE_ALLOW_PRIVATE_CALLBACKS", "maybe"),
        ] {
            let err = WorkerEnv::from_vars(vars(&[(name, bad)])).unwrap_err();
            assert!(
                matches!(err, ConfigError::Invalid { name: n, .. } if n == name),
                "{err}"
            );
        }
    }
}
