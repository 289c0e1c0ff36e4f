//! Durability: work queued while no worker runs is done after a restart on
//! the same data dir.

use std::time::Duration;

use crate::common::{Photo, spawn_in};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn queued_job_runs_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = Photo::Rocket.bytes().to_vec();

    // A server that only accepts uploads: the job stays queued.
    let app = spawn_in(dir.path(), |a| a.workers = Some(0)).await;
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    assert_eq!(app.upload(&created, bytes).await.status(), 200);
    let id = created["id"].as_str().unwrap().to_owned();
    let job: Value = app.get_json(app.url(&format!("/v1/jobs/{id}"))).await;
    assert_eq!(job["status"], "queued");
    app.server.stop().await.unwrap();

    // Same data dir, workers on, another port: the queued job is drained.
    let app = spawn_in(dir.path(), |_| {}).await;
    let job = app.wait_done(&id, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let url = job["results"][0]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&app.base),
        "results use the new public URL: {url}"
    );
    assert_eq!(app.client.get(url).send().await.unwrap().status(), 200);
}

/// A worker that dies during the last allowed delivery never acks it: the
/// item is dead-lettered and the job is failed, not left `processing`.
#[tokio::test(flavor = "multi_thread")]
async fn job_whose_last_delivery_is_lost_fails() {
    use pixpipe_core::WorkQueue;
    let dir = tempfile::tempdir().unwrap();
    let bytes = Photo::Rocket.bytes().to_vec();
    let app = spawn_in(dir.path(), |a| {
        a.workers = Some(0);
        a.job.max_attempts = 1;
    })
    .await;
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    assert_eq!(app.upload(&created, bytes).await.status(), 200);
    let id = created["id"].as_str().unwrap();

    // A "worker" takes the delivery and dies without settling it.
    let store = app.server.local.clone().unwrap();
    let lost = store
        .receive(1, Duration::from_millis(100), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(lost.len(), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    // The next receive finds it out of deliveries and dead-letters it.
    assert!(
        store
            .receive(1, Duration::from_secs(1), Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );

    let job = app.wait_done(id, Duration::from_secs(10)).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "processing_failed");
}
