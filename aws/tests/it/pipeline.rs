//! The whole AWS path on moto: the API's `Service` creates a job (DynamoDB +
//! presigned S3 URL), the client uploads, S3 notifies SQS, the worker's
//! `handle` runs the delivery, and the results are served at public URLs.

use std::io::Cursor;

use pixpipe_core::{JobStatus, NewJob, Service, Settings, WorkQueue};
use pixpipe_worker::{Outcome, Pipeline};

use crate::common::Env;
use crate::queue::receive_some;

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn upload_notification_worker_and_public_results() {
    let env = Env::new().await;
    let service = Service::new(
        env.aws.jobs.clone(),
        env.aws.blobs.clone(),
        Settings::default(),
    );
    let photo = png(640, 480);
    let request = NewJob {
        content_type: "image/png".to_owned(),
        content_length: photo.len() as u64,
        filename: Some("e2e.png".to_owned()),
        preset: None,
        variants: None,
        callback_url: None,
    };
    let (job, ticket) = service.create("owner-a", request).await.unwrap();
    let mut put = reqwest::Client::new().put(&ticket.url).body(photo);
    for (name, value) in &ticket.headers {
        put = put.header(name, value);
    }
    assert!(put.send().await.unwrap().status().is_success());

    let queue: &dyn WorkQueue = env.aws.queue.as_ref();
    let got = receive_some(queue).await;
    assert_eq!(got[0].job_id, job.id);
    let pipeline = Pipeline {
        jobs: env.aws.jobs.clone(),
        blobs: env.aws.blobs.clone(),
        limits: pixpipe_imaging::Limits::default(),
        callbacks: None,
        watermark: None,
        metrics: pixpipe_worker::metrics::MetricsSink::Off,
    };
    let outcome = pixpipe_worker::handle(
        queue,
        &pipeline,
        &got[0],
        pixpipe_worker::DEFAULT_VISIBILITY,
    )
    .await;
    assert!(matches!(outcome, Outcome::Succeeded(_)), "{outcome:?}");
    assert_eq!(env.messages_left().await, 0, "delivery not acked");

    let done = service.get("owner-a", job.id).await.unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert!(!done.results.is_empty());
    for result in &done.results {
        let response = reqwest::get(&result.url).await.unwrap();
        assert!(response.status().is_success(), "{}", result.url);
        assert_eq!(
            response.headers()["content-type"],
            result.content_type.as_str()
        );
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(response.bytes().await.unwrap().len() as u64, result.bytes);
    }
}
