//! The worker function reading the dead-letter queue: a dead letter of a job
//! fails it with `processing_failed` and is acknowledged; one of a finished
//! job changes nothing; a message that names no job stays (a batch item
//! failure), kept for inspection. Told apart from the uploads queue's
//! messages by their `eventSourceARN`.

use aws_lambda_events::event::sqs::SqsEvent;
use pixpipe_core::{FailureCode, JobStatus};
use pixpipe_lambda::{WorkerDeps, WorkerFunction, handle_batch};
use serde_json::{Value, json};

use crate::common::{Env, png};

const OWNER: &str = "owner-dead-letters";

fn record(message_id: &str, source_arn: &str, body: String) -> Value {
    json!({
        "messageId": message_id,
        "receiptHandle": "handle",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": "us-east-1",
    })
}

fn s3_event(bucket: &str, key: &str) -> String {
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 10}}
    }]})
    .to_string()
}

#[tokio::test]
async fn dead_letters_fail_their_jobs_and_poison_stays() {
    let env = Env::new().await;
    let bytes = png(64, 48);
    let (stuck, _) = env.create_job(OWNER, &bytes).await;
    let (done, _) = env.create_job(OWNER, &bytes).await;
    pixpipe_core::lifecycle::fail(
        env.aws.jobs.as_ref(),
        done.id,
        FailureCode::NotAnImage,
        "not an image",
    )
    .await
    .unwrap();

    use clap::Parser as _;
    let settings = WorkerFunction::try_parse_from(["worker"]).expect("defaults");
    let deps = WorkerDeps::new(&env.aws, &env.cfg, &settings);
    let dead_letter_url = env
        .cfg
        .dead_letter_queue_url
        .as_deref()
        .expect("template.yaml names the dead-letter queue");
    let name = dead_letter_url.rsplit('/').next().unwrap();
    let dead_arn = format!("arn:aws:sqs:us-east-1:123456789012:{name}");
    let bucket = &env.cfg.source_bucket;
    let event: SqsEvent = serde_json::from_value(json!({"Records": [
        record("stuck", &dead_arn, s3_event(bucket, &format!("uploads/{}", stuck.id))),
        record("done", &dead_arn, s3_event(bucket, &format!("uploads/{}", done.id))),
        record("poison", &dead_arn, "not an S3 event".to_owned()),
    ]}))
    .unwrap();
    let response = handle_batch(event, &deps).await;
    let failures: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failures, ["poison"]);

    let stuck = env.job(stuck.id).await;
    assert_eq!(stuck.status, JobStatus::Failed);
    let error = stuck.error.expect("an error");
    assert_eq!(error.code, FailureCode::ProcessingFailed);
    let done = env.job(done.id).await;
    assert_eq!(done.error.expect("its error").code, FailureCode::NotAnImage);
}

/// The same body from the uploads queue runs the job instead.
#[tokio::test]
async fn the_uploads_queue_is_not_taken_for_the_dead_letter_queue() {
    let env = Env::new().await;
    let bytes = png(64, 48);
    let job = env.uploaded_job(OWNER, &bytes).await;
    use clap::Parser as _;
    let settings = WorkerFunction::try_parse_from(["worker"]).expect("defaults");
    let deps = WorkerDeps::new(&env.aws, &env.cfg, &settings);
    let body = s3_event(&env.cfg.source_bucket, &format!("uploads/{}", job.id));
    let event: SqsEvent =
        serde_json::from_value(json!({"Records": [record("m", &env.queue_arn, body)]})).unwrap();
    let response = handle_batch(event, &deps).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(env.job(job.id).await.status, JobStatus::Succeeded);
}
