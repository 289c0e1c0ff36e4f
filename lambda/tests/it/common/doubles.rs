//! Test doubles of core's ports for faults moto cannot produce: a job store
//! that is down, a blob store that is down, and a blob store whose reads of
//! chosen keys fail transiently (everything else goes to the real one).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use pixpipe_core::{BlobError, BlobStore, Job, JobId, JobStore, StoreError, UploadTicket};

fn outage() -> std::io::Error {
    std::io::Error::other("simulated 503 Service Unavailable")
}

/// A job store whose every call fails with `StoreError::Backend`.
pub struct DownJobs;

#[async_trait]
impl JobStore for DownJobs {
    async fn insert(&self, _: &Job) -> Result<(), StoreError> {
        Err(StoreError::Backend(outage().into()))
    }
    async fn get(&self, _: JobId) -> Result<Option<Job>, StoreError> {
        Err(StoreError::Backend(outage().into()))
    }
    async fn list(&self, _: &str, _: Option<JobId>, _: usize) -> Result<Vec<Job>, StoreError> {
        Err(StoreError::Backend(outage().into()))
    }
    async fn replace(&self, _: &Job, _: u64) -> Result<bool, StoreError> {
        Err(StoreError::Backend(outage().into()))
    }
    async fn delete(&self, _: JobId) -> Result<bool, StoreError> {
        Err(StoreError::Backend(outage().into()))
    }
}

/// A blob store whose every call fails with `BlobError::Backend`.
pub struct DownBlobs;

#[async_trait]
impl BlobStore for DownBlobs {
    async fn presign_upload(
        &self,
        _: &str,
        _: &str,
        _: u64,
        _: DateTime<Utc>,
    ) -> Result<UploadTicket, BlobError> {
        Err(BlobError::Backend(outage().into()))
    }
    async fn get(&self, _: &str, _: u64) -> Result<Bytes, BlobError> {
        Err(BlobError::Backend(outage().into()))
    }
    async fn exists(&self, _: &str) -> Result<bool, BlobError> {
        Err(BlobError::Backend(outage().into()))
    }
    async fn put_public(&self, _: &str, _: Bytes, _: &str) -> Result<(), BlobError> {
        Err(BlobError::Backend(outage().into()))
    }
    async fn delete(&self, _: &[String]) -> Result<(), BlobError> {
        Err(BlobError::Backend(outage().into()))
    }
    fn public_url(&self, key: &str) -> String {
        format!("https://results.invalid/{key}")
    }
}

/// The real blob store, except that reads of the keys in `failing` fail
/// with `BlobError::Backend` (a transient error) for as long as they are there.
pub struct FlakyBlobs {
    pub inner: Arc<dyn BlobStore>,
    pub failing: Mutex<HashSet<String>>,
}

impl FlakyBlobs {
    pub fn new(inner: Arc<dyn BlobStore>) -> Self {
        FlakyBlobs {
            inner,
            failing: Mutex::new(HashSet::new()),
        }
    }

    pub fn fail_reads_of(&self, key: String) {
        self.failing.lock().unwrap().insert(key);
    }
}

#[async_trait]
impl BlobStore for FlakyBlobs {
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadTicket, BlobError> {
        self.inner
            .presign_upload(key, content_type, content_length, expires_at)
            .await
    }
    async fn get(&self, key: &str, max_bytes: u64) -> Result<Bytes, BlobError> {
        if self.failing.lock().unwrap().contains(key) {
            return Err(BlobError::Backend(outage().into()));
        }
        self.inner.get(key, max_bytes).await
    }
    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        self.inner.exists(key).await
    }
    async fn put_public(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), BlobError> {
        self.inner.put_public(key, bytes, content_type).await
    }
    async fn delete(&self, keys: &[String]) -> Result<(), BlobError> {
        self.inner.delete(keys).await
    }
    fn public_url(&self, key: &str) -> String {
        self.inner.public_url(key)
    }
}
