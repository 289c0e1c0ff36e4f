//! Job state changes as compare-and-swap writes over any [`JobStore`].
//!
//! Every change reads the record, decides with the state machine, and writes
//! only if nobody wrote in between; a lost race re-reads and decides again.
//! Duplicate or late events therefore never run a job twice or move it back.

use chrono::{DateTime, Utc};

use crate::error::StoreError;
use crate::failure::FailureCode;
use crate::job::{Job, JobError, JobId, JobResult, JobStatus};
use crate::ports::JobStore;
use crate::report::Report;

const MAX_RACES: usize = 16;

/// What a change function decides for the current record.
#[allow(clippy::large_enum_variant)] // short-lived return value; boxing buys nothing
pub enum Decision<T> {
    /// Write this record (its version is bumped by [`apply`]).
    Write(Job),
    /// Leave the record alone and report this.
    Keep(T),
}

/// Result of [`apply`]: the written record, or what the change said instead.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // short-lived return value; boxing buys nothing
pub enum Applied<T> {
    Written(Job),
    Kept(T),
    Missing,
}

/// Reads, decides and conditionally writes until the write lands or the
/// decision is to keep the record.
pub async fn apply<T>(
    store: &dyn JobStore,
    id: JobId,
    mut decide: impl FnMut(&Job) -> Decision<T>,
) -> Result<Applied<T>, StoreError> {
    for _ in 0..MAX_RACES {
        let Some(current) = store.get(id).await? else {
            return Ok(Applied::Missing);
        };
        match decide(&current) {
            Decision::Keep(t) => return Ok(Applied::Kept(t)),
            Decision::Write(mut next) => {
                debug_assert!(
                    current.status == next.status || current.status.can_become(next.status),
                    "illegal transition {} -> {}",
                    current.status,
                    next.status
                );
                next.version = current.version + 1;
                next.updated_at = Utc::now().max(current.updated_at);
                if store.replace(&next, current.version).await? {
                    return Ok(Applied::Written(next));
                }
            }
        }
    }
    Err(StoreError::Contended(id))
}

/// Why a delivery may not run the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefused {
    /// The job already ended (succeeded, failed, expired).
    Finished(JobStatus),
    /// Another delivery is running this attempt (a duplicate event).
    InProgress,
}

/// Moves the job to `processing` for delivery number `receive_count`.
///
/// Allowed from `awaiting_upload` (the storage event can beat the API's own
/// bookkeeping) and `queued`, and from `processing` only for a later delivery
/// than the one that started the current attempt (a retry after a crash or a
/// transient error). Duplicate deliveries of the same attempt are refused.
pub async fn claim(
    store: &dyn JobStore,
    id: JobId,
    receive_count: u32,
) -> Result<Applied<ClaimRefused>, StoreError> {
    apply(store, id, |job| match job.status {
        JobStatus::AwaitingUpload | JobStatus::Queued => Decision::Write(Job {
            status: JobStatus::Processing,
            attempts: job.attempts + 1,
            ..job.clone()
        }),
        JobStatus::Processing if receive_count > job.attempts => Decision::Write(Job {
            attempts: job.attempts + 1,
            ..job.clone()
        }),
        JobStatus::Processing => Decision::Keep(ClaimRefused::InProgress),
        done => Decision::Keep(ClaimRefused::Finished(done)),
    })
    .await
}

/// `processing → succeeded` with the published results and what the run
/// reported beside them.
pub async fn succeed(
    store: &dyn JobStore,
    id: JobId,
    results: Vec<JobResult>,
    report: Report,
) -> Result<Applied<JobStatus>, StoreError> {
    apply(store, id, |job| match job.status {
        JobStatus::Processing => Decision::Write(Job {
            status: JobStatus::Succeeded,
            results: results.clone(),
            skipped: report.skipped.clone(),
            placeholder: report.placeholder.clone(),
            source: report.source.clone(),
            error: None,
            ..job.clone()
        }),
        other => Decision::Keep(other),
    })
    .await
}

/// Ends a job that has not ended yet as `failed` with a code and message.
pub async fn fail(
    store: &dyn JobStore,
    id: JobId,
    code: FailureCode,
    message: &str,
) -> Result<Applied<JobStatus>, StoreError> {
    apply(store, id, |job| {
        if job.status.can_become(JobStatus::Failed) {
            Decision::Write(Job {
                status: JobStatus::Failed,
                error: Some(JobError {
                    code,
                    message: message.to_owned(),
                }),
                ..job.clone()
            })
        } else {
            Decision::Keep(job.status)
        }
    })
    .await
}

/// `awaiting_upload → queued`, once the source has arrived.
pub async fn mark_uploaded(
    store: &dyn JobStore,
    id: JobId,
) -> Result<Applied<JobStatus>, StoreError> {
    apply(store, id, |job| match job.status {
        JobStatus::AwaitingUpload => Decision::Write(Job {
            status: JobStatus::Queued,
            ..job.clone()
        }),
        other => Decision::Keep(other),
    })
    .await
}

/// `awaiting_upload → expired` once the upload window has closed.
pub async fn expire_if_stale(
    store: &dyn JobStore,
    id: JobId,
    now: DateTime<Utc>,
) -> Result<Applied<JobStatus>, StoreError> {
    apply(store, id, |job| {
        if job.upload_window_closed(now) {
            Decision::Write(Job {
                status: JobStatus::Expired,
                error: Some(JobError {
                    code: FailureCode::UploadExpired,
                    message: "no upload arrived before the upload URL expired".into(),
                }),
                ..job.clone()
            })
        } else {
            Decision::Keep(job.status)
        }
    })
    .await
}
