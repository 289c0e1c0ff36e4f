//! The worker function: an SQS batch of S3 `ObjectCreated` notifications in,
//! the messages to deliver again out, as a partial batch response (the event
//! source mapping needs `FunctionResponseTypes: [ReportBatchItemFailures]`).
//!
//! Each message is handled on its own, in a span with its `message_id` and
//! `job_id`, so one bad message fails alone. [`plan`] decides, without I/O:
//!
//! | message | result |
//! |---|---|
//! | S3's `s3:TestEvent` | acknowledged |
//! | not JSON, or not an S3 event notification (poison) | batch item failure: it comes back until the queue's `maxReceiveCount` moves it to the dead-letter queue, where it stays for inspection (a batch item failure there too) |
//! | an object of another bucket, or a key (URL-decoded) that is not `uploads/{uuid}` | logged, acknowledged |
//! | `uploads/{job id}` | [`Pipeline::run`]; `Outcome::Retry` is a batch item failure, any other outcome acknowledged |
//! | `uploads/{job id}` from the dead-letter queue (its `eventSourceARN` names `PIXPIPE_DEAD_LETTER_QUEUE_URL`'s queue) | the job fails with `processing_failed` unless it has ended ([`dead_letter::fail_job`]); acknowledged |
//!
//! Delivery number `n` is the record's `ApproximateReceiveCount` (1 when missing
//! or garbled). Delivery `PIXPIPE_MAX_ATTEMPTS` is the last attempt: a transient
//! error then fails the job (`processing_failed`) and the message is
//! acknowledged. The queue's redrive `maxReceiveCount` must therefore be at
//! least `PIXPIPE_MAX_ATTEMPTS`, and one more is better: it lets a last attempt
//! lost to a crash or timeout run again. With less, messages reach the
//! dead-letter queue while their job still says `processing`.
//!
//! With `PIXPIPE_METRICS=emf` (set by `template.yaml`), each job finished
//! (succeeded or failed) writes one CloudWatch Embedded
//! Metric Format line to stdout ([`pixpipe_worker::metrics`]).
//!
//! Duplicate deliveries are safe: the pipeline's claim lets one delivery of an
//! attempt run; the others are skipped and acknowledged.

use std::fmt::Write as _;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::StreamExt as _;
use pixpipe_aws::messages::{self, Plan};
use pixpipe_aws::{Aws, AwsConfig};
use pixpipe_core::JobId;
use pixpipe_worker::{Outcome, Pipeline, dead_letter};

use crate::config::WorkerFunction;
use tracing::{Instrument as _, error, field, info, info_span, warn};

/// What [`handle_batch`] needs, built once per cold start.
#[derive(Clone)]
pub struct WorkerDeps {
    pub pipeline: Pipeline,
    /// Only objects of this bucket are jobs' sources.
    pub source_bucket: String,
    /// `PIXPIPE_MAX_ATTEMPTS`: the delivery that is a job's last attempt.
    pub max_attempts: u32,
    /// Messages of a batch handled at once (image work runs on the blocking pool).
    pub concurrency: usize,
    /// Name of the dead-letter queue (`PIXPIPE_DEAD_LETTER_QUEUE_URL`'s last
    /// segment): a message whose `eventSourceARN` ends with it is a dead
    /// letter, whose jobs are failed, not run.
    pub dead_letter_queue: Option<String>,
}

impl WorkerDeps {
    /// Over the AWS adapters, one message per available core at a time; no
    /// watermark (see the README).
    pub fn new(aws: &Aws, cfg: &AwsConfig, settings: &WorkerFunction) -> Self {
        WorkerDeps {
            pipeline: pixpipe_config::startup::pipeline(
                aws.jobs.clone(),
                aws.blobs.clone(),
                &settings.job,
                &settings.worker,
                settings.worker.callback_secret.as_deref(),
                None,
            ),
            source_bucket: cfg.source_bucket.clone(),
            max_attempts: cfg.max_attempts,
            concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            dead_letter_queue: cfg
                .dead_letter_queue_url
                .as_deref()
                .and_then(|url| url.trim_end_matches('/').rsplit('/').next())
                .map(str::to_owned),
        }
    }
}

/// The record's `ApproximateReceiveCount`, at least 1; `None` when missing or garbled.
pub fn receive_count(message: &SqsMessage) -> Option<u32> {
    messages::receive_count(raw_receive_count(message))
}

fn raw_receive_count(message: &SqsMessage) -> Option<&str> {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .map(String::as_str)
}

