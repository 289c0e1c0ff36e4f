//! [`AwsConfig`] from the environment, and [`connect`]: the three adapters
//! over SDK clients that share one HTTP client (hyper + rustls/ring) and the
//! standard AWS configuration chain (`AWS_REGION`, credentials from the
//! environment, profile, container or instance role, `AWS_ENDPOINT_URL`).

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::dynamo::DynamoJobs;
use crate::error::ConfigError;
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
    /// `PIXPIPE_PUBLIC_BASE_URL`: where the results bucket is served
    /// (CloudFront domain or bucket URL), e.g. `https://img.example.com`.
    pub public_base_url: String,
    /// `PIXPIPE_MAX_ATTEMPTS` (default 5): deliveries before a transient error fails a job.
    pub max_attempts: u32,
    /// `AWS_ENDPOINT_URL`, for a local stand-in such as moto; S3 then uses
    /// path-style addressing (`{endpoint}/{bucket}/{key}`).
    pub endpoint_url: Option<String>,
}

impl AwsConfig {
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `get` (empty values count as unset).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let max_attempts = match get("PIXPIPE_MAX_ATTEMPTS") {
            None => Self::DEFAULT_MAX_ATTEMPTS,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "PIXPIPE_MAX_ATTEMPTS",
                    reason: format!("{v:?} is not a whole number of at least 1"),
                })?,
        };
        Ok(AwsConfig {
            source_bucket: required("PIXPIPE_SOURCE_BUCKET")?,
            results_bucket: required("PIXPIPE_RESULTS_BUCKET")?,
            jobs_table: required("PIXPIPE_JOBS_TABLE")?,
            queue_url: required("PIXPIPE_QUEUE_URL")?,
            public_base_url: required("PIXPIPE_PUBLIC_BASE_URL")?,
            max_attempts,
            endpoint_url: get("AWS_ENDPOINT_URL"),
        })
    }
}

/// The adapters, ready to hand to the API and the worker as `Arc<dyn _>`.
#[derive(Debug, Clone)]
pub struct Aws {
    pub jobs: Arc<DynamoJobs>,
    pub blobs: Arc<S3Blobs>,
    pub queue: Arc<SqsQueue>,
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
            SqsQueue::new(sqs, &cfg.queue_url, cfg.max_attempts).only_bucket(&cfg.source_bucket),
        ),
    }
}

/// [`load_sdk_config`] then [`clients`].
pub async fn connect(cfg: &AwsConfig) -> Aws {
    clients(cfg, &load_sdk_config(cfg).await)
}

#[cfg(test)]
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

    const ALL: &[(&str, &str)] = &[
        ("PIXPIPE_SOURCE_BUCKET", "src"),
        ("PIXPIPE_RESULTS_BUCKET", "res"),
        ("PIXPIPE_JOBS_TABLE", "jobs"),
        (
            "PIXPIPE_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/1/q",
        ),
        ("PIXPIPE_PUBLIC_BASE_URL", "https://img.example.com"),
    ];

    #[test]
    fn reads_all_with_defaults() {
        let cfg = AwsConfig::from_vars(vars(ALL)).unwrap();
        assert_eq!(cfg.source_bucket, "src");
        assert_eq!(cfg.max_attempts, 5);
        assert_eq!(cfg.endpoint_url, None);
        let mut more = ALL.to_vec();
        more.extend([
            ("PIXPIPE_MAX_ATTEMPTS", "3"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5055"),
        ]);
        let cfg = AwsConfig::from_vars(vars(&more)).unwrap();
        assert_eq!(cfg.max_attempts, 3);
        assert_eq!(cfg.endpoint_url.as_deref(), Some("http://127.0.0.1:5055"));
    }

    #[test]
    fn missing_and_invalid() {
        let err = AwsConfig::from_vars(vars(&ALL[1..])).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("PIXPIPE_SOURCE_BUCKET")));
        for bad in ["0", "-1", "five"] {
            let mut more = ALL.to_vec();
            more.push(("PIXPIPE_MAX_ATTEMPTS", bad));
            let err = AwsConfig::from_vars(vars(&more)).unwrap_err();
            assert!(matches!(
                err,
                ConfigError::Invalid {
                    name: "PIXPIPE_MAX_ATTEMPTS",
                    ..
                }
            ));
        }
    }
}
