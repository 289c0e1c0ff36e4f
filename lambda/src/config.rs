//! What each function reads from its environment: the same settings, with the
//! same defaults, ranges and parsers, as `pixpipe serve` (crate
//! `pixpipe-config`; the README's settings table lists them). The functions
//! take no flags. An invalid or missing value fails the cold start with a
//! message naming the variable.

use pixpipe_config::{AwsArgs, ConfigError, JobArgs};

/// The API function's settings.
#[cfg(feature = "api")]
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "pixpipe-api-lambda")]
pub struct ApiFunction {
    #[command(flatten)]
    pub job: JobArgs,
    #[command(flatten)]
    pub api: pixpipe_config::ApiArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The worker function's settings.
#[cfg(feature = "worker")]
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "pixpipe-worker-lambda")]
pub struct WorkerFunction {
    #[command(flatten)]
    pub job: JobArgs,
    #[command(flatten)]
    pub worker: pixpipe_config::WorkerArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[cfg(feature = "api")]
impl ApiFunction {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        pixpipe_config::from_env()
    }
}

#[cfg(feature = "worker")]
impl WorkerFunction {
    /// Reads the settings from the process environment, and checks them.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut settings: Self = pixpipe_config::from_env()?;
        settings.worker = settings.worker.validate()?;
        Ok(settings)
    }
}

#[cfg(all(test, feature = "api", feature = "worker"))]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[test]
    fn the_functions_settings_are_consistent() {
        use clap::CommandFactory as _;
        ApiFunction::command().debug_assert();
        WorkerFunction::command().debug_assert();
        let api = ApiFunction::try_parse_from(["x"]).unwrap();
        assert_eq!(api.job.upload_ttl_secs, 900);
        let worker = WorkerFunction::try_parse_from(["x"]).unwrap();
        assert_eq!(worker.job.max_attempts, 5);
    }
}
