//! pixpipe's AWS adapters: the ports of `pixpipe-core` over DynamoDB, S3 and SQS.
//!
//! ```text
//! client ──POST /v1/jobs──▶ API ──▶ DynamoJobs.insert + S3Blobs.presign_upload
//! client ──PUT presigned URL──▶ source bucket uploads/{id}
//!            └─ ObjectCreated notification ─▶ SQS ─▶ SqsQueue.receive ─▶ worker
//! worker ──▶ S3Blobs.get uploads/{id}, put_public results/{id}/… ─▶ public_base
//! ```
//!
//! - [`dynamo`]: [`DynamoJobs`] (`JobStore`), [`JobItem`].
//! - [`s3`]: [`S3Blobs`] (`BlobStore`), with presigned uploads that sign type and length.
//! - [`sqs`]: [`SqsQueue`] (`WorkQueue`) over S3 event notifications.
//! - [`events`]: parsing S3 event notification bodies ([`S3Message`]).
//! - [`messages`]: the one reading of a queue message ([`messages::plan`]), and its poison policy.
//! - [`config`]: [`AwsConfig`], [`connect`] → [`Aws`].
//! - [`error`]: [`CallError`] (one failed AWS call, SDK error as its source) and friends.
//!
//! `SqsQueue::max_receives` is `PIXPIPE_MAX_ATTEMPTS`; give the queue's redrive
//! policy a `maxReceiveCount` of at least that (one more lets the worker still
//! fail the job itself after a crash during its last attempt).
//!
//! The resources themselves come from `template.yaml` (SAM) in an account; for
//! tests on a local AWS-protocol server the dev-only `pixpipe-testkit` crate
//! makes them from the same template.

pub mod config;
pub mod dynamo;
pub mod error;
pub mod events;
pub mod messages;
pub mod s3;
pub mod sqs;

pub use config::{Aws, AwsConfig, clients, connect, http_client, load_sdk_config};
pub use dynamo::{DynamoJobs, JobItem};
pub use error::{CallError, ItemError};
pub use events::{ObjectRef, S3Message};
pub use s3::S3Blobs;
pub use sqs::SqsQueue;
