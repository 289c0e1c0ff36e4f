//! Long polling: `GET /v1/jobs/{id}?wait=N` answers when the status changes,
//! or after N seconds when nothing does.

use std::time::{Duration, Instant};

use crate::common::{Photo, assert_problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn wait_returns_on_change_or_at_timeout() {
    let app = spawn_app().await;
    let bytes = Photo::Rocket.bytes().to_vec();
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    let url = app.url(&format!("/v1/jobs/{}", created["id"].as_str().unwrap()));

    // Nothing happens: the answer comes at the timeout, unchanged.
    let started = Instant::now();
    let job: Value = app.get_json(format!("{url}?wait=2")).await;
    let took = started.elapsed();
    assert_eq!(job["status"], "awaiting_upload");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "took {took:?}"
    );

    // The upload lands 1 s into a 10 s wait: the answer comes right after it.
    let waiter = {
        let (client, url) = (app.client.clone(), url.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let job: Value = client
                .get(format!("{url}?wait=10"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (job, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let uploaded_at = Instant::now();
    assert_eq!(app.upload(&created, bytes).await.status(), 200);
    let (job, took) = waiter.await.unwrap();
    assert_ne!(job["status"], "awaiting_upload", "{job}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        uploaded_at.elapsed() < Duration::from_secs(1),
        "answered within a second of the change"
    );

    // Finished jobs answer at once; a wait over 20 s is refused.
    let done = app
        .wait_done(created["id"].as_str().unwrap(), Duration::from_secs(60))
        .await;
    assert_eq!(done["status"], "succeeded");
    let started = Instant::now();
    let res = app
        .client
        .get(format!("{url}?wait=20"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_problem(
        app.client
            .get(format!("{url}?wait=21"))
            .send()
            .await
            .unwrap(),
        400,
        "invalid_request",
    )
    .await;
}
