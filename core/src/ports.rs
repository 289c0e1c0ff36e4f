//! The ports: what the domain needs from storage and queues. Adapters
//! (local, AWS) implement them; the domain never names an adapter.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{BlobError, QueueError, StoreError};
use crate::job::{Job, JobId};

/// Durable job records with compare-and-swap writes.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a new job; its id is fresh. A record with the same id is
    /// refused (an error) and left as it was, never overwritten.
    async fn insert(&self, job: &Job) -> Result<(), StoreError>;
    async fn get(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    /// The owner's jobs, newest first, strictly older than `before` when given.
    async fn list(
        &self,
        owner: &str,
        before: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;
    /// Writes `job` only if the stored record still has `expected_version`.
    /// Returns `false` (and writes nothing) when it does not.
    async fn replace(&self, job: &Job, expected_version: u64) -> Result<bool, StoreError>;
    /// Removes the record; returns whether it existed.
    async fn delete(&self, id: JobId) -> Result<bool, StoreError>;
}

/// What a client needs to upload the source: send `method` to `url` with
/// exactly `headers`, before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = UploadInstructions)]
pub struct UploadTicket {
    #[schema(example = "PUT")]
    pub method: String,
    /// Signed URL. Treat it as a secret: whoever holds it can upload.
    pub url: String,
    /// The headers to send with the upload, exactly.
    #[schema(example = json!({"Content-Type": "image/jpeg", "Content-Length": "1604773"}))]
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// Object storage for sources and results.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A URL that accepts one upload to `key` with this type and length until `expires_at`.
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadTicket, BlobError>;
    /// Reads an object, refusing one over `max_bytes`.
    async fn get(&self, key: &str, max_bytes: u64) -> Result<Bytes, BlobError>;
    /// Whether an object is stored at `key` (an upload counts once all of
    /// it has arrived).
    async fn exists(&self, key: &str) -> Result<bool, BlobError>;
    /// Publishes an object at its public URL, immutable and cacheable.
    async fn put_public(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), BlobError>;
    /// Removes objects; absent ones are not an error.
    async fn delete(&self, keys: &[String]) -> Result<(), BlobError>;
    /// Where clients fetch a published object.
    fn public_url(&self, key: &str) -> String;
}

/// One delivery of a work item: the job to run and how often it was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub job_id: JobId,
    /// Opaque handle for `ack` / `release`.
    pub receipt: String,
    /// 1 on the first delivery.
    pub receive_count: u32,
}

/// An at-least-once work queue with visibility timeouts.
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Up to `max` deliveries, hidden from other consumers for `visibility`.
    /// Waits up to `wait` for one to arrive.
    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError>;
    /// Done with it: never deliver again.
    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError>;
    /// Deliver again after `delay` (a retry).
    async fn release(&self, delivery: &Delivery, delay: Duration) -> Result<(), QueueError>;
    /// Renews the lease: keeps a delivery still being worked on hidden for
    /// `visibility` from now. Workers call it while they run a job, so the
    /// visibility timeout can be short and a dead worker's item comes back soon.
    async fn extend(&self, delivery: &Delivery, visibility: Duration) -> Result<(), QueueError>;
    /// The delivery that is a job's last attempt (a transient error on it
    /// fails the job). The queue dead-letters an item that many receives
    /// without an ack at the earliest: the local queue at exactly that many,
    /// SQS at its redrive policy's `maxReceiveCount`, which `template.yaml`
    /// sets one higher, so that a last attempt lost to a crash runs again
    /// and can still fail its job.
    fn max_receives(&self) -> u32;
}
