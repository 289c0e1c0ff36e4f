//! The job document clients see: `GET /v1/jobs/{id}`, the pages of
//! `GET /v1/jobs`, the answer to `POST /v1/jobs`, and the body of a job's
//! callback. The API and the worker both send it, so it lives here.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::report::{Placeholder, SkippedVariant, SourceInfo};
use crate::{Job, JobError, JobId, JobResult, JobStatus, UploadTicket, VariantSpec};

/// A job as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Job)]
pub struct JobView {
    pub id: JobId,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(example = "dragonfly.jpg")]
    pub filename: Option<String>,
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    #[schema(example = 1604773)]
    pub content_length: u64,
    /// The preset the variants came from; null for custom variants.
    #[schema(example = "standard")]
    pub preset: Option<String>,
    pub variants: Vec<VariantSpec>,
    /// Processing attempts started so far.
    pub attempts: u32,
    /// The published variants; empty until the job has succeeded.
    pub results: Vec<JobResult>,
    /// Variants of a succeeded job that were not made, and why; empty otherwise.
    pub skipped: Vec<SkippedVariant>,
    /// What to paint while the results load (from the smallest variant that
    /// shows the whole picture);
    /// null until the job has succeeded.
    pub placeholder: Option<Placeholder>,
    /// The uploaded source's facts, as the worker read them; null until the
    /// job has succeeded.
    pub source: Option<SourceInfo>,
    /// Why the job failed or expired; null otherwise.
    pub error: Option<JobError>,
    /// Until when the upload URL works (while `awaiting_upload`).
    pub upload_expires_at: DateTime<Utc>,
    /// Where the finished job is POSTed, as accepted at creation; null for none.
    #[schema(example = "https://example.com/hooks/pixpipe")]
    pub callback_url: Option<String>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        JobView {
            id: j.id,
            status: j.status,
            created_at: j.created_at,
            updated_at: j.updated_at,
            filename: j.filename,
            content_type: j.content_type,
            content_length: j.content_length,
            preset: j.preset,
            variants: j.variants,
            attempts: j.attempts,
            results: j.results,
            skipped: j.skipped,
            placeholder: j.placeholder,
            source: j.source,
            error: j.error,
            upload_expires_at: j.upload_expires_at,
            callback_url: j.callback_url,
        }
    }
}

/// A new job and its `upload` instructions: where and how to send the source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedJob {
    #[serde(flatten)]
    pub job: JobView,
    pub upload: UploadTicket,
}

/// One page of the caller's jobs, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The body of a job's callback: the same JSON as `GET /v1/jobs/{id}` sends.
pub fn job_json(job: &Job) -> Vec<u8> {
    serde_json::to_vec(&JobView::from(job.clone())).unwrap_or_default()
}
