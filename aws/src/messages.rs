//! The one reading of a message of the uploads queue (or of its dead-letter
//! queue), shared by the worker Lambda and by [`crate::SqsQueue`]'s long
//! polling: [`plan`] decides, without I/O, what the message asks for, and
//! [`log_plan`] says so in the same words everywhere.
//!
//! | message | plan | then |
//! |---|---|---|
//! | S3's `s3:TestEvent` | [`Plan::TestEvent`] | acknowledged (deleted) |
//! | not JSON, or not an S3 event notification | [`Plan::Poison`] | left alone: it comes back until the queue's `maxReceiveCount` moves it to the dead-letter queue, where it is kept for inspection |
//! | an object of another bucket, or a key (URL-decoded) that is not `uploads/{uuid}` | ignored in [`Plan::Jobs`] | logged, acknowledged |
//! | `uploads/{job id}` | a job in [`Plan::Jobs`] | run (or, from the dead-letter queue, failed) |
//!
//! Delivery number `n` is the message's `ApproximateReceiveCount` (1 when
//! missing or garbled). Delivery `max_attempts` is a job's last attempt.

use pixpipe_core::JobId;
use tracing::{info, warn};

use crate::events::{self, S3Message};

/// Longest part of a foreign key that is logged.
const LOGGED_KEY_CHARS: usize = 200;

/// What one message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// S3's test event, sent when a notification is configured.
    TestEvent,
    /// Not an S3 event notification: never processable.
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

/// `ApproximateReceiveCount`, at least 1; `None` when missing or garbled.
pub fn receive_count(raw: Option<&str>) -> Option<u32> {
    raw?.trim().parse::<u32>().ok().map(|n| n.max(1))
}

/// Decides what a message asks for: its `body`, its raw
/// `ApproximateReceiveCount`, objects of `source_bucket` only (`None`: of any).
pub fn plan(
    body: Option<&str>,
    raw_receive_count: Option<&str>,
    source_bucket: Option<&str>,
    max_attempts: u32,
) -> Plan {
    let objects = match events::parse(body.unwrap_or("")) {
        S3Message::TestEvent => return Plan::TestEvent,
        S3Message::Unrecognised => return Plan::Poison,
        S3Message::Objects(objects) => objects,
    };
    let (mut jobs, mut ignored) = (Vec::new(), Vec::new());
    for object in objects {
        if source_bucket.is_some_and(|b| b != object.bucket) {
            ignored.push(Ignored::OtherBucket {
                bucket: object.bucket,
            });
        } else if let Some(id) = JobId::from_source_key(&object.key) {
            jobs.push(id);
        } else {
            ignored.push(Ignored::NotASource { key: object.key });
        }
    }
    let receive_count = receive_count(raw_receive_count).unwrap_or(1);
    Plan::Jobs {
        jobs,
        ignored,
        receive_count,
        last_attempt: receive_count >= max_attempts,
    }
}

/// Logs what [`plan`] decided, in the current span (which should carry the
/// message id). `body_bytes` is the body's length: a body is never logged.
pub fn log_plan(plan: &Plan, raw_receive_count: Option<&str>, body_bytes: usize) {
    match plan {
        Plan::TestEvent => info!("S3 test event, acknowledged"),
        Plan::Poison => warn!(
            body_bytes,
            "not an S3 event notification; left for the dead-letter queue, kept there for inspection"
        ),
        Plan::Jobs { ignored, .. } => {
            if receive_count(raw_receive_count).is_none() {
                warn!("no readable ApproximateReceiveCount; taking 1");
            }
            for object in ignored {
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
        }
    }
}
