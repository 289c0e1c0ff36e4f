//! Shared set-up: the moto endpoint (required, never skipped), an SDK config
//! with test credentials, and per test the resources of `template.yaml` under
//! a unique stack name (through `pixpipe_testkit::provision`).

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::Utc;
use pixpipe_aws::{Aws, AwsConfig, clients};
use pixpipe_core::{Job, JobId, JobStatus};
use pixpipe_testkit::Plan;

const HOW_TO: &str = "start moto with `scripts/moto-server` and run \
     `AWS_ENDPOINT_URL=http://127.0.0.1:5055 cargo test -p pixpipe-aws`";

/// The SDK config for moto at `AWS_ENDPOINT_URL` (checked to answer), the
/// region (default `us-east-1`) and dummy credentials; panics with how to start it.
pub async fn sdk() -> SdkConfig {
    pixpipe_testkit::local_sdk_from_env()
        .await
        .unwrap_or_else(|e| panic!("{e}: these tests need a moto server; {HOW_TO}"))
}

/// One test's resources and the adapters over them.
pub struct Env {
    pub cfg: AwsConfig,
    pub aws: Aws,
}

impl Env {
    /// Everything `template.yaml` declares, under a unique stack name, with
    /// `MaxAttempts` 3 (so the queue's redrive allows 4 receives).
    pub async fn new() -> Env {
        let sdk = sdk().await;
        let plan = Plan::unique("it").parameter("MaxAttempts", "3");
        let stack = pixpipe_testkit::provision(&sdk, &plan)
            .await
            .expect("resources from template.yaml");
        let aws = clients(&stack.config, &sdk);
        Env {
            cfg: stack.config,
            aws,
        }
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.aws.blobs.client()
    }

    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        self.aws.queue.client()
    }

    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.aws.jobs.client()
    }

    /// Visible + in-flight messages left in the queue.
    pub async fn messages_left(&self) -> u64 {
        let attrs = self
            .sqs()
            .get_queue_attributes()
            .queue_url(&self.cfg.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("GetQueueAttributes")
            .attributes
            .unwrap_or_default();
        attrs
            .values()
            .map(|v| v.parse::<u64>().expect("count"))
            .sum()
    }
}

/// A hand-built job awaiting its upload.
pub fn job(owner: &str) -> Job {
    let now = Utc::now();
    Job {
        id: JobId::new(),
        owner: owner.to_owned(),
        status: JobStatus::AwaitingUpload,
        created_at: now,
        updated_at: now,
        filename: Some("été 2024.jpg".to_owned()),
        content_type: "image/jpeg".to_owned(),
        content_length: 1234,
        preset: Some("standard".to_owned()),
        variants: Vec::new(),
        attempts: 0,
        results: Vec::new(),
        skipped: Vec::new(),
        placeholder: None,
        source: None,
        error: None,
        upload_expires_at: now + chrono::Duration::minutes(15),
        callback_url: None,
        upload_held_until: None,
        version: 1,
    }
}

/// An S3 `ObjectCreated:Put` notification body, key encoded as S3 does.
pub fn s3_event(records: &[(&str, &str)]) -> String {
    let records: Vec<_> = records
        .iter()
        .map(|(bucket, key)| {
            serde_json::json!({
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2025-11-26T15:04:05.123Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "uploads",
                    "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                    "object": {"key": key, "size": 4, "eTag": "d41d8cd98f00b204e9800998ecf8427e"}
                }
            })
        })
        .collect();
    serde_json::json!({ "Records": records }).to_string()
}
