//! pixpipe's settings, read the same way by every process: `pixpipe serve`
//! (flags, or the environment variables named) and the two Lambda functions
//! (the same variables; they take no flags). Each setting has one default,
//! one range and one parser, so a value that one process accepts no other
//! refuses.
//!
//! - [`JobArgs`]: upload size and lifetime, pixels, attempts, private callbacks.
//! - [`ApiArgs`] (feature `api`): API keys.
//! - [`WorkerArgs`] (feature `worker`): callback signing and retries, metrics.
//! - [`AwsArgs`]: the AWS resources' names.
//! - [`startup`]: the service and the pipeline built from them, the AWS
//!   adapters, the start-up [`Warning`]s.
//! - [`telemetry`]: the one log set-up, with secret-printing targets capped.
//! - [`from_env`]: a settings struct from the environment alone, with errors
//!   that name the variable (what a Lambda function's cold start reports).

#[cfg(feature = "api")]
mod api;
mod aws;
mod job;
pub mod startup;
pub mod telemetry;
#[cfg(feature = "worker")]
mod worker;

#[cfg(feature = "api")]
pub use api::ApiArgs;
pub use aws::AwsArgs;
pub use job::{JobArgs, MAX_UPLOAD_TTL_SECS};
pub use startup::Warning;
#[cfg(feature = "worker")]
pub use worker::{Metrics, WorkerArgs};

use std::error::Error as _;

use clap::error::{ContextKind, ContextValue};

/// Why the settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
}

/// Reads `T` from the process environment alone (no flags), as the Lambda
/// functions do. An invalid value names its variable.
pub fn from_env<T: clap::Parser>() -> Result<T, ConfigError> {
    let name = T::command().get_name().to_owned();
    T::try_parse_from([name]).map_err(|e| invalid::<T>(&e))
}

fn invalid<T: clap::CommandFactory>(e: &clap::Error) -> ConfigError {
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => Some(arg.clone()),
        _ => None,
    };
    let mut command = T::command();
    // Built, so that an argument shows as clap shows it in errors.
    command.build();
    let name = arg.as_deref().and_then(|shown| {
        command
            .get_arguments()
            .find(|a| a.to_string() == shown)
            .and_then(|a| a.get_env())
            .map(|env| env.to_string_lossy().into_owned())
    });
    // Never the value itself: it may be a secret.
    let reason = match e.source() {
        Some(cause) => format!("{} ({cause})", e.kind()),
        None => e.kind().to_string(),
    };
    ConfigError::Invalid {
        name: name.unwrap_or_else(|| arg.unwrap_or_else(|| "the environment".into())),
        reason,
    }
}
