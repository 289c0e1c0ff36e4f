//! Crash recovery in seconds: a worker's delivery is a lease it renews while
//! it works, so a long job is never started twice, and a `serve` killed
//! mid-job (SIGKILL) picks the job up again as soon as it restarts.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Photo, ServeProcess};

/// Large WebP outputs of a 12 MP photo: seconds of work on one worker.
fn heavy_job() -> Value {
    let variants: Vec<Value> = (0..6)
        .map(|n| {
            json!({"name": format!("big{n}"), "width": 4032 - n * 8, "height": 3024,
                   "fit": "inside", "format": "webp", "quality": 95})
        })
        .collect();
    json!({ "variants": variants })
}

async fn start(dir: &std::path::Path, extra: &[&str]) -> ServeProcess {
    let mut args = vec!["--data-dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    ServeProcess::start(&args, |c| {
        c.env("RUST_LOG", "warn");
    })
    .await
}

/// Uploads the heavy job and returns its id once a worker has started it.
async fn started_heavy_job(server: &ServeProcess) -> (String, Instant) {
    let bytes = Photo::Phone12mp.bytes().to_vec();
    let created = server.create_for(&bytes, "image/jpeg", heavy_job()).await;
    assert_eq!(server.upload(&created, bytes).await.status(), 200);
    let id = created["id"].as_str().unwrap().to_owned();
    let url = server.url(&format!("/v1/jobs/{id}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = server.get_json(&url).await;
        match job["status"].as_str() {
            Some("processing") => return (id, Instant::now()),
            Some("queued") => {}
            _ => panic!("the job should be queued, then processing: {job}"),
        }
        assert!(Instant::now() < deadline, "never processing: {job}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_killed_mid_processing_succeeds_soon_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    // A visibility timeout far longer than the test: only the start-up
    // release of the dead process's deliveries can bring the job back in time.
    let long_lease = ["--workers", "1", "--visibility-timeout-secs", "3600"];
    let server = start(dir.path(), &long_lease).await;
    let (id, _) = started_heavy_job(&server).await;
    server.kill();

    let restarted_at = Instant::now();
    let server = start(dir.path(), &long_lease).await;
    let first = server.get_json(server.url(&format!("/v1/jobs/{id}"))).await;
    assert_eq!(
        first["status"], "processing",
        "the kill must land mid-job for this test to mean anything: {first}"
    );
    let job = server.wait_done(&id, Duration::from_secs(30)).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(restarted_at.elapsed() < Duration::from_secs(30));
    assert_eq!(
        job["attempts"], 2,
        "one attempt killed, one finished: {job}"
    );
    for result in job["results"].as_array().unwrap() {
        let res = server
            .client
            .get(result["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{result}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_longer_than_the_visibility_timeout_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let visibility = Duration::from_secs(3);
    let server = start(
        dir.path(),
        &["--workers", "2", "--visibility-timeout-secs", "3"],
    )
    .await;
    let (id, started) = started_heavy_job(&server).await;
    let job = server.wait_done(&id, Duration::from_secs(120)).await;
    let took = started.elapsed();
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(
        took > visibility + Duration::from_secs(1),
        "the job must outlast the visibility timeout for this test to mean anything: {took:?}"
    );
    // Without renewals the idle second worker would have received the item
    // again after 3 s and started a second attempt.
    assert_eq!(job["attempts"], 1, "{job}");
    server.stop().await;
}
