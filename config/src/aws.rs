//! [`AwsArgs`]: where pixpipe's AWS resources are, for `serve --backend aws`
//! and both Lambda functions. The SDK's own settings (region, credentials,
//! `AWS_ENDPOINT_URL`) come from the standard AWS configuration chain.

use pixpipe_aws::AwsConfig;

use crate::ConfigError;

/// Names of the buckets, table and queues (flags, or the environment
/// variables named; `template.yaml` sets them for the functions).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AwsArgs {
    /// AWS backend: private bucket of uploads (`uploads/…`).
    #[arg(long, env = "PIXPIPE_SOURCE_BUCKET")]
    pub source_bucket: Option<String>,
    /// AWS backend: bucket of published results (`results/…`).
    #[arg(long, env = "PIXPIPE_RESULTS_BUCKET")]
    pub results_bucket: Option<String>,
    /// AWS backend: the DynamoDB jobs table.
    #[arg(long, env = "PIXPIPE_JOBS_TABLE")]
    pub jobs_table: Option<String>,
    /// AWS backend: URL of the SQS queue the source bucket's notifications feed.
    #[arg(long, env = "PIXPIPE_QUEUE_URL")]
    pub queue_url: Option<String>,
    /// AWS backend: URL of that queue's dead-letter queue; its messages fail
    /// their jobs (`processing_failed`). Unset: no one watches it.
    #[arg(long, env = "PIXPIPE_DEAD_LETTER_QUEUE_URL")]
    pub dead_letter_queue_url: Option<String>,
    /// AWS backend: where the results bucket is served (CloudFront domain or
    /// bucket URL), e.g. https://img.example.com.
    #[arg(long, env = "PIXPIPE_PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,
    /// AWS backend: endpoint of a local AWS-protocol stand-in (S3 then uses
    /// path-style addressing).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
}

impl AwsArgs {
    /// The adapters' configuration; every name is required.
    pub fn config(&self, max_attempts: u32) -> Result<AwsConfig, ConfigError> {
        // Blank counts as unset.
        fn given(value: &Option<String>) -> Option<String> {
            let value = value.as_deref().map(str::trim)?;
            (!value.is_empty()).then(|| value.to_owned())
        }
        let required = |value: &Option<String>, name: &'static str| {
            given(value).ok_or(ConfigError::Missing(name))
        };
        let optional = given;
        Ok(AwsConfig {
            source_bucket: required(&self.source_bucket, "PIXPIPE_SOURCE_BUCKET")?,
            results_bucket: required(&self.results_bucket, "PIXPIPE_RESULTS_BUCKET")?,
            jobs_table: required(&self.jobs_table, "PIXPIPE_JOBS_TABLE")?,
            queue_url: required(&self.queue_url, "PIXPIPE_QUEUE_URL")?,
            dead_letter_queue_url: optional(&self.dead_letter_queue_url),
            public_base_url: required(&self.public_base_url, "PIXPIPE_PUBLIC_BASE_URL")?,
            max_attempts,
            endpoint_url: optional(&self.endpoint_url),
        })
    }
}
