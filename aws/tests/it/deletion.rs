//! Deletion is final on S3/DynamoDB: a job deleted while the worker runs it
//! leaves no results, whichever of the two finishes first. A job store
//! wrapper deletes the job (through the API's `Service`) right before the
//! pipeline's final write, after every result has been published.

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use pixpipe_core::{
    BlobError, BlobStore, Job, JobId, JobStatus, JobStore, NewJob, Service, Settings, StoreError,
    VariantSpec,
};
use pixpipe_worker::{Outcome, Pipeline};

use crate::common::Env;

/// Forwards to the real store; deletes the job first when asked to record success.
struct DeleteBeforeSuccess {
    inner: Arc<dyn JobStore>,
    service: OnceLock<Service>,
    /// Remove only the record, as when the DELETE removed the files before
    /// anything was published: then only the pipeline can clean up.
    record_only: bool,
}

#[async_trait]
impl JobStore for DeleteBeforeSuccess {
    async fn insert(&self, job: &Job) -> Result<(), StoreError> {
        self.inner.insert(job).await
    }
    async fn get(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.inner.get(id).await
    }
    async fn list(
        &self,
        owner: &str,
        before: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.inner.list(owner, before, limit).await
    }
    async fn replace(&self, job: &Job, expected_version: u64) -> Result<bool, StoreError> {
        if job.status == JobStatus::Succeeded && self.record_only {
            self.inner.delete(job.id).await?;
        } else if job.status == JobStatus::Succeeded {
            let service = self.service.get().expect("service set");
            service.delete(&job.owner, job.id).await.expect("delete");
        }
        self.inner.replace(job, expected_version).await
    }
    async fn delete(&self, id: JobId) -> Result<bool, StoreError> {
        self.inner.delete(id).await
    }
}

fn variant(name: &str, side: u32) -> VariantSpec {
    serde_json::from_value(serde_json::json!({
        "name": name, "width": side, "height": side, "fit": "inside", "format": "jpeg"
    }))
    .unwrap()
}

#[tokio::test]
async fn a_job_deleted_before_its_final_write_leaves_no_results() {
    deleted_before_final_write(false).await;
}

#[tokio::test]
async fn the_pipeline_removes_what_it_published_for_a_deleted_record() {
    deleted_before_final_write(true).await;
}

async fn deleted_before_final_write(record_only: bool) {
    let env = Env::new().await;
    let racing = Arc::new(DeleteBeforeSuccess {
        inner: env.aws.jobs.clone(),
        service: OnceLock::new(),
        record_only,
    });
    let service = Service::new(racing.clone(), env.aws.blobs.clone(), Settings::default());
    racing.service.set(service.clone()).ok().unwrap();

    let mut photo = Cursor::new(Vec::new());
    image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .write_to(&mut photo, image::ImageFormat::Png)
        .unwrap();
    let photo = photo.into_inner();
    let request = NewJob {
        content_type: "image/png".to_owned(),
        content_length: photo.len() as u64,
        filename: None,
        preset: None,
        variants: Some(vec![variant("small", 200), variant("big", 400)]),
        callback_url: None,
    };
    let (job, ticket) = service.create("owner-d", request).await.unwrap();
    let mut put = reqwest::Client::new().put(&ticket.url).body(photo);
    for (name, value) in &ticket.headers {
        put = put.header(name, value);
    }
    assert!(put.send().await.unwrap().status().is_success());

    let pipeline = Pipeline {
        jobs: racing.clone(),
        blobs: env.aws.blobs.clone(),
        limits: pixpipe_imaging::Limits::default(),
        callbacks: None,
        watermark: None,
        metrics: pixpipe_worker::metrics::MetricsSink::Off,
    };
    let outcome = pipeline.run(job.id, 1, false).await;
    assert!(
        matches!(outcome, Outcome::Skipped("job deleted while processing")),
        "{outcome:?}"
    );
    assert!(env.aws.jobs.get(job.id).await.unwrap().is_none());
    let blobs: &dyn BlobStore = env.aws.blobs.as_ref();
    for spec in &job.variants {
        let key = spec.result_key(&job.id);
        let got = blobs.get(&key, u64::MAX).await;
        assert!(matches!(got, Err(BlobError::NotFound(_))), "{key}: {got:?}");
        let public = reqwest::get(blobs.public_url(&key)).await.unwrap();
        assert!(!public.status().is_success(), "{key} still served");
    }
}
