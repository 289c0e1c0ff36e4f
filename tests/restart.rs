//! Durability: work queued while no worker runs is done after a restart on
//! the same data dir.

mod common;

use std::time::Duration;

use common::{corpus, spawn_in};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn queued_job_runs_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(corpus("rocket.jpg")).unwrap();

    // A server that only accepts uploads: the job stays queued.
    let app = spawn_in(dir.path(), |a| a.workers = Some(0)).await;
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    assert_eq!(app.upload(&created, bytes).await.status(), 200);
    let id = created["id"].as_str().unwrap().to_owned();
    let job: Value = app
        .client
        .get(app.url(&format!("/v1/jobs/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
