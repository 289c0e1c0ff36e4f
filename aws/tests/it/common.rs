//! Shared set-up: the moto endpoint (required, never skipped), an SDK config
//! with test credentials, and uniquely named buckets, table and queue per test.

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::Utc;
use pixpipe_aws::{Aws, AwsConfig, clients, create_table, http_client};
use pixpipe_core::{Job, JobId, JobStatus};
use uuid::Uuid;

const HOW_TO: &str = "start moto with `scripts/moto-server` and run \
     `AWS_ENDPOINT_URL=http://127.0.0.1:5055 cargo test -p pixpipe-aws`";

/// `AWS_ENDPOINT_URL`, checked to accept connections; panics otherwise.
pub async fn endpoint() -> String {
    let Some(endpoint) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        panic!("AWS_ENDPOINT_URL is not set: these tests need a moto server; {HOW_TO}");
    };
    let url = reqwest::Url::parse(&endpoint)
        .unwrap_or_else(|e| panic!("AWS_ENDPOINT_URL {endpoint:?} is not a URL ({e}); {HOW_TO}"));
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(Duration::from_secs(3), connect).await {
        Ok(Ok(_)) => endpoint,
        Ok(Err(e)) => panic!("nothing answers at AWS_ENDPOINT_URL={endpoint} ({e}); {HOW_TO}"),
        Err(_) => panic!("AWS_ENDPOINT_URL={endpoint} did not answer within 3 s; {HOW_TO}"),
    }
}

fn region() -> String {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|r| !r.is_empty()))
        .unwrap_or_else(|| "us-east-1".to_owned())
}

/// The SDK config for moto: its endpoint, the region (default `us-east-1`),
/// and dummy credentials unless the environment has some.
pub async fn sdk() -> SdkConfig {
    let endpoint = endpoint().await;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new(region()))
        .endpoint_url(endpoint);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        loader = loader.credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "pixpipe-aws-tests",
        ));
    }
    loader.load().await
}

/// A name no other test uses: `pxp-{tag}-{32 hex}`.
pub fn unique(tag: &str) -> String {
    format!("pxp-{tag}-{}", Uuid::now_v7().simple())
}

/// One test's resources and the adapters over them.
pub struct Env {
    pub cfg: AwsConfig,
    pub aws: Aws,
    pub queue_arn: String,
}

impl Env {
    /// Creates two buckets, the jobs table and a queue, all uniquely named.
    pub async fn new() -> Env {
        let sdk = sdk().await;
        let endpoint = sdk.endpoint_url().expect("endpoint").to_owned();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let (source, results) = (unique("src"), unique("res"));
        for bucket in [&source, &results] {
            let mut create = s3.create_bucket().bucket(bucket);
            let region = region();
            if region != "us-east-1" {
                create = create.create_bucket_configuration(
                    CreateBucketConfiguration::builder()
                        .location_constraint(BucketLocationConstraint::from(region.as_str()))
                        .build(),
                );
            }
            create.send().await.expect("CreateBucket");
        }
        // As the template does: anyone may read results/* (and nothing else).
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "PublicReadResults",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{results}/results/*"),
            }],
        });
        s3.put_bucket_policy()
            .bucket(&results)
            .policy(policy.to_string())
            .send()
            .await
            .expect("PutBucketPolicy");
        let table = unique("jobs");
        create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
            .await
            .expect("create_table");
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let queue_url = sqs
            .create_queue()
            .queue_name(unique("q"))
            .send()
            .await
            .expect("CreateQueue")
            .queue_url
            .expect("queue url");
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("GetQueueAttributes")
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .expect("queue arn");
        let cfg = AwsConfig {
            // Path-style bucket URL on moto: public URLs really serve the results.
            public_base_url: format!("{endpoint}/{results}"),
            source_bucket: source,
            results_bucket: results,
            jobs_table: table,
            queue_url,
            max_attempts: 3,
            endpoint_url: Some(endpoint),
        };
        let aws = clients(&cfg, &sdk);
        Env {
            cfg,
            aws,
            queue_arn,
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
        error: None,
        upload_expires_at: now + chrono::Duration::minutes(15),
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
