//! [`AwsConfig`] (filled from settings by the `pixpipe-config` crate), and
//! [`connect`]: the three adapters
//! over SDK clients that share one HTTP client (hyper + rustls/ring) and the
//! standard AWS configuration chain (`AWS_REGION`, credentials from the
//! environment, profile, container or instance role, `AWS_ENDPOINT_URL`).

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::dynamo::DynamoJobs;
use crate::s3::S3Blobs;
use crate::sqs::SqsQueue;

/// Where pixpipe's AWS resources are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    /// `PIXPIPE_SOURCE_BUCKET`: private bucket of uploads (`uploads/…`).
    pub source_bucket: String,
    /// `PIXPIPE_RESULTS_BUCKET`: bucket of published results (`results/…`).
    pub results_bucket: String,
    /// `PIXPIPE_JOBS_TABLE`: the DynamoDB jobs table.
    pub jobs_table: String,
    /// `PIXPIPE_QUEUE_URL`: the SQS queue fed by the source bucket's notifications.
    pub queue_url: String,
    /// `PIXPIPE_DEAD_LETTER_QUEUE_URL`: that queue's dead-letter queue, whose
    /// messages fail their jobs; `None`: nothing watches it.
    pub dead_letter_queue_url: Option<String>,
    /// `PIXPIPE_PUBLIC_BASE_URL`: where the results bucket is served
    /// (CloudFront domain or bucket URL), e.g. `https://img.example.com`.
    pub public_base_url: String,
    /// `PIXPIPE_MAX_ATTEMPTS` (default 5): deliveries before a transient error fails a job.
    pub max_attempts: u32,
    /// `AWS_ENDPOINT_URL`, for a local stand-in such as moto; S3 then uses
    /// path-style addressing (`{endpoint}/{bucket}/{key}`).
    pub endpoint_url: Option<String>,
}

/// How long a dead-letter queue's message that is not an S3 event stays
/// hidden between reads: kept for inspection, looked at twice a day.
pub const KEEP_POISON_HIDDEN: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// The adapters, ready to hand to the API and the worker as `Arc<dyn _>`.
#[derive(Debug, Clone)]
pub struct Aws {
    pub jobs: Arc<DynamoJobs>,
    pub blobs: Arc<S3Blobs>,
    pub queue: Arc<SqsQueue>,
    /// The uploads queue's dead-letter queue, read the same way, when named.
    pub dead_letters: Option<Arc<SqsQueue>>,
}

/// The HTTP client of every SDK client here: hyper 1 with rustls on ring,
/// trusting the system's root certificates.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The standard AWS configuration (`aws_config::defaults` with the latest
/// behavior version) with [`http_client`] and `cfg.endpoint_url`.
pub async fn load_sdk_config(cfg: &AwsConfig) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client());
    if let Some(url) = &cfg.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The adapters over clients made from `sdk`. S3 uses path-style addressing
/// when an endpoint is overridden (in `cfg` or `sdk`).
pub fn clients(cfg: &AwsConfig, sdk: &SdkConfig) -> Aws {
    let path_style = cfg.endpoint_url.is_some() || sdk.endpoint_url().is_some();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(path_style)
            .build(),
    );
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    Aws {
        jobs: Arc::new(DynamoJobs::new(dynamodb, &cfg.jobs_table)),
        blobs: Arc::new(S3Blobs::new(
            s3,
            &cfg.source_bucket,
            &cfg.results_bucket,
            &cfg.public_base_url,
        )),
        queue: Arc::new(
            SqsQueue::new(sqs.clone(), &cfg.queue_url, cfg.max_attempts)
                .only_bucket(&cfg.source_bucket),
        ),
        dead_letters: cfg.dead_letter_queue_url.as_ref().map(|url| {
            Arc::new(
                SqsQueue::new(sqs, url, cfg.max_attempts)
                    .only_bucket(&cfg.source_bucket)
                    .keep_poison_hidden(KEEP_POISON_HIDDEN),
            )
        }),
    }
}

/// [`load_sdk_config`] then [`clients`].
pub async fn connect(cfg: &AwsConfig) -> Aws {
    clients(cfg, &load_sdk_config(cfg).await)
}
