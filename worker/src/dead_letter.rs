//! Jobs whose deliveries ran out: a worker that crashed, ran out of memory or
//! of time on every delivery never failed its job itself, so whatever reads
//! the dead-letter queue fails it here, through the same compare-and-swap
//! lifecycle as the pipeline, and sends its callback. Idempotent: a job that
//! has already ended is left as it is.
//!
//! [`fail_job`] is that step (the local backend's housekeeping, the worker
//! Lambda's dead-letter batches); the loop over a dead-letter
//! `WorkQueue` for `serve --backend aws` ([`watch_queue`]).

use std::sync::Arc;
use std::time::Duration;

use pixpipe_core::lifecycle::{self, Applied};
use pixpipe_core::{FailureCode, JobId, JobStatus, JobStore, StoreError, WorkQueue};
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::Notifier;

/// The failure message of a dead-lettered job.
pub const MESSAGE: &str = "every delivery of this job ended without an answer (the worker crashed, or ran out of memory or time); it will not be retried";

/// How long a received dead letter stays hidden while its job is failed: a
/// process that dies meanwhile leaves it to be read again this soon.
pub const LEASE: Duration = Duration::from_secs(60);

/// Fails job `id` with `processing_failed` unless it has ended, and sends its
/// callback when this call ended it. `Ok(None)`: no such job (deleted).
pub async fn fail_job(
    jobs: &dyn JobStore,
    id: JobId,
    callbacks: Option<&Notifier>,
) -> Result<Option<JobStatus>, StoreError> {
    match lifecycle::fail(jobs, id, FailureCode::ProcessingFailed, MESSAGE).await {
        Ok(Applied::Written(job)) => {
            warn!(job_id = %id, "dead-lettered job failed with processing_failed");
            if let Some(callbacks) = callbacks {
                callbacks.job_finished(&job);
            }
            Ok(Some(job.status))
        }
        Ok(Applied::Kept(status)) => {
            info!(job_id = %id, %status, "dead letter of a job that had already ended");
            Ok(Some(status))
        }
        Ok(Applied::Missing) => {
            info!(job_id = %id, "dead letter of a deleted job");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Reads `dead_letters` until `shutdown` turns true, failing each job named
/// there and deleting its message. Messages that are not S3 events never
/// reach this loop: the queue's reading keeps them (see `pixpipe_aws::messages`).
pub async fn watch_queue(
    dead_letters: Arc<dyn WorkQueue>,
    jobs: Arc<dyn JobStore>,
    callbacks: Option<Notifier>,
    poll_wait: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut pause = Duration::from_secs(1);
    while !*shutdown.borrow() {
        let received = tokio::select! {
            r = dead_letters.receive(10, LEASE, poll_wait) => r,
            _ = shutdown.changed() => break,
        };
        let batch = match received {
            Ok(batch) => {
                pause = Duration::from_secs(1);
                batch
            }
            Err(e) => {
                error!(error = ?e, retry_in = ?pause, "dead-letter receive failed");
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => break,
                }
                pause = (pause * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        for delivery in batch {
            match fail_job(jobs.as_ref(), delivery.job_id, callbacks.as_ref()).await {
                Ok(_) => {
                    if let Err(e) = dead_letters.ack(&delivery).await {
                        warn!(error = ?e, job_id = %delivery.job_id, "could not delete a handled dead letter");
                    }
                }
                Err(e) => {
                    // Comes back after a minute.
                    warn!(error = ?e, job_id = %delivery.job_id, "could not fail a dead-lettered job");
                    let _ = dead_letters
                        .release(&delivery, Duration::from_secs(60))
                        .await;
                }
            }
        }
    }
}
