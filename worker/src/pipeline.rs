//! One job, start to finish: claim, read the source, make the variants,
//! publish them, record the outcome. Every event source calls [`Pipeline::run`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pixpipe_core::error::cause_chain;
use pixpipe_core::lifecycle::{self, Applied, ClaimRefused};
use pixpipe_core::report::SkipReason;
use pixpipe_core::{
    BlobError, BlobStore, EncoderChoice, FailureCode, Job, JobId, JobResult, JobStatus, JobStore,
    Report, SkippedVariant, StoreError,
};
use pixpipe_imaging::{ImagingError, Limits};
use thiserror::Error;
use tracing::{info, warn};

use crate::callback::Notifier;
use crate::metrics::MetricsSink;

/// Tries at removing results no record points to.
const WITHDRAW_ATTEMPTS: u32 = 3;

/// Measurements of one run that finished its job, for per-job metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// From the start of the run to the job's final write.
    pub duration: Duration,
    /// Width × height of the source, from its header (0 when it was never read).
    pub source_pixels: u64,
    /// Bytes of every published output together.
    pub bytes_out: u64,
}

/// What happened to one delivery of a job.
#[derive(Debug)]
pub enum Outcome {
    /// Variants published; the job is `succeeded`.
    Succeeded(RunStats),
    /// The job is `failed` with this code (a permanent error, or retries spent).
    Failed { code: FailureCode, stats: RunStats },
    /// Nothing to do: the job is gone, finished, or another delivery runs it.
    Skipped(&'static str),
    /// A transient error: deliver again later.
    Retry(PipelineError),
}

impl Outcome {
    /// Whether the delivery is done with (acknowledge it) or must come back.
    pub fn is_final(&self) -> bool {
        !matches!(self, Outcome::Retry(_))
    }
}

/// Why a run stopped early.
#[derive(Debug, Error)]
pub enum PipelineError {
    #[error("job store failed")]
    Store(#[from] StoreError),
    #[error("blob store failed")]
    Blob(#[from] BlobError),
    #[error("image engine failed")]
    Imaging(#[from] ImagingError),
    #[error("image work panicked")]
    Panicked,
}

impl PipelineError {
    /// The stable code recorded on a failed job, and whether retrying can help.
    fn classify(&self) -> (FailureCode, bool) {
        match self {
            PipelineError::Imaging(e) => (e.into(), false),
            PipelineError::Blob(BlobError::NotFound(_)) => (FailureCode::SourceMissing, false),
            PipelineError::Blob(BlobError::TooLarge { .. }) => (FailureCode::InputTooLarge, false),
            PipelineError::Panicked => (FailureCode::InternalError, false),
            PipelineError::Store(StoreError::Full(_)) | PipelineError::Blob(BlobError::Full(_)) => {
                (FailureCode::StorageFull, true)
            }
            PipelineError::Store(_) | PipelineError::Blob(BlobError::Backend(_)) => {
                (FailureCode::ProcessingFailed, true)
            }
        }
    }

    fn public_message(&self) -> String {
        match self {
            PipelineError::Imaging(e) => e.to_string(),
            PipelineError::Blob(e @ (BlobError::NotFound(_) | BlobError::TooLarge { .. })) => {
                e.to_string()
            }
            PipelineError::Store(StoreError::Full(_)) | PipelineError::Blob(BlobError::Full(_)) => {
                "the server's storage stayed full through the last retry".to_owned()
            }
            _ => "processing failed after the last retry".to_owned(),
        }
    }
}

/// The ports and limits a run needs.
#[derive(Clone)]
pub struct Pipeline {
    pub jobs: Arc<dyn JobStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub limits: Limits,
    /// Sends the callbacks of jobs this pipeline finishes; `None`: no callbacks.
    pub callbacks: Option<Notifier>,
    /// The overlay of variants that ask for a watermark, decoded once at
    /// start-up; `None`: such variants fail with `watermark_unavailable`.
    pub watermark: Option<Arc<pixpipe_imaging::Watermark>>,
    /// Where the metrics line of each job this pipeline finishes goes.
    pub metrics: MetricsSink,
}

impl Pipeline {
    /// Runs delivery number `receive_count` of job `id`. On the `last_attempt`
    /// a transient error fails the job instead of asking for a retry.
    #[tracing::instrument(skip(self), fields(job_id = %id))]
    pub async fn run(&self, id: JobId, receive_count: u32, last_attempt: bool) -> Outcome {
        let outcome = self.attempt(id, receive_count, last_attempt).await;
        self.metrics.record(id, &outcome);
        outcome
    }

    async fn attempt(&self, id: JobId, receive_count: u32, last_attempt: bool) -> Outcome {
        let started = Instant::now();
        let mut stats = RunStats::default();
        match self.try_run(id, receive_count, &mut stats).await {
            Ok(Outcome::Succeeded(_)) => Outcome::Succeeded(RunStats {
                duration: started.elapsed(),
                ..stats
            }),
            Ok(outcome) => outcome,
            Err(error) => {
                let (code, retryable) = error.classify();
                if retryable && !last_attempt {
                    warn!(error.cause_chain = ?cause_chain(&error), "transient failure, will retry");
                    return Outcome::Retry(error);
                }
                warn!(code = code.as_str(), error.cause_chain = ?cause_chain(&error), "job failed");
                match lifecycle::fail(self.jobs.as_ref(), id, code, &error.public_message())
                    .await
                    .inspect(|a| self.announce(a))
                {
                    Ok(_) => Outcome::Failed {
                        code,
                        stats: RunStats {
                            duration: started.elapsed(),
                            ..stats
                        },
                    },
                    Err(store) => Outcome::Retry(store.into()),
                }
            }
        }
    }

    async fn try_run(
        &self,
        id: JobId,
        receive_count: u32,
        stats: &mut RunStats,
    ) -> Result<Outcome, PipelineError> {
        let job = match lifecycle::claim(self.jobs.as_ref(), id, receive_count).await? {
            Applied::Written(job) => job,
            Applied::Missing => return Ok(Outcome::Skipped("job not found")),
            Applied::Kept(ClaimRefused::InProgress) => {
                return Ok(Outcome::Skipped("another delivery is running this job"));
            }
            Applied::Kept(ClaimRefused::Finished(_)) => {
                return Ok(Outcome::Skipped("job already finished"));
            }
        };
        let source = self
            .blobs
            .get(&job.source_key(), self.limits.max_input_bytes as u64)
            .await?;
        if let Ok(probe) = pixpipe_imaging::probe(&source, &self.limits) {
            stats.source_pixels = u64::from(probe.width) * u64::from(probe.height);
        }
        let variants: Vec<_> = job.variants.iter().map(|v| v.to_variant()).collect();
        let made = self.render(source, variants).await?;
        let report = Report {
            skipped: job
                .variants
                .iter()
                .zip(&made.outputs)
                .filter(|(_, out)| out.is_none())
                .map(|(spec, _)| SkippedVariant {
                    name: spec.name.clone(),
                    skipped: SkipReason::Budget,
                })
                .collect(),
            placeholder: made.placeholder.map(Into::into),
            source: Some(made.source.into()),
        };
        if !report.skipped.is_empty() {
            info!(skipped = ?report.skipped, "AVIF budget skipped variants");
        }

        let (keys, results) = self.publish(&job, made.outputs, stats).await?;
        let recorded = lifecycle::succeed(self.jobs.as_ref(), id, results, report)
            .await
            .inspect(|a| self.announce(a));
        match recorded {
            Ok(Applied::Written(_)) => {
                info!(attempt = receive_count, "job succeeded");
                Ok(Outcome::Succeeded(*stats))
            }
            // Another delivery published the same keys and recorded them: they stay.
            Ok(Applied::Kept(JobStatus::Succeeded)) => {
                Ok(Outcome::Skipped("job finished by another delivery"))
            }
            Ok(Applied::Missing) => {
                self.withdraw(&keys).await;
                Ok(Outcome::Skipped("job deleted while processing"))
            }
            Ok(Applied::Kept(_)) => {
                self.withdraw(&keys).await;
                Ok(Outcome::Skipped("job finished by another delivery"))
            }
            Err(e) => {
                // Whether the write landed is unknown: the results stay
                // unless the record is certainly gone (a retry would skip it).
                if let Ok(None) = self.jobs.get(id).await {
                    self.withdraw(&keys).await;
                }
                Err(e.into())
            }
        }
    }

    /// Writes every output at its public key; all or nothing. Returns the
    /// keys written and the results to record.
    async fn publish(
        &self,
        job: &Job,
        outputs: Vec<Option<pixpipe_imaging::Output>>,
        stats: &mut RunStats,
    ) -> Result<(Vec<String>, Vec<JobResult>), PipelineError> {
        let mut keys = Vec::with_capacity(outputs.len());
        let mut results = Vec::with_capacity(outputs.len());
        let made = job.variants.iter().zip(outputs);
        for (spec, out) in made.filter_map(|(spec, out)| Some((spec, out?))) {
            let key = spec.result_key(&job.id);
            let bytes = out.bytes.len() as u64;
            stats.bytes_out += bytes;
            keys.push(key.clone());
            let put = self
                .blobs
                .put_public(&key, Bytes::from(out.bytes), out.format.content_type())
                .await;
            if let Err(e) = put {
                self.withdraw(&keys).await;
                return Err(e.into());
            }
            results.push(JobResult {
                name: spec.name.clone(),
                url: self.blobs.public_url(&key),
                content_type: out.format.content_type().to_owned(),
                width: out.width,
                height: out.height,
                bytes,
                encoder: out.avif_speed.map(EncoderChoice::rav1e),
            });
        }
        Ok((keys, results))
    }

    /// Removes results that no record points to (the job was deleted or
    /// ended otherwise while they were written), trying a few times.
    async fn withdraw(&self, keys: &[String]) {
        let mut pause = Duration::from_millis(100);
        for attempt in 1..=WITHDRAW_ATTEMPTS {
            match self.blobs.delete(keys).await {
                Ok(()) => return,
                Err(e) if attempt == WITHDRAW_ATTEMPTS => {
                    warn!(error.cause_chain = ?cause_chain(&e), ?keys, "results left behind");
                }
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
        }
    }

    /// Starts the callback of a job this run has just finished.
    fn announce<T>(&self, applied: &Applied<T>) {
        if let (Some(callbacks), Applied::Written(job)) = (&self.callbacks, applied) {
            callbacks.job_finished(job);
        }
    }

    /// CPU-bound work off the async runtime, carrying the current span.
    async fn render(
        &self,
        source: Bytes,
        variants: Vec<pixpipe_imaging::Variant>,
    ) -> Result<pixpipe_imaging::Made, PipelineError> {
        let limits = self.limits;
        let watermark = self.watermark.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            pixpipe_imaging::make(&source, &variants, &limits, watermark.as_deref())
        })
        .await
        .map_err(|_| PipelineError::Panicked)?
        .map_err(PipelineError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_space() -> pixpipe_core::BoxError {
        std::io::Error::from(std::io::ErrorKind::StorageFull).into()
    }

    /// Full storage is retried, then ends the job as `storage_full`.
    #[test]
    fn full_storage_is_transient_and_ends_as_storage_full() {
        let errors = [
            PipelineError::Store(StoreError::Full(no_space())),
            PipelineError::Blob(BlobError::Full(no_space())),
        ];
        for error in errors {
            assert_eq!(
                error.classify(),
                (FailureCode::StorageFull, true),
                "{error}"
            );
            assert!(error.public_message().contains("storage"), "{error}");
        }
        let other = PipelineError::Blob(BlobError::Backend(no_space()));
        assert_eq!(other.classify(), (FailureCode::ProcessingFailed, true));
    }
}
