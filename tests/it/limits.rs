//! The request limits over HTTP: a request too slow, with too long a target
//! or too large header fields is answered with a problem document.

use crate::common::{Photo, assert_problem, spawn_app, spawn_with};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn too_long_target_is_414_uri_too_long() {
    let app = spawn_app().await;
    let cursor = "a".repeat(pixpipe_api::limits::MAX_URI_BYTES);
    let res = app
        .client
        .get(app.url(&format!("/v1/jobs?cursor={cursor}")))
        .send()
        .await
        .unwrap();
    assert_problem(res, 414, "uri_too_long").await;
    // Within the limit the request reaches its handler.
    let res = app.client.get(app.url("/v1/jobs?cursor=aaaa")).send();
    assert_problem(res.await.unwrap(), 400, "invalid_request").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_large_headers_are_431_headers_too_large() {
    let app = spawn_app().await;
    let filler = "f".repeat(pixpipe_api::limits::MAX_HEADER_BYTES / 4);
    let mut request = app.client.get(app.url("/healthz"));
    for i in 0..5 {
        request = request.header(format!("x-filler-{i}"), &filler);
    }
    assert_problem(request.send().await.unwrap(), 431, "headers_too_large").await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-filler", &filler);
    assert_eq!(res.send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn request_over_the_timeout_is_408_request_timeout() {
    let app = spawn_with(|a| a.request_timeout_secs = 1).await;
    let bytes = Photo::Rocket.bytes().to_vec();
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    // A long poll on a job that never changes outlasts the timeout.
    let id = created["id"].as_str().unwrap();
    let res = app
        .client
        .get(app.url(&format!("/v1/jobs/{id}?wait=5")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()
            .get("connection")
            .and_then(|v| v.to_str().ok()),
        Some("close")
    );
    assert_problem(res, 408, "request_timeout").await;
}
