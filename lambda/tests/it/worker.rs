//! The worker function's `handle_batch` on SQS batches of S3 notifications in
//! the shape Lambda delivers them (`data/sqs-batch-s3-notifications.json`),
//! against moto with the real AWS adapters; transient faults come from a
//! wrapper that fails chosen reads, and a store outage from test doubles.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use pixpipe_core::{BlobStore, JobId, JobStatus};
use pixpipe_imaging::Limits;
use pixpipe_lambda::{Handled, WorkerDeps, handle_batch, handle_message};
use pixpipe_worker::metrics::MetricsSink;
use pixpipe_worker::{Outcome, Pipeline};
use serde_json::Value;

use crate::common::doubles::{DownBlobs, DownJobs, FlakyBlobs};
use crate::common::{Env, fill, png};

const BATCH: &str = include_str!("data/sqs-batch-s3-notifications.json");

// The fixture's message ids.
const OK: &str = "6f1a3c2e-8b4d-4e9a-9c1f-2d7e5b0a4c31";
const TEST_EVENT: &str = "1b7e9d40-3c5a-4f28-8e6b-9a0c1d2e3f45";
const NOT_JSON: &str = "c0ffee00-5a1b-4c2d-8e3f-4a5b6c7d8e9f";
const NOT_S3: &str = "8d2f6a1b-7c3e-4d5f-9a0b-1c2d3e4f5a6b";
const RETRY: &str = "2a4c6e80-1b3d-4f57-9a2c-4e6f8a0b2c4d";
const OTHER_KEY: &str = "5e7a9c1b-2d4f-4a6c-8e0b-3d5f7a9c1e2b";
const OTHER_BUCKET: &str = "9b1d3f5a-7c9e-4b2d-8f4a-6c8e0a2c4e6f";

const OWNER: &str = "owner-lambda";

/// The fixture with its placeholders filled, as JSON records.
fn records(bucket: &str, ok: JobId, retry: JobId, foreign: JobId) -> Vec<Value> {
    let text = fill(
        BATCH,
        &[
            ("SOURCE_BUCKET", bucket),
            ("JOB_OK", &ok.to_string()),
            ("JOB_RETRY", &retry.to_string()),
            ("JOB_FOREIGN", &foreign.to_string()),
        ],
    );
    let value: Value = serde_json::from_str(&text).expect("fixture is JSON");
    value["Records"].as_array().expect("Records").clone()
}