/// Decides what `message` asks for, without I/O ([`messages::plan`]).
pub fn plan(message: &SqsMessage, source_bucket: &str, max_attempts: u32) -> Plan {
    messages::plan(
        message.body.as_deref(),
        raw_receive_count(message),
        Some(source_bucket),
        max_attempts,
    )
}

/// What became of one message.
#[derive(Debug)]
pub enum Handled {
    TestEvent,
    Poison,
    /// Each job the message named, with its outcome.
    Jobs(Vec<(JobId, Outcome)>),
    /// A dead letter: its jobs were failed, but `errors` of them could not be.
    DeadLetter {
        jobs: usize,
        errors: usize,
    },
}

impl Handled {
    /// Whether the message must come back (a batch item failure).
    pub fn must_retry(&self) -> bool {
        match self {
            Handled::TestEvent => false,
            Handled::Poison => true,
            Handled::Jobs(outcomes) => outcomes.iter().any(|(_, o)| !o.is_final()),
            Handled::DeadLetter { errors, .. } => *errors > 0,
        }
    }
}

impl WorkerDeps {
    /// Whether `message` comes from the dead-letter queue.
    pub fn is_dead_letter(&self, message: &SqsMessage) -> bool {
        let (Some(queue), Some(arn)) = (&self.dead_letter_queue, &message.event_source_arn) else {
            return false;
        };
        arn.rsplit(':').next() == Some(queue.as_str())
    }
}

/// Handles one message in its own span.
pub async fn handle_message(message: &SqsMessage, deps: &WorkerDeps) -> Handled {
    let span = info_span!(
        "sqs_message",
        message_id = message.message_id.as_deref().unwrap_or("?"),
        job_id = field::Empty
    );
    run_plan(message, deps, &span)
        .instrument(span.clone())
        .await
}

async fn run_plan(message: &SqsMessage, deps: &WorkerDeps, span: &tracing::Span) -> Handled {
    let plan = plan(message, &deps.source_bucket, deps.max_attempts);
    let body_bytes = message.body.as_ref().map_or(0, String::len);
    messages::log_plan(&plan, raw_receive_count(message), body_bytes);
    let (jobs, receive_count, last_attempt) = match plan {
        Plan::TestEvent => return Handled::TestEvent,
        Plan::Poison => return Handled::Poison,
        Plan::Jobs {
            jobs,
            receive_count,
            last_attempt,
            ..
        } => (jobs, receive_count, last_attempt),
    };
    if !jobs.is_empty() {
        let mut ids = String::new();
        for (n, id) in jobs.iter().enumerate() {
            let _ = write!(ids, "{}{id}", if n == 0 { "" } else { "," });
        }
        span.record("job_id", ids.as_str());
    }
    if deps.is_dead_letter(message) {
        let mut errors = 0;
        for id in &jobs {
            let callbacks = deps.pipeline.callbacks.as_ref();
            if let Err(e) = dead_letter::fail_job(deps.pipeline.jobs.as_ref(), *id, callbacks).await
            {
                warn!(error = ?e, job_id = %id, "could not fail a dead-lettered job; it comes back");
                errors += 1;
            }
        }
        return Handled::DeadLetter {
            jobs: jobs.len(),
            errors,
        };
    }
    let mut outcomes = Vec::with_capacity(jobs.len());
    for id in jobs {
        let outcome = deps.pipeline.run(id, receive_count, last_attempt).await;
        match &outcome {
            Outcome::Skipped(reason) => info!(job_id = %id, reason, "delivery skipped"),
            Outcome::Retry(_) => {
                info!(job_id = %id, receive_count, "delivery failed, will come back")
            }
            Outcome::Succeeded(_) | Outcome::Failed { .. } => {}
        }
        outcomes.push((id, outcome));
    }
    Handled::Jobs(outcomes)
}

/// Handles every record of `event`; the response lists those to deliver again.
///
/// A record to retry without a `messageId` (never seen from SQS) is reported
/// with an empty identifier, which makes Lambda retry the whole batch: safe,
/// since deliveries are idempotent, and better than losing it.
pub async fn handle_batch(event: SqsEvent, deps: &WorkerDeps) -> SqsBatchResponse {
    let handled: Vec<(Option<String>, bool)> = futures_util::stream::iter(event.records)
        .map(|message| async move {
            let retry = handle_message(&message, deps).await.must_retry();
            (message.message_id, retry)
        })
        .buffered(deps.concurrency.max(1))
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    for (message_id, retry) in handled {
        if !retry {
            continue;
        }
        match message_id.filter(|id| !id.is_empty()) {
            Some(id) => response.add_failure(id),
            None => {
                error!("a message to retry has no messageId; failing the whole batch");
                response.add_failure("");
            }
        }
    }
    response
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
