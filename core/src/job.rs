//! The job record and its state machine.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::failure::FailureCode;
use crate::report::{EncoderChoice, Placeholder, SkippedVariant, SourceInfo};
use crate::spec::VariantSpec;

/// Identifier of a job: a UUIDv7, so ids sort by creation time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = String, format = Uuid, example = "0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d")]
pub struct JobId(pub Uuid);

impl JobId {
    pub fn new() -> Self {
        JobId(Uuid::now_v7())
    }

    /// Object key of the uploaded source.
    pub fn source_key(&self) -> String {
        format!("uploads/{}", self.0)
    }

    /// Prefix under which the results of this job are published.
    pub fn results_prefix(&self) -> String {
        format!("results/{}/", self.0)
    }

    /// Parses the job id back out of a source key (`uploads/{id}`).
    pub fn from_source_key(key: &str) -> Option<JobId> {
        key.strip_prefix("uploads/")?.parse().ok()
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for JobId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(JobId)
    }
}

/// Where a job is in its life.
///
/// `awaiting_upload → queued → processing → succeeded | failed`, and
/// `awaiting_upload → expired` when no upload arrives in time. A job never
/// moves backwards; `processing → processing` happens only for a later
/// delivery attempt (a retry after a crash or a transient failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    AwaitingUpload,
    Queued,
    Processing,
    Succeeded,
    Failed,
    Expired,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::AwaitingUpload => "awaiting_upload",
            JobStatus::Queued => "queued",
            JobStatus::Processing => "processing",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Expired => "expired",
        }
    }

    /// Terminal states never change again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Expired
        )
    }

    /// Whether the state machine allows `self → next`.
    pub fn can_become(self, next: JobStatus) -> bool {
        use JobStatus::*;
        matches!(
            (self, next),
            (AwaitingUpload, Queued | Processing | Expired | Failed)
                | (Queued, Processing | Failed)
                | (Processing, Processing | Succeeded | Failed)
        )
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| format!("unknown job status {s:?}"))
    }
}

/// One published variant of a succeeded job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = VariantResult)]
pub struct JobResult {
    /// The variant's name, as in the spec.
    #[schema(example = "thumb")]
    pub name: String,
    /// Public URL of the encoded file.
    #[schema(
        example = "http://127.0.0.1:8080/blobs/results/0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d/thumb.jpg"
    )]
    pub url: String,
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    #[schema(example = 300)]
    pub width: u32,
    #[schema(example = 300)]
    pub height: u32,
    /// Size of the file in bytes.
    #[schema(example = 18734)]
    pub bytes: u64,
    /// How an AVIF was encoded (the speed the server's AVIF budget chose);
    /// null for other formats.
    #[serde(default)]
    pub encoder: Option<EncoderChoice>,
}

/// Why a job failed: a stable machine code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobError {
    /// Stable machine-readable code (a string, so that clients keep working
    /// when a later version adds codes).
    #[schema(value_type = String, example = "not_an_image")]
    pub code: FailureCode,
    #[schema(example = "the uploaded file is not an image")]
    pub message: String,
}

/// The stored job record. `owner` and `version` are internal and never sent to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    /// Opaque owner tag (a hash of the API key that created the job).
    pub owner: String,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub filename: Option<String>,
    pub content_type: String,
    pub content_length: u64,
    pub preset: Option<String>,
    pub variants: Vec<VariantSpec>,
    /// Processing attempts started so far.
    pub attempts: u32,
    pub results: Vec<JobResult>,
    /// Variants of a succeeded job that were not made (the AVIF budget).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedVariant>,
    /// What to paint while the results load; set when the job succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<Placeholder>,
    /// The uploaded source's facts; set when the job succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceInfo>,
    pub error: Option<JobError>,
    /// When the upload URL stops working; an un-uploaded job expires then,
    /// unless an upload it accepted in time is still arriving.
    pub upload_expires_at: DateTime<Utc>,
    /// Set when the storage accepted an upload (URL checked at the request's
    /// start): the job does not expire before this, so that an upload begun
    /// in time may finish after `upload_expires_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_held_until: Option<DateTime<Utc>>,
    /// Where the finished job is POSTed (checked at creation); absent in
    /// records written before callbacks existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Incremented on every write; the basis of conditional writes and ETags.
    pub version: u64,
}

impl Job {
    pub fn source_key(&self) -> String {
        self.id.source_key()
    }

    /// When an un-uploaded job expires: the URL's expiry, or later while an
    /// upload accepted in time is arriving.
    pub fn expires_unless_uploaded_at(&self) -> DateTime<Utc> {
        self.upload_held_until
            .map_or(self.upload_expires_at, |held| {
                held.max(self.upload_expires_at)
            })
    }

    /// Whether the job still awaits an upload that can no longer come.
    pub fn upload_window_closed(&self, now: DateTime<Utc>) -> bool {
        self.status == JobStatus::AwaitingUpload && self.expires_unless_uploaded_at() <= now
    }

    /// Strong validator for HTTP caching: changes whenever the record does.
    pub fn etag(&self) -> String {
        format!("\"{}-{}\"", self.id.0.simple(), self.version)
    }
}
