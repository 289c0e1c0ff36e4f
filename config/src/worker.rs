//! [`WorkerArgs`]: how the workers sign and retry job callbacks, and where
//! their per-job metrics go.

use std::time::Duration;

use pixpipe_worker::callback::MIN_SECRET_LEN;
use pixpipe_worker::metrics::MetricsSink;
use pixpipe_worker::{CallbackConfig, CallbackSecret, Notifier};

use crate::ConfigError;

/// Settings only the workers read (flags, or the environment variables named).
#[derive(Clone, clap::Args)]
pub struct WorkerArgs {
    /// Key of callback signatures, at least 16 bytes (local backend default:
    /// generated once into the data dir as `callback-secret`; on AWS, unset
    /// means callbacks are not sent).
    /// Checked by [`WorkerArgs::validate`], not by clap, whose errors print
    /// the refused value.
    #[arg(long, env = "PIXPIPE_CALLBACK_SECRET", hide_env_values = true)]
    pub callback_secret: Option<String>,
    /// Attempts per callback delivery (1 to 10).
    #[arg(long, env = "PIXPIPE_CALLBACK_ATTEMPTS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=10))]
    pub callback_attempts: u32,
    /// Milliseconds before a callback's second attempt, doubled for each later
    /// one (1 to 60000).
    #[arg(long, env = "PIXPIPE_CALLBACK_RETRY_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub callback_retry_ms: u64,
    /// `emf`: one CloudWatch Embedded Metric Format line on stdout per
    /// finished job; `off`: none.
    #[arg(
        long,
        env = "PIXPIPE_METRICS",
        value_enum,
        ignore_case = true,
        default_value = "off"
    )]
    pub metrics: Metrics,
}

/// Where per-job metrics go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Metrics {
    #[default]
    Off,
    /// CloudWatch Embedded Metric Format on stdout.
    Emf,
}

impl Default for WorkerArgs {
    fn default() -> Self {
        WorkerArgs {
            callback_secret: None,
            callback_attempts: 5,
            callback_retry_ms: 1000,
            metrics: Metrics::Off,
        }
    }
}

// Never prints the secret.
impl std::fmt::Debug for WorkerArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerArgs")
            .field(
                "callback_secret",
                &self.callback_secret.as_ref().map(|_| "…"),
            )
            .field("callback_attempts", &self.callback_attempts)
            .field("callback_retry_ms", &self.callback_retry_ms)
            .field("metrics", &self.metrics)
            .finish()
    }
}

impl WorkerArgs {
    /// Checks what clap does not: the callback secret's length (an error
    /// never carries the secret). Surrounding whitespace is not part of it.
    pub fn validate(mut self) -> Result<Self, ConfigError> {
        if let Some(raw) = self.callback_secret.take() {
            let secret = raw.trim();
            if CallbackSecret::new(secret).is_none() {
                return Err(ConfigError::Invalid {
                    name: "PIXPIPE_CALLBACK_SECRET".into(),
                    reason: format!("must be at least {MIN_SECRET_LEN} bytes"),
                });
            }
            self.callback_secret = Some(secret.to_owned());
        }
        Ok(self)
    }

    /// The callback sender, signing with `secret` (`None`: callbacks are not
    /// sent), to private addresses too when `allow_private`.
    pub fn notifier(&self, secret: Option<&str>, allow_private: bool) -> Notifier {
        let config = CallbackConfig {
            secret: secret.and_then(CallbackSecret::new),
            allow_private,
            max_attempts: self.callback_attempts,
            first_retry: Duration::from_millis(self.callback_retry_ms),
            ..CallbackConfig::default()
        };
        Notifier::new(config, pixpipe_core::view::job_json)
    }
}

impl WorkerArgs {
    /// The sink of per-job metrics lines.
    pub fn metrics_sink(&self) -> MetricsSink {
        match self.metrics {
            Metrics::Off => MetricsSink::Off,
            Metrics::Emf => MetricsSink::stdout(),
        }
    }
}
