//! The upload window over HTTP: a URL is checked when the upload begins, so
//! an upload begun in time finishes and its job proceeds, whatever the clock
//! says by then.

use std::time::Duration;

use crate::common::{Photo, TestClock, headers_of, spawn_with};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn upload_begun_before_expiry_finishes_after_it() {
    let clock = TestClock::shared();
    let app = spawn_with(|a| {
        a.job.upload_ttl_secs = 60;
        a.clock = Some(clock.clone());
    })
    .await;
    let bytes = Photo::Rocket.bytes().to_vec();
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    let id = created["id"].as_str().unwrap().to_owned();

    // The body arrives in two halves; the clock passes the expiry in between.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let (first, second) = bytes.split_at(bytes.len() / 2);
    tx.send(Ok(first.to_vec())).await.unwrap();
    let put = app
        .client
        .put(created["upload"]["url"].as_str().unwrap())
        .headers(headers_of(&created["upload"]["headers"]))
        .body(reqwest::Body::wrap_stream(tokio_stream_of(rx)))
        .send();
    let put = tokio::spawn(put);

    // The server has accepted the upload once its part file exists.
    let part = app.data_dir.join(format!("blobs/uploads/{id}.part"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !part.exists() {
        assert!(tokio::time::Instant::now() < deadline, "upload never began");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    clock.advance(Duration::from_secs(61));
    // Reading the job (which expires stale jobs) leaves it awaiting the upload.
    let job: Value = app.get_json(app.url(&format!("/v1/jobs/{id}"))).await;
    assert_eq!(job["status"], "awaiting_upload", "{job}");

    tx.send(Ok(second.to_vec())).await.unwrap();
    drop(tx);
    let res = put.await.unwrap().unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let job = app.wait_done(&id, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "succeeded", "{job}");

    // A new upload to the now expired URL is still refused.
    let again = app.upload(&created, bytes).await;
    assert_eq!(again.status(), 403);
}

/// The receiver's items as a stream.
fn tokio_stream_of<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|t| (t, rx)) })
}
