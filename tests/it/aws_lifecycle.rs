//! `pixpipe serve --backend aws` keeps local mode's lifecycle promises
//! against the local AWS-protocol server: an uploaded job reads `queued`
//! until a worker takes it, a lapsed one lists `expired`, a dead-lettered one
//! ends `failed` with `processing_failed` while a message naming no job stays
//! in the dead-letter queue; and at `RUST_LOG=trace` no request signature
//! reaches the logs.

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use pixpipe_testkit::{Plan, Stack};
use serde_json::{Value, json};

use crate::aws_backend::serve_aws_with;
use crate::common::{Photo, ServeProcess};

pub struct Aws {
    sdk: aws_config::SdkConfig,
    stack: Stack,
    endpoint: String,
    region: String,
}

pub async fn provision(name: &str) -> Aws {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: start moto with `scripts/moto-server` (./scripts/test does)",
    );
    let sdk = pixpipe_testkit::local_sdk(&endpoint).await;
    let plan = Plan::unique(name).parameter("MaxAttempts", "3");
    let stack = pixpipe_testkit::provision(&sdk, &plan)
        .await
        .expect("resources created from template.yaml");
    let region = sdk.region().expect("a region").to_string();
    Aws {
        sdk,
        stack,
        endpoint,
        region,
    }
}

impl Aws {
    pub async fn serve(&self, flags: &[&str], vars: &[(&str, &str)]) -> ServeProcess {
        serve_aws_with(&self.stack, &self.endpoint, &self.region, flags, vars).await
    }

    /// The S3 notification of job `id`'s upload, as S3 sends it.
    fn event(&self, id: &str) -> String {
        json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": self.stack.config.source_bucket},
                   "object": {"key": format!("uploads/{id}"), "size": 1000}}
        }]})
        .to_string()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_lettered_job_fails_and_a_message_naming_no_job_is_kept() {
    let aws = provision("dlq").await;
    let server = aws
        .serve(&["--workers", "1"], &[("RUST_LOG", "trace")])
        .await;
    let (status, created) = server
        .create(json!({"content_type": "image/jpeg", "content_length": 1000}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();

    let sqs = aws_sdk_sqs::Client::new(&aws.sdk);
    let dead_letters = aws
        .stack
        .config
        .dead_letter_queue_url
        .clone()
        .expect("template.yaml gives the functions PIXPIPE_DEAD_LETTER_QUEUE_URL");
    for body in [aws.event(id), "not an S3 event".to_owned()] {
        sqs.send_message()
            .queue_url(&dead_letters)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let job = server.wait_done(id, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "processing_failed", "{job}");

    // Only the poison is left (the handled dead letter is deleted just after
    // its job fails), hidden until it is looked at again.
    let started = std::time::Instant::now();
    loop {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&dead_letters)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let count = |name: QueueAttributeName| -> u64 {
            attributes.attributes().unwrap()[&name].parse().unwrap()
        };
        let (visible, hidden) = (
            count(QueueAttributeName::ApproximateNumberOfMessages),
            count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        );
        if (visible, hidden) == (0, 1) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "dead-letter queue: {visible} visible, {hidden} hidden"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let logs = server.logs();
    server.stop().await;
    assert!(logs.contains("dead-lettered job failed"), "{logs}");
    assert!(logs.contains("kept there for inspection"), "{logs}");
    for secret in ["Signature=", "AWS4-HMAC-SHA256", "x-amz-security-token"] {
        assert!(!logs.contains(secret), "{secret} logged at RUST_LOG=trace");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_reads_queued_and_a_lapsed_job_lists_expired() {
    let aws = provision("states").await;
    // The API alone: nothing takes the upload's notification off the queue.
    let server = aws
        .serve(&["--role", "api", "--upload-ttl-secs", "2"], &[])
        .await;
    let photo = Photo::Rocket.bytes().to_vec();
    let uploaded = server.create_for(&photo, "image/jpeg", json!({})).await;
    let lapsed = server.create_for(&photo, "image/jpeg", json!({})).await;
    let job_url = |job: &Value| server.url(&format!("/v1/jobs/{}", job["id"].as_str().unwrap()));
    assert_eq!(
        server.get_json(job_url(&uploaded)).await["status"],
        "awaiting_upload"
    );
    let res = server.upload(&uploaded, photo).await;
    assert!(res.status().is_success(), "S3 PUT: {}", res.status());
    let job = server.get_json(job_url(&uploaded)).await;
    assert_eq!(job["status"], "queued", "{job}");

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let page = server.get_json(server.url("/v1/jobs")).await;
    let status_of = |job: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == job["id"])
            .map(|item| (item["status"].clone(), item["error"]["code"].clone()))
    };
    assert_eq!(
        status_of(&lapsed),
        Some((json!("expired"), json!("upload_expired"))),
        "{page}"
    );
    assert_eq!(status_of(&uploaded), Some((json!("queued"), Value::Null)));
    server.stop().await;
}
