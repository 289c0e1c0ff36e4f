//! Shared set-up of the Lambda tests: the moto endpoint (required, never
//! skipped), the resources of `template.yaml` under a unique stack name with
//! the real AWS adapters over them, test doubles for fault cases moto cannot produce, and
//! small helpers (a PNG, fixture placeholders).
//!
//! Each test binary uses part of this module.
#![allow(dead_code)]

pub mod doubles;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use pixpipe_aws::{Aws, AwsConfig, clients};
use pixpipe_core::{Job, JobId, NewJob, Service, Settings, UploadTicket};
use pixpipe_testkit::Plan;
use serde_json::{Value, json};
use std::io::Cursor;

const HOW_TO: &str = "start it with `scripts/moto-server` and run \
     `AWS_ENDPOINT_URL=http://127.0.0.1:5055 cargo test -p pixpipe-lambda`";

/// The SDK config for moto at `AWS_ENDPOINT_URL` (checked to answer), the
/// region (default `us-east-1`) and dummy credentials; panics with how to start it.
pub async fn sdk() -> SdkConfig {
    pixpipe_testkit::local_sdk_from_env()
        .await
        .unwrap_or_else(|e| panic!("{e}: these tests need a moto server; {HOW_TO}"))
}

/// One test's AWS resources (on moto) and the real adapters over them.
pub struct Env {
    pub cfg: AwsConfig,
    pub aws: Aws,
    pub queue_arn: String,
}

impl Env {
    /// What `template.yaml` declares, under a unique stack name; `MaxAttempts` 3.
    pub async fn new() -> Env {
        let sdk = sdk().await;
        let plan = Plan::unique("lt").parameter("MaxAttempts", "3");
        let stack = pixpipe_testkit::provision(&sdk, &plan)
            .await
            .expect("resources from template.yaml");
        let queue_arn = stack
            .attribute("UploadsQueue", "Arn")
            .expect("queue arn")
            .to_owned();
        let aws = clients(&stack.config, &sdk);
        Env {
            cfg: stack.config,
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
            callback_url: None,
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

/// Receives from the queue until a body mentions `needle`, and returns every
/// message received as the SQS event Lambda's event source mapping would send.
pub async fn sqs_event_with(env: &Env, needle: &str) -> SqsEvent {
    let sqs = env.aws.queue.client();
    let mut records = Vec::new();
    for _ in 0..10 {
        let out = sqs
            .receive_message()
            .queue_url(&env.cfg.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("ReceiveMessage");
        for message in out.messages.unwrap_or_default() {
            let attributes: serde_json::Map<String, Value> = message
                .attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_owned(), Value::from(v.as_str())))
                .collect();
            records.push(json!({
                "messageId": message.message_id(),
                "receiptHandle": message.receipt_handle(),
                "body": message.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": message.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": env.queue_arn,
                "awsRegion": "us-east-1",
            }));
        }
        if records
            .iter()
            .any(|r| r["body"].as_str().is_some_and(|b| b.contains(needle)))
        {
            return serde_json::from_value(json!({ "Records": records })).expect("an SqsEvent");
        }
    }
    let bodies: Vec<&Value> = records.iter().map(|r| &r["body"]).collect();
    panic!("no notification for {needle} arrived; got {bodies:?}");
}
