//! The API's use cases over the ports: create, read, list and delete jobs.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::callback::{self, CallbackUrlError};
use crate::clock::SharedClock;
use crate::error::ServiceError;
use crate::job::{Job, JobId, JobStatus};
use crate::lifecycle::{self, Applied};
use crate::ports::{BlobStore, JobStore, UploadTicket};
use crate::spec::{self, VariantSpec};

/// Source content types accepted at job creation.
pub const ACCEPTED_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/heic",
    "image/heif",
];

/// Tunables of the API use cases.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest declared upload.
    pub max_upload_bytes: u64,
    /// How long an upload URL stays valid.
    pub upload_ttl: Duration,
    /// Accept callback URLs to loopback, private and link-local addresses.
    pub allow_private_callbacks: bool,
    /// Whether the workers have a watermark to draw; without one, variants
    /// asking for a watermark are refused at creation.
    pub watermark_configured: bool,
    /// Largest image, in pixels (width × height), the workers accept; no
    /// variant may ask for a bigger output, and all of a job's variants
    /// together for at most [`crate::budget::TOTAL_BUDGET_FACTOR`] times it.
    pub max_pixels: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_upload_bytes: 25 * 1024 * 1024,
            upload_ttl: Duration::from_secs(15 * 60),
            allow_private_callbacks: false,
            watermark_configured: false,
            max_pixels: pixpipe_imaging::Limits::default().max_pixels,
        }
    }
}

/// A request to create a job.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = CreateJobRequest)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"content_type": "image/jpeg", "content_length": 1604773, "filename": "dragonfly.jpg", "preset": "standard"}))]
pub struct NewJob {
    /// MIME type of the file to upload: image/jpeg, image/png, image/webp, image/gif, image/heic or image/heif.
    #[schema(schema_with = content_type_schema)]
    pub content_type: String,
    /// Exact size of the file to upload, in bytes: at most the server's
    /// upload limit (25 MiB unless configured otherwise). An empty file is
    /// accepted here and fails as `not_an_image`. The document says int64,
    /// so a larger number is refused as `malformed_request`, like any other
    /// value outside the schema.
    #[serde(deserialize_with = "int64_size")]
    pub content_length: u64,
    /// The client's name for the file, kept for display: at most 255 bytes,
    /// without control characters, bidirectional formatting characters or
    /// line and paragraph separators.
    #[serde(default)]
    #[schema(max_length = 255)]
    pub filename: Option<String>,
    /// A preset name (see `GET /v1/presets`); default `standard`.
    #[serde(default)]
    pub preset: Option<String>,
    /// Custom variants (1 to 8) instead of a preset.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 8)]
    pub variants: Option<Vec<VariantSpec>>,
    /// An http(s) URL (at most 2048 characters, no user or password) that
    /// receives the finished job, as `GET /v1/jobs/{id}` returns it, in a
    /// signed POST once it has succeeded or failed. Loopback, private and
    /// link-local destinations are refused (`callback_not_allowed`) unless
    /// the server allows them.
    #[serde(default)]
    #[schema(max_length = 2048, example = "https://example.com/hooks/pixpipe")]
    pub callback_url: Option<String>,
}

/// A size in bytes that fits the document's int64: 0 to `i64::MAX`.
fn int64_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    if i64::try_from(n).is_err() {
        return Err(serde::de::Error::custom(format!(
            "{n} is over the int64 range of a size"
        )));
    }
    Ok(n)
}

/// `content_type`'s schema: one of [`ACCEPTED_TYPES`].
fn content_type_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ACCEPTED_TYPES.iter().copied()))
        .description(Some(
            "MIME type of the file to upload (compared without regard to case).",
        ))
        .examples([serde_json::json!("image/jpeg")])
        .build()
}

/// A page of jobs plus the cursor of the next page.
pub struct Page {
    pub items: Vec<Job>,
    pub next_cursor: Option<String>,
}

/// The owner tag stored on jobs for an API key (`None`: auth is off).
pub fn owner_tag(api_key: Option<&str>) -> String {
    match api_key {
        None => "anonymous".to_owned(),
        Some(key) => hex::encode(&Sha256::digest(key.as_bytes())[..16]),
    }
}

/// The use cases, over whichever adapters the process was built with.
#[derive(Clone)]
pub struct Service {
    pub jobs: Arc<dyn JobStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub settings: Settings,
    /// Where "now" comes from: creation times, upload windows, expiry.
    pub clock: SharedClock,
}

