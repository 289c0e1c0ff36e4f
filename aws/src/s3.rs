//! [`S3Blobs`]: the `BlobStore` over two S3 buckets.
//!
//! Keys under `uploads/` live in the private source bucket, keys under
//! `results/` in the results bucket, which is published at `public_base`
//! (a CloudFront domain or the bucket's own URL). Uploads go straight from the
//! client to S3 through a SigV4 presigned `PutObject` whose signature covers
//! `Content-Type` and `Content-Length`, so S3 itself refuses a body of another
//! type or length, and `If-None-Match: *`, so S3 refuses (412) a second upload
//! to a key that already holds one: an upload URL works once, as in local mode.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use pixpipe_core::{BlobError, BlobStore, BoxError, UploadTicket};
use thiserror::Error;

use crate::error::{CallError, UnknownPrefix};

/// `Cache-Control` of published results: their keys never change content.
pub const RESULT_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// Longest life of a SigV4 presigned URL.
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);
/// Keys per DeleteObjects request (the S3 maximum).
const DELETE_BATCH: usize = 1000;

const S3: &str = "S3";

/// Objects in a source bucket (`uploads/…`) and a public results bucket (`results/…`).
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: Client,
    source_bucket: String,
    results_bucket: String,
    public_base: String,
}

impl S3Blobs {
    /// `public_base` is where the results bucket is served; a trailing `/` is ignored.
    pub fn new(
        client: Client,
        source_bucket: impl Into<String>,
        results_bucket: impl Into<String>,
        public_base: impl Into<String>,
    ) -> Self {
        S3Blobs {
            client,
            source_bucket: source_bucket.into(),
            results_bucket: results_bucket.into(),
            public_base: public_base.into().trim_end_matches('/').to_owned(),
        }
    }

    /// The underlying SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn source_bucket(&self) -> &str {
        &self.source_bucket
    }

    pub fn results_bucket(&self) -> &str {
        &self.results_bucket
    }

    /// The bucket that holds `key`, by its prefix.
    pub fn bucket_for(&self, key: &str) -> Result<&str, BlobError> {
        if key.starts_with("uploads/") {
            Ok(&self.source_bucket)
        } else if key.starts_with("results/") {
            Ok(&self.results_bucket)
        } else {
            Err(BlobError::Backend(Box::new(UnknownPrefix(key.to_owned()))))
        }
    }
}

/// The presigned request asks the client for a header the ticket cannot carry.
#[derive(Debug, Error)]
#[error(
    "presigned PutObject needs header {0:?} besides Content-Type, Content-Length and If-None-Match"
)]
pub struct UnexpectedSignedHeader(pub String);

fn backend(operation: &'static str, source: impl Into<BoxError>) -> BlobError {
    BlobError::Backend(CallError::boxed(S3, operation, source))
}

