//! The ports' contract: one test suite of what `JobStore`, `BlobStore` and
//! `WorkQueue` promise (`pixpipe_core::ports`), written once and run against
//! every set of adapters.
//!
//! A backend's tests implement [`Backend`] (the three ports over fresh, empty
//! storage, plus the two things the ports leave to the backend: how a work
//! item gets into the queue and how a dead-lettered one is seen) and invoke
//! [`contract_tests!`](crate::contract_tests), which writes one
//! `#[tokio::test]` per promise, so a failure names the promise, and the test
//! binary names the backend.
//!
//! - [`jobs`]: round trip, duplicate ids, compare-and-swap, delete, listing.
//! - [`blobs`]: presigned uploads, published objects, absent keys.
//! - [`queue`]: waiting, batches, visibility, lease renewal, release, ack,
//!   dead letters.
//!
//! This module names no adapter: the crate never depends on `pixpipe-local`,
//! and the suite itself uses nothing of `pixpipe-aws`.

pub mod blobs;
pub mod jobs;
pub mod queue;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use pixpipe_core::report::{BlurHash, Metadata, SkipReason, SourceFormat};
use pixpipe_core::{
    BlobStore, EncoderChoice, FailureCode, Job, JobError, JobId, JobResult, JobStatus, JobStore,
    Placeholder, SkippedVariant, SourceInfo, VariantSpec, WorkQueue,
};

/// One backend's adapters over storage no other test uses.
#[async_trait]
pub trait Backend: Send + Sync {
    fn jobs(&self) -> &dyn JobStore;
    fn blobs(&self) -> &dyn BlobStore;
    fn queue(&self) -> &dyn WorkQueue;
    /// Puts one work item for `job` into the queue, the way the backend's
    /// producer does once the job's source has arrived (locally: a queued
    /// job; on AWS: the source bucket's `ObjectCreated` notification).
    async fn enqueue(&self, job: JobId);
    /// Whether the work item of `job` is in the backend's dead-letter state.
    async fn dead_lettered(&self, job: JobId) -> bool;
}

/// A job record awaiting its upload, with every optional field set, so
/// that a round trip shows each of them kept.
pub fn sample_job(owner: &str) -> Job {
    let now = Utc::now();
    let variant: VariantSpec = serde_json::from_value(serde_json::json!({
        "name": "thumb", "width": 320, "height": 240, "fit": "cover", "format": "webp",
        "quality": 72,
    }))
    .expect("a valid variant");
    let id = JobId::new();
    Job {
        id,
        owner: owner.to_owned(),
        status: JobStatus::AwaitingUpload,
        created_at: now,
        updated_at: now,
        filename: Some("été 2024 «plage».jpg".to_owned()),
        content_type: "image/jpeg".to_owned(),
        content_length: 4,
        preset: Some("standard".to_owned()),
        variants: vec![variant],
        attempts: 0,
        results: Vec::new(),
        skipped: Vec::new(),
        placeholder: None,
        source: None,
        error: None,
        upload_expires_at: now + Duration::minutes(15),
        upload_held_until: Some(now + Duration::minutes(20)),
        callback_url: Some("https://hooks.example.com/pixpipe?x=1".to_owned()),
        version: 1,
    }
}

/// `job` moved on by one write, as a use case would: a finished job with a
/// result and an error, `version` one higher.
pub fn next_version(job: &Job) -> Job {
    let mut next = job.clone();
    next.status = JobStatus::Failed;
    next.updated_at = job.updated_at + Duration::milliseconds(1);
    next.attempts += 1;
    next.results = vec![JobResult {
        name: "thumb".to_owned(),
        url: format!("https://img.example.com/results/{}/thumb.webp", job.id),
        content_type: "image/webp".to_owned(),
        width: 320,
        height: 240,
        bytes: 1234,
        encoder: Some(EncoderChoice::rav1e(8)),
    }];
    // Every field a succeeded job reports, so that each store keeps them all.
    next.skipped = vec![SkippedVariant {
        name: "large-avif".to_owned(),
        skipped: SkipReason::Budget,
    }];
    next.placeholder = Some(Placeholder {
        thumbhash: "3OcRJYB4d3h/iIeHeEh3eIhw+j2w".to_owned(),
        blurhash: BlurHash {
            hash: "LKO2:N%2Tw=w]~RBVZRi};RPxuwH".to_owned(),
            components_x: 4,
            components_y: 3,
        },
        dominant_color: "#5b7a99".to_owned(),
    });
    next.source = Some(SourceInfo {
        format: SourceFormat::Heic,
        width: 3024,
        height: 4032,
        has_alpha: false,
        frames: 1,
        icc_profile: Some("Display P3 «wide»".to_owned()),
        orientation: 6,
        bytes: 4,
        metadata_removed: vec![Metadata::Exif, Metadata::Gps, Metadata::Xmp],
    });
    next.error = Some(JobError {
        code: FailureCode::CorruptImage,
        message: format!("attempt {} found a corrupt image", next.attempts),
    });
    next.version = job.version + 1;
    next
}

/// Writes one `#[tokio::test]` per promise of the suite, each on a backend
/// made fresh by `$open().await` (an `async fn` returning a [`Backend`]).
#[macro_export]
macro_rules! contract_tests {
    ($open:path) => {
        $crate::contract_tests!(@each $open;
            jobs::insert_then_get_round_trips,
            jobs::insert_refuses_a_duplicate_id,
            jobs::replace_writes_only_at_the_expected_version,
            jobs::delete_removes_the_record_for_good,
            jobs::list_pages_one_owners_jobs_newest_first,
            blobs::presigned_url_accepts_one_upload,
            blobs::published_object_round_trips_and_is_deleted,
            blobs::absent_objects_are_not_found_and_deletable,
            queue::receive_waits_for_items_and_gives_at_most_max,
            queue::delivery_is_hidden_until_its_visibility_passes,
            queue::extend_keeps_a_delivery_hidden,
            queue::release_redelivers_after_the_delay,
            queue::ack_removes_the_item_for_good,
            queue::item_is_dead_lettered_after_max_receives,
        );
    };
    (@each $open:path; $($module:ident :: $promise:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $promise() {
                let backend = $open().await;
                $crate::contract::$module::$promise(&backend).await;
            }
        )*
    };
}