impl Service {
    pub fn new(jobs: Arc<dyn JobStore>, blobs: Arc<dyn BlobStore>, settings: Settings) -> Self {
        Service {
            jobs,
            blobs,
            settings,
            clock: crate::clock::system(),
        }
    }

    /// The same service reading time from `clock`.
    pub fn with_clock(self, clock: SharedClock) -> Self {
        Service { clock, ..self }
    }

    /// Validates the request, stores the job and returns it with its upload ticket.
    pub async fn create(
        &self,
        owner: &str,
        req: NewJob,
    ) -> Result<(Job, UploadTicket), ServiceError> {
        let content_type = req.content_type.trim().to_ascii_lowercase();
        if !ACCEPTED_TYPES.contains(&content_type.as_str()) {
            return Err(ServiceError::UnsupportedMediaType(req.content_type));
        }
        if req.content_length > self.settings.max_upload_bytes {
            return Err(ServiceError::TooLarge {
                declared: req.content_length,
                limit: self.settings.max_upload_bytes,
            });
        }
        if let Some(name) = &req.filename
            && (name.len() > 255 || name.chars().any(unsafe_in_filename))
        {
            return Err(ServiceError::InvalidRequest(
                "filename must be at most 255 bytes with no control characters, \
                 bidirectional formatting characters (U+061C, U+200E, U+200F, \
                 U+202A to U+202E, U+2066 to U+2069) or line and paragraph \
                 separators (U+2028, U+2029)"
                    .into(),
            ));
        }
        let callback_url = req
            .callback_url
            .map(|raw| {
                callback::check_url(&raw, self.settings.allow_private_callbacks)
                    .map(String::from)
                    .map_err(|e| match e {
                        CallbackUrlError::Invalid(_) => ServiceError::InvalidRequest(e.to_string()),
                        CallbackUrlError::NotAllowed(_) => {
                            ServiceError::CallbackNotAllowed(e.to_string())
                        }
                    })
            })
            .transpose()?;
        let (preset, variants) = spec::resolve(req.preset.as_deref(), req.variants)?;
        spec::check_watermark(&variants, self.settings.watermark_configured)?;
        crate::budget::check(&variants, self.settings.max_pixels)?;
        let now = self.clock.now();
        let ttl = chrono::Duration::from_std(self.settings.upload_ttl)
            .map_err(|_| ServiceError::InvalidRequest("upload TTL out of range".into()))?;
        let job = Job {
            id: JobId::new(),
            owner: owner.to_owned(),
            status: JobStatus::AwaitingUpload,
            created_at: now,
            updated_at: now,
            filename: req.filename,
            content_type,
            content_length: req.content_length,
            preset,
            variants,
            attempts: 0,
            results: Vec::new(),
            skipped: Vec::new(),
            placeholder: None,
            source: None,
            error: None,
            upload_expires_at: now + ttl,
            upload_held_until: None,
            callback_url,
            version: 1,
        };
        let ticket = self
            .blobs
            .presign_upload(
                &job.source_key(),
                &job.content_type,
                job.content_length,
                job.upload_expires_at,
            )
            .await?;
        self.jobs.insert(&job).await?;
        Ok((job, ticket))
    }

    /// The stored job if `owner` made it; another owner's job is as good as absent.
    async fn owned(&self, owner: &str, id: JobId) -> Result<Job, ServiceError> {
        let job = self.jobs.get(id).await?;
        job.filter(|j| j.owner == owner)
            .ok_or(ServiceError::NotFound)
    }

    /// The owner's job, brought up to date first (see [`Service::settle_upload`]).
    pub async fn get(&self, owner: &str, id: JobId) -> Result<Job, ServiceError> {
        let job = self.owned(owner, id).await?;
        self.settle_upload(job).await
    }