/// Lifetime of a URL that should work until `expires_at`: whole seconds (as
/// `X-Amz-Expires` counts) rounded up, at least 1 s, at most what SigV4 allows.
fn presign_lifetime(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let millis = (expires_at - now).num_milliseconds();
    let secs = millis.saturating_add(999).div_euclid(1000);
    Duration::from_secs(secs.clamp(1, MAX_PRESIGN.as_secs() as i64) as u64)
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadTicket, BlobError> {
        let bucket = self.bucket_for(key)?;
        let now = SystemTime::now();
        let lifetime = presign_lifetime(expires_at, now.into());
        let config = PresigningConfig::builder()
            .start_time(now)
            .expires_in(lifetime)
            .build()
            .map_err(|e| backend("presign PutObject", e))?;
        let length = i64::try_from(content_length)
            .map_err(|e| backend("presign PutObject", Box::new(e) as BoxError))?;
        let presigned = self
            .client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .if_none_match("*")
            .presigned(config)
            .await
            .map_err(|e| backend("presign PutObject", e))?;

        // The client must send exactly the signed headers; the ticket lists
        // only these three, so refuse a URL that would need anything else.
        for (name, _) in presigned.headers() {
            let name = name.to_ascii_lowercase();
            // Inside Lambda the SDK adds the X-Ray trace header (its recursion
            // detection reads `_X_AMZN_TRACE_ID`, which the runtime sets per
            // invocation); SigV4 never signs it, so an upload can go without.
            if name == "x-amzn-trace-id" {
                continue;
            }
            if !["content-type", "content-length", "if-none-match"].contains(&name.as_str()) {
                return Err(backend("presign PutObject", UnexpectedSignedHeader(name)));
            }
        }
        let headers = BTreeMap::from([
            ("Content-Type".to_owned(), content_type.to_owned()),
            ("Content-Length".to_owned(), content_length.to_string()),
            ("If-None-Match".to_owned(), "*".to_owned()),
        ]);
        // The URL works until the requested time (rounded up to a second),
        // or only until the SigV4 maximum when that is sooner.
        let expires_at = expires_at.min(DateTime::<Utc>::from(now) + lifetime);
        Ok(UploadTicket {
            method: presigned.method().to_owned(),
            url: presigned.uri().to_owned(),
            headers,
            expires_at,
        })
    }

    async fn get(&self, key: &str, max_bytes: u64) -> Result<Bytes, BlobError> {
        let bucket = self.bucket_for(key)?;
        let out = match self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return Err(match e.as_service_error() {
                    Some(GetObjectError::NoSuchKey(_)) => BlobError::NotFound(key.to_owned()),
                    _ => backend("GetObject", e),
                });
            }
        };
        let too_large = |size: u64| BlobError::TooLarge {
            key: key.to_owned(),
            size,
            limit: max_bytes,
        };
        let declared = out.content_length().map_or(0, |n| n.max(0) as u64);
        if declared > max_bytes {
            // Dropping the body closes the connection without reading it.
            return Err(too_large(declared));
        }
        let mut body = out.body;
        let mut bytes = BytesMut::with_capacity(declared as usize);
        while let Some(chunk) = body.try_next().await.map_err(|e| backend("GetObject", e))? {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large((bytes.len() + chunk.len()) as u64));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes.freeze())
    }

    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        let bucket = self.bucket_for(key)?;
        match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error() {
                Some(HeadObjectError::NotFound(_)) => Ok(false),
                _ => Err(backend("HeadObject", e)),
            },
        }
    }

    async fn put_public(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), BlobError> {
        let bucket = self.bucket_for(key)?;
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .cache_control(RESULT_CACHE_CONTROL)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| backend("PutObject", e))?;
        Ok(())
    }

    async fn delete(&self, keys: &[String]) -> Result<(), BlobError> {
        let mut by_bucket: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for key in keys {
            by_bucket
                .entry(self.bucket_for(key)?)
                .or_default()
                .push(key);
        }
        for (bucket, keys) in by_bucket {
            for batch in keys.chunks(DELETE_BATCH) {
                self.delete_batch(bucket, batch).await?;
            }
        }
        Ok(())
    }

    fn public_url(&self, key: &str) -> String {
        format!("{}/{key}", self.public_base)
    }
}

/// Some keys of a DeleteObjects request were not deleted.
#[derive(Debug, Error)]
#[error("{failed} of the objects were not deleted (first: {code})")]
pub struct PartialDelete {
    pub failed: usize,
    pub code: String,
}

impl S3Blobs {
    async fn delete_batch(&self, bucket: &str, keys: &[&str]) -> Result<(), BlobError> {
        if let [key] = keys {
            // One key (the usual case for sources): DeleteObject is idempotent.
            self.client
                .delete_object()
                .bucket(bucket)
                .key(*key)
                .send()
                .await
                .map_err(|e| backend("DeleteObject", e))?;
            return Ok(());
        }
        let objects = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(*k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| backend("DeleteObjects", e))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| backend("DeleteObjects", e))?;
        let out = self
            .client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| backend("DeleteObjects", e))?;
        // Absent keys count as deleted; anything listed here really failed.
        if let Some(first) = out.errors().first() {
            return Err(backend(
                "DeleteObjects",
                PartialDelete {
                    failed: out.errors().len(),
                    code: first.code().unwrap_or("unknown").to_owned(),
                },
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presign_lifetime_is_clamped() {
        let now = Utc::now();
        let secs = |d: chrono::Duration| presign_lifetime(now + d, now).as_secs();
        assert_eq!(secs(chrono::Duration::seconds(900)), 900);
        assert_eq!(secs(chrono::Duration::milliseconds(899_001)), 900);
        assert_eq!(secs(chrono::Duration::seconds(-5)), 1);
        assert_eq!(secs(chrono::Duration::zero()), 1);
        assert_eq!(secs(chrono::Duration::days(30)), 7 * 24 * 3600);
    }
}
