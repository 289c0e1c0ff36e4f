//! Shared set-up of the Lambda tests: the moto endpoint (required, never
//! skipped), uniquely named buckets, table and queue with the real AWS
//! adapters over them, test doubles for fault cases moto cannot produce, and
//! small helpers (a PNG, fixture placeholders).
//!
//! Each test binary uses part of this module.
#![allow(dead_code)]

pub mod doubles;

use std::io::Cursor;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_sqs::types::QueueAttributeName;
use pixpipe_aws::{Aws, AwsConfig, clients, create_table, http_client};
use pixpipe_core::{Job, JobId, NewJob, Service, Settings, UploadTicket};
use uuid::Uuid;

const HOW_TO: &str = "these tests need a moto server: start it with `scripts/moto-server` and run \
     `AWS_ENDPOINT_URL=http://127.0.0.1:5055 cargo test -p pixpipe-lambda`";

/// `AWS_ENDPOINT_URL`, checked to accept connections; panics otherwise.
pub async fn endpoint() -> String {
    let Some(endpoint) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        panic!("AWS_ENDPOINT_URL is not set; {HOW_TO}");
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

/// The SDK config for moto: its endpoint, `us-east-1`, dummy credentials.
pub async fn sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint().await)
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "pixpipe-lambda-tests",
        ))
        .load()
        .await
}

/// A name no other test uses.
pub fn unique(tag: &str) -> String {
    format!("pxl-{tag}-{}", Uuid::now_v7().simple())
}

/// One test's AWS resources (on moto) and the real adapters over them.
pub struct Env {
    pub cfg: AwsConfig,
    pub aws: Aws,
    pub queue_arn: String,
}

impl Env {
    /// Two buckets, the jobs table and a queue, uniquely named; `max_attempts` 3.
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
            s3.create_bucket()
                .bucket(bucket)
                .send()
                .await
                .expect("CreateBucket");
        }
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

    /// The API's use cases over the real adapters, default settings.
    pub fn service(&self) -> Service {
        Service::new(
            self.aws.jobs.clone(),
            self.aws.blobs.clone(),
            Settings::default(),
        )
    }

    /// Creates a job for `bytes` (a PNG) as the API does, without uploading.
    pub async fn create_job(&self, owner: &str, bytes: &[u8]) -> (Job, UploadTicket) {
        let request = NewJob {
            content_type: "image/png".to_owned(),
            content_length: bytes.len() as u64,
            filename: Some("été.png".to_owned()),
            preset: None,
            variants: None,
        };
        self.service()
            .create(owner, request)
            .await
            .expect("create job")
    }

    /// Creates a job and uploads `bytes` to its presigned URL, as a client does.
    pub async fn uploaded_job(&self, owner: &str, bytes: &[u8]) -> Job {
        let (job, ticket) = self.create_job(owner, bytes).await;
        upload(&ticket, bytes.to_vec()).await;
        job
    }

    pub async fn job(&self, id: JobId) -> Job {
        use pixpipe_core::JobStore as _;
        self.aws
            .jobs
            .get(id)
            .await
            .expect("get job")
            .expect("job exists")
    }
}

/// PUTs `bytes` to the ticket's URL with exactly its headers.
pub async fn upload(ticket: &UploadTicket, bytes: Vec<u8>) {
    assert_eq!(ticket.method, "PUT");
    let headers: Vec<(String, String)> = ticket.headers.clone().into_iter().collect();
    put(&ticket.url, &headers, bytes).await;
}

/// PUTs `bytes` to a presigned `url` with these headers; panics unless 2xx.
pub async fn put(url: &str, headers: &[(String, String)], bytes: Vec<u8>) {
    let mut put = reqwest::Client::new().put(url).body(bytes);
    for (name, value) in headers {
        put = put.header(name, value);
    }
    let status = put.send().await.expect("upload").status();
    assert!(status.is_success(), "upload answered {status}");
}

/// A small PNG with some structure.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

/// `template` with each `${NAME}` replaced; panics if a placeholder is left.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    assert!(!out.contains("${"), "unfilled placeholder in fixture");
    out
}