    /// A job still `awaiting_upload` as its storage sees it, on every
    /// backend: `queued` once its source is stored (on S3 the object's
    /// notification may still be on its way to a worker), `expired` once its
    /// upload window has closed without one. Other jobs are returned as they are.
    async fn settle_upload(&self, job: Job) -> Result<Job, ServiceError> {
        if job.status != JobStatus::AwaitingUpload {
            return Ok(job);
        }
        let now = self.clock.now();
        let decided = if self.blobs.exists(&job.source_key()).await? {
            lifecycle::mark_uploaded(self.jobs.as_ref(), job.id).await?
        } else if job.upload_window_closed(now) {
            lifecycle::expire_if_stale(self.jobs.as_ref(), job.id, now).await?
        } else {
            return Ok(job);
        };
        match decided {
            Applied::Written(job) => Ok(job),
            // Changed meanwhile (a worker claimed it): the stored record.
            Applied::Kept(_) => self.jobs.get(job.id).await?.ok_or(ServiceError::NotFound),
            Applied::Missing => Err(ServiceError::NotFound),
        }
    }

    /// Like [`Service::get`], but while the job is not finished waits up to
    /// `wait` for its status to change, checking every `poll`.
    pub async fn get_when_changed(
        &self,
        owner: &str,
        id: JobId,
        wait: Duration,
        poll: Duration,
    ) -> Result<Job, ServiceError> {
        let first = self.get(owner, id).await?;
        let deadline = tokio::time::Instant::now() + wait;
        let mut job = first.clone();
        while !job.status.is_terminal() && job.status == first.status {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                break;
            }
            tokio::time::sleep(poll.min(deadline - now)).await;
            job = self.get(owner, id).await?;
        }
        Ok(job)
    }

    /// The owner's jobs, newest first.
    pub async fn list(
        &self,
        owner: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, ServiceError> {
        let before = cursor.map(decode_cursor).transpose()?;
        let limit = limit.clamp(1, 100);
        let mut items = self.jobs.list(owner, before, limit + 1).await?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items
                .last()
                .map(|j| URL_SAFE_NO_PAD.encode(j.id.0.as_bytes()))
        } else {
            None
        };
        // Read as `get` reads them: an un-uploaded job past its window lists as expired.
        let mut settled = Vec::with_capacity(items.len());
        for job in items {
            let stored = job.clone();
            settled.push(match self.settle_upload(job).await {
                Ok(job) => job,
                Err(ServiceError::NotFound) => continue,
                // The page still answers: this item as stored.
                Err(_) => stored,
            });
        }
        Ok(Page {
            items: settled,
            next_cursor,
        })
    }

    /// Removes the job's record, source and results, whatever a worker
    /// running the job is doing meanwhile.
    ///
    /// The files go first, so that a failure leaves the record for a retry;
    /// the results go again after the record, because a worker may publish
    /// between the two steps and record its success before the record is
    /// removed. A worker whose final write comes after the removal finds no
    /// record and deletes what it published itself (see the worker's pipeline).
    pub async fn delete(&self, owner: &str, id: JobId) -> Result<(), ServiceError> {
        let job = self.owned(owner, id).await?;
        let results: Vec<String> = job.variants.iter().map(|v| v.result_key(&job.id)).collect();
        let mut keys = vec![job.source_key()];
        keys.extend(results.iter().cloned());
        self.blobs.delete(&keys).await?;
        self.jobs.delete(id).await?;
        self.blobs.delete(&results).await?;
        Ok(())
    }
}

/// Characters a filename may not carry because they change how it, or the
/// text around it, is shown: controls (C0, DEL, C1), the bidirectional
/// formatting characters (Unicode's `Bidi_Control` set: marks, embeddings,
/// overrides and isolates) and the line and paragraph separators.
pub fn unsafe_in_filename(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

fn decode_cursor(cursor: &str) -> Result<JobId, ServiceError> {
    let bad = || ServiceError::InvalidRequest("cursor is not one this API returned".into());
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let uuid = uuid::Uuid::from_slice(&bytes).map_err(|_| bad())?;
    Ok(JobId(uuid))
}

#[cfg(test)]
mod tests {
    use super::NewJob;

    fn parse(content_length: &str) -> Result<NewJob, serde_json::Error> {
        serde_json::from_str(&format!(
            r#"{{"content_type": "image/jpeg", "content_length": {content_length}}}"#
        ))
    }

    #[test]
    fn content_length_is_refused_past_the_int64_range_the_document_gives() {
        assert_eq!(parse("0").unwrap().content_length, 0);
        assert_eq!(
            parse("9223372036854775807").unwrap().content_length,
            i64::MAX as u64
        );
        let err = parse("9223372036854775808").unwrap_err().to_string();
        assert!(err.contains("int64"), "{err}");
        assert!(parse("18446744073709551615").is_err());
        assert!(parse("-1").is_err());
    }
}