/// An SQS event of the records with these ids, each received `count` times.
fn event(records: &[Value], ids: &[&str], count: u32) -> SqsEvent {
    let picked: Vec<Value> = ids
        .iter()
        .map(|id| {
            let mut record = records
                .iter()
                .find(|r| r["messageId"] == *id)
                .unwrap_or_else(|| panic!("no record {id}"))
                .clone();
            record["attributes"]["ApproximateReceiveCount"] = count.to_string().into();
            record
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": picked })).expect("an SqsEvent")
}

fn failures(response: &SqsBatchResponse) -> Vec<String> {
    let mut ids: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

/// The real adapters, except that reads of chosen sources fail transiently.
fn deps(env: &Env) -> (WorkerDeps, Arc<FlakyBlobs>) {
    let flaky = Arc::new(FlakyBlobs::new(env.aws.blobs.clone()));
    let deps = WorkerDeps {
        pipeline: Pipeline {
            jobs: env.aws.jobs.clone(),
            blobs: flaky.clone(),
            limits: Limits::default(),
            callbacks: None,
            watermark: None,
            metrics: MetricsSink::Off,
        },
        source_bucket: env.cfg.source_bucket.clone(),
        max_attempts: env.cfg.max_attempts,
        concurrency: 2,
        dead_letter_queue: None,
    };
    (deps, flaky)
}

#[tokio::test]
async fn a_mixed_batch_fails_exactly_the_poison_and_the_retryable() {
    let env = Env::new().await;
    let (deps, flaky) = deps(&env);
    let photo = png(640, 480);
    let ok = env.uploaded_job(OWNER, &photo).await;
    let retry = env.uploaded_job(OWNER, &photo).await;
    flaky.fail_reads_of(retry.source_key());
    let (foreign, _) = env.create_job(OWNER, &photo).await;

    let records = records(&env.cfg.source_bucket, ok.id, retry.id, foreign.id);
    let all = [
        OK,
        TEST_EVENT,
        NOT_JSON,
        NOT_S3,
        RETRY,
        OTHER_KEY,
        OTHER_BUCKET,
    ];
    let response = handle_batch(event(&records, &all, 1), &deps).await;

    assert_eq!(failures(&response), sorted(&[NOT_JSON, NOT_S3, RETRY]));
    let done = env.job(ok.id).await;
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.results.len(), 3);
    assert_eq!(done.attempts, 1);
    let waiting = env.job(retry.id).await;
    assert_eq!(
        (waiting.status, waiting.attempts),
        (JobStatus::Processing, 1)
    );
    // The other bucket's object named a real job: left alone.
    let untouched = env.job(foreign.id).await;
    assert_eq!(
        (untouched.status, untouched.attempts),
        (JobStatus::AwaitingUpload, 0)
    );
}

#[tokio::test]
async fn the_last_receive_fails_the_job_and_acknowledges() {
    let env = Env::new().await;
    let (deps, flaky) = deps(&env);
    let job = env.uploaded_job(OWNER, &png(64, 64)).await;
    flaky.fail_reads_of(job.source_key());
    let records = records(&env.cfg.source_bucket, JobId::new(), job.id, JobId::new());

    for count in 1..deps.max_attempts {
        let response = handle_batch(event(&records, &[RETRY], count), &deps).await;
        assert_eq!(failures(&response), sorted(&[RETRY]), "delivery {count}");
        let now = env.job(job.id).await;
        assert_eq!((now.status, now.attempts), (JobStatus::Processing, count));
    }
    let last = deps.max_attempts;
    let response = handle_batch(event(&records, &[RETRY], last), &deps).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let failed = env.job(job.id).await;
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.attempts, last);
    assert_eq!(
        failed.error.expect("error").code,
        pixpipe_core::FailureCode::ProcessingFailed
    );
}

#[tokio::test]
async fn a_message_delivered_twice_is_processed_once() {
    let env = Env::new().await;
    let (deps, _) = deps(&env);
    let job = env.uploaded_job(OWNER, &png(320, 200)).await;
    let records = records(&env.cfg.source_bucket, job.id, JobId::new(), JobId::new());

    // Two records of the same notification in one batch (S3 may send it twice).
    let mut twice = event(&records, &[OK], 1);
    let mut copy = twice.records[0].clone();
    copy.message_id = Some("0d0d0d0d-1e1e-4f2f-8a3a-4b4b4b4b4b4b".to_owned());
    twice.records.push(copy);
    let response = handle_batch(twice, &deps).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let done = env.job(job.id).await;
    assert_eq!((done.status, done.attempts), (JobStatus::Succeeded, 1));

    // The same message again (a redelivery): skipped, acknowledged.
    let again = event(&records, &[OK], 1);
    match handle_message(&again.records[0], &deps).await {
        Handled::Jobs(outcomes) => {
            assert_eq!(outcomes.len(), 1);
            assert_eq!(outcomes[0].0, job.id);
            assert!(
                matches!(outcomes[0].1, Outcome::Skipped(_)),
                "{:?}",
                outcomes[0].1
            );
        }
        other => panic!("{other:?}"),
    }
    let response = handle_batch(again, &deps).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let after = env.job(job.id).await;
    assert_eq!((after.attempts, after.version), (1, done.version));
}

/// No moto needed: every port is down.
#[tokio::test]
async fn a_store_outage_fails_every_job_message_even_on_the_last_receive() {
    let blobs: Arc<dyn BlobStore> = Arc::new(DownBlobs);
    let deps = WorkerDeps {
        pipeline: Pipeline {
            jobs: Arc::new(DownJobs),
            blobs,
            limits: Limits::default(),
            callbacks: None,
            watermark: None,
            metrics: MetricsSink::Off,
        },
        source_bucket: "pixpipe-source".to_owned(),
        max_attempts: 5,
        concurrency: 4,
        dead_letter_queue: None,
    };
    let records = records("pixpipe-source", JobId::new(), JobId::new(), JobId::new());
    let all = [
        OK,
        TEST_EVENT,
        NOT_JSON,
        NOT_S3,
        RETRY,
        OTHER_KEY,
        OTHER_BUCKET,
    ];
    for count in [1, 5] {
        // On the last receive the job cannot even be marked failed: retry.
        let response = handle_batch(event(&records, &all, count), &deps).await;
        assert_eq!(
            failures(&response),
            sorted(&[OK, NOT_JSON, NOT_S3, RETRY]),
            "receive {count}"
        );
    }

    // A record to retry without a messageId fails the whole batch.
    let mut batch = event(&records, &[TEST_EVENT, NOT_JSON], 1);
    batch.records[1].message_id = None;
    let response = handle_batch(batch, &deps).await;
    assert_eq!(failures(&response), vec![String::new()]);
}
