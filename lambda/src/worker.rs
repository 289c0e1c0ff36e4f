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
//! | not JSON, or not an S3 event notification (poison) | batch item failure: it comes back until the queue's `maxReceiveCount` moves it to the dead-letter queue, for inspection |
//! | an object of another bucket, or a key (URL-decoded) that is not `uploads/{uuid}` | logged, acknowledged |
//! | `uploads/{job id}` | [`Pipeline::run`]; `Outcome::Retry` is a batch item failure, any other outcome acknowledged |
//!
//! Delivery number `n` is the record's `ApproximateReceiveCount` (1 when missing
//! or garbled). Delivery `PIXPIPE_MAX_ATTEMPTS` is the last attempt: a transient
//! error then fails the job (`processing_failed`) and the message is
//! acknowledged. The queue's redrive `maxReceiveCount` must therefore be at
//! least `PIXPIPE_MAX_ATTEMPTS`, and one more is better: it lets a last attempt
//! lost to a crash or timeout run again. With less, messages reach the
//! dead-letter queue while their job still says `processing`.
//!
//! Each job finished (succeeded or failed) writes one CloudWatch Embedded
//! Metric Format line to stdout ([`pixpipe_worker::metrics`]).
//!
//! Duplicate deliveries are safe: the pipeline's claim lets one delivery of an
//! attempt run; the others are skipped and acknowledged.

use std::fmt::Write as _;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::StreamExt as _;
use pixpipe_aws::events::{self, S3Message};
use pixpipe_aws::{Aws, AwsConfig};
use pixpipe_core::JobId;
use pixpipe_imaging::Limits;
use pixpipe_worker::metrics::MetricsSink;
use pixpipe_worker::{Outcome, Pipeline};
use tracing::{Instrument as _, error, field, info, info_span, warn};

/// Longest part of a foreign key that is logged.
const LOGGED_KEY_CHARS: usize = 200;

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
}

impl WorkerDeps {
    /// Over the AWS adapters, one message per available core at a time.
    pub fn new(aws: &Aws, cfg: &AwsConfig, limits: Limits) -> Self {
        WorkerDeps {
            pipeline: Pipeline {
                jobs: aws.jobs.clone(),
                blobs: aws.blobs.clone(),
                limits,
                callbacks: None,
                watermark: None,
                metrics: MetricsSink::stdout(),
            },
            source_bucket: cfg.source_bucket.clone(),
            max_attempts: cfg.max_attempts,
            concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// What one message asks for, decided by [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// S3's test event, sent when a notification is configured.
    TestEvent,
    /// Not an S3 event notification.
    Poison,
    /// Run these jobs (possibly none: every object was ignored).
    Jobs {
        jobs: Vec<JobId>,
        ignored: Vec<Ignored>,
        receive_count: u32,
        last_attempt: bool,
    },
}

/// An object of a notification that is no job's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    OtherBucket { bucket: String },
    NotASource { key: String },
}

/// The record's `ApproximateReceiveCount`, at least 1; `None` when missing or garbled.
pub fn receive_count(message: &SqsMessage) -> Option<u32> {
    let raw = message.attributes.get("ApproximateReceiveCount")?;
    raw.trim().parse::<u32>().ok().map(|n| n.max(1))
}

/// Decides what `message` asks for, without I/O.
pub fn plan(message: &SqsMessage, source_bucket: &str, max_attempts: u32) -> Plan {
    let objects = match events::parse(message.body.as_deref().unwrap_or("")) {
        S3Message::TestEvent => return Plan::TestEvent,
        S3Message::Unrecognised => return Plan::Poison,
        S3Message::Objects(objects) => objects,
    };
    let (mut jobs, mut ignored) = (Vec::new(), Vec::new());
    for object in objects {
        if object.bucket != source_bucket {
            ignored.push(Ignored::OtherBucket {
                bucket: object.bucket,
            });
        } else if let Some(id) = JobId::from_source_key(&object.key) {
            jobs.push(id);
        } else {
            ignored.push(Ignored::NotASource { key: object.key });
        }
    }
    let receive_count = receive_count(message).unwrap_or(1);
    Plan::Jobs {
        jobs,
        ignored,
        receive_count,
        last_attempt: receive_count >= max_attempts,
    }
}

/// What became of one message.
#[derive(Debug)]
pub enum Handled {
    TestEvent,
    Poison,
    /// Each job the message named, with its outcome.
    Jobs(Vec<(JobId, Outcome)>),
}

impl Handled {
    /// Whether the message must come back (a batch item failure).
    pub fn must_retry(&self) -> bool {
        match self {
            Handled::TestEvent => false,
            Handled::Poison => true,
            Handled::Jobs(outcomes) => outcomes.iter().any(|(_, o)| !o.is_final()),
        }
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
    let (jobs, ignored, receive_count, last_attempt) =
        match plan(message, &deps.source_bucket, deps.max_attempts) {
            Plan::TestEvent => {
                info!("S3 test event, acknowledged");
                return Handled::TestEvent;
            }
            Plan::Poison => {
                // Never the body: it is not ours to print.
                let body_bytes = message.body.as_ref().map_or(0, String::len);
                warn!(
                    body_bytes,
                    "not an S3 event notification; failing it so it reaches the dead-letter queue"
                );
                return Handled::Poison;
            }
            Plan::Jobs {
                jobs,
                ignored,
                receive_count,
                last_attempt,
            } => (jobs, ignored, receive_count, last_attempt),
        };
    if !jobs.is_empty() {
        let mut ids = String::new();
        for (n, id) in jobs.iter().enumerate() {
            let _ = write!(ids, "{}{id}", if n == 0 { "" } else { "," });
        }
        span.record("job_id", ids.as_str());
    }
    if self::receive_count(message).is_none() {
        warn!("no readable ApproximateReceiveCount; taking 1");
    }
    for object in &ignored {
        match object {
            Ignored::OtherBucket { bucket } => {
                warn!(%bucket, "object of another bucket, acknowledged");
            }
            Ignored::NotASource { key } => {
                let key: String = key.chars().take(LOGGED_KEY_CHARS).collect();
                warn!(key = %key.escape_debug(), "key is no job's source, acknowledged");
            }
        }
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
