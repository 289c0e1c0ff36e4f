//! The one start-up path: the service and the pipeline built from the
//! settings over whichever adapters the process runs on, the AWS adapters
//! from [`AwsArgs`], and the warnings a start may print (once each, the same
//! words in every process).

use std::sync::Arc;

use pixpipe_aws::{Aws, AwsConfig};
use pixpipe_core::{BlobStore, JobStore, Service, SharedClock};
use tracing::warn;

use crate::{AwsArgs, ConfigError, JobArgs};

/// A configuration a process starts with but should not run long with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// The API runs without `PIXPIPE_API_KEYS`.
    OpenApi,
    /// Workers without `PIXPIPE_CALLBACK_SECRET` (AWS: nothing generates one).
    NoCallbackSecret,
}

impl Warning {
    pub fn text(self) -> &'static str {
        match self {
            Warning::OpenApi => {
                "PIXPIPE_API_KEYS is empty: the API accepts every request without a key"
            }
            Warning::NoCallbackSecret => {
                "PIXPIPE_CALLBACK_SECRET is unset: jobs' callbacks will not be sent"
            }
        }
    }

    /// Logs it at WARN.
    pub fn log(self) {
        warn!(warning = ?self, "{}", self.text());
    }
}

/// The API's use cases over `jobs` and `blobs`.
pub fn service(
    jobs: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    job: &JobArgs,
    watermark_configured: bool,
    clock: SharedClock,
) -> Service {
    Service::new(jobs, blobs, job.settings(watermark_configured)).with_clock(clock)
}

/// The processing pipeline over `jobs` and `blobs`, sending callbacks signed
/// with `callback_secret` (`None`: callbacks are not sent).
#[cfg(feature = "worker")]
pub fn pipeline(
    jobs: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    job: &JobArgs,
    worker: &crate::WorkerArgs,
    callback_secret: Option<&str>,
    watermark: Option<Arc<pixpipe_imaging::Watermark>>,
) -> pixpipe_worker::Pipeline {
    pixpipe_worker::Pipeline {
        jobs,
        blobs,
        limits: job.limits(),
        callbacks: Some(worker.notifier(callback_secret, job.allow_private_callbacks)),
        watermark,
        metrics: worker.metrics_sink(),
    }
}

/// The AWS adapters named by `aws`, over SDK clients from the standard AWS
/// configuration chain.
pub async fn connect_aws(aws: &AwsArgs, job: &JobArgs) -> Result<(AwsConfig, Aws), ConfigError> {
    let config = aws.config(job.max_attempts)?;
    let adapters = pixpipe_aws::connect(&config).await;
    Ok((config, adapters))
}
