//! `pixpipe serve --backend aws` end to end against a local AWS-protocol
//! server (moto; the test command starts it and sets `AWS_ENDPOINT_URL`):
//! resources as `template.yaml` declares them, the command run with the
//! environment the template gives its functions, a job created through the
//! API, the photo PUT to the S3 presigned URL, the S3 notification through SQS
//! to the long-polling worker, the results in the public results bucket, and a
//! graceful stop on SIGTERM.

use std::time::{Duration, Instant};

use crate::common::{Photo, ServeProcess};
use pixpipe_testkit::{Plan, Stack};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn aws_backend_processes_an_upload_end_to_end() {
    let bytes = Photo::Rocket.bytes().to_vec();
    let results = process_on_aws(bytes, "image/jpeg").await;
    assert_eq!(results.len(), 3);
}

/// An iPhone-style HEIC goes the same way.
#[tokio::test(flavor = "multi_thread")]
async fn aws_backend_processes_a_heic() {
    let results = process_on_aws(crate::common::heic(1600, 1200), "image/heic").await;
    let sizes: Vec<_> = results
        .iter()
        .map(|r| (r["width"].clone(), r["height"].clone()))
        .collect();
    assert_eq!(
        sizes,
        [
            (json!(300), json!(300)),
            (json!(1024), json!(768)),
            (json!(1600), json!(1200))
        ]
    );
}

/// Provisions the resources, starts the server, runs one job for `bytes`
/// and checks its published results, which it returns.
async fn process_on_aws(bytes: Vec<u8>, content_type: &str) -> Vec<Value> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: start moto with `scripts/moto-server` (./scripts/test does)",
    );
    let sdk = pixpipe_testkit::local_sdk(&endpoint).await;
    // Everything template.yaml declares, read from the template itself.
    let plan = Plan::unique("e2e").parameter("MaxAttempts", "3");
    let stack = pixpipe_testkit::provision(&sdk, &plan)
        .await
        .expect("resources created from template.yaml");
    let config = stack.config.clone();
    let region = sdk.region().expect("a region").to_string();

    let server = serve_aws(&stack, &endpoint, &region).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();

    let created: Value = client
        .post(format!("{base}/v1/jobs"))
        .json(&json!({"content_type": content_type, "content_length": bytes.len()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let upload = &created["upload"];
    let url = upload["url"].as_str().expect("presigned URL");
    assert!(url.starts_with(&endpoint), "an S3 URL: {url}");
    assert!(url.contains("X-Amz-Signature="));
    let res = client
        .put(url)
        .headers(crate::common::headers_of(&upload["headers"]))
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "S3 PUT: {}", res.status());

    let id = created["id"].as_str().unwrap();
    let started = Instant::now();
    let job = loop {
        let job: Value = client
            .get(format!("{base}/v1/jobs/{id}?wait=5"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if matches!(job["status"].as_str(), Some("succeeded" | "failed")) {
            break job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "not done: {job}"
        );
    };
    assert_eq!(job["status"], "succeeded", "{job}");
    let results = job["results"].as_array().unwrap().clone();
    for result in &results {
        let url = result["url"].as_str().unwrap();
        assert!(url.starts_with(&config.public_base_url), "{url}");
        let res = client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(
            res.headers()["content-type"],
            result["content_type"].as_str().unwrap()
        );
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let body = res.bytes().await.unwrap();
        assert_eq!(body.len() as u64, result["bytes"].as_u64().unwrap());
        let img = image::load_from_memory(&body).unwrap();
        assert_eq!(
            (img.width() as u64, img.height() as u64),
            (
                result["width"].as_u64().unwrap(),
                result["height"].as_u64().unwrap()
            )
        );
    }
    server.stop().await;
    results
}

/// `pixpipe serve --backend aws` with one worker, the stack's function
/// environment, the results served from the endpoint, and the local
/// endpoint's region and (unless the environment has some) dummy credentials.
async fn serve_aws(stack: &Stack, endpoint: &str, region: &str) -> ServeProcess {
    serve_aws_with(stack, endpoint, region, &["--workers", "1"], &[]).await
}

/// [`serve_aws`] with other flags and more environment.
pub async fn serve_aws_with(
    stack: &Stack,
    endpoint: &str,
    region: &str,
    flags: &[&str],
    vars: &[(&str, &str)],
) -> ServeProcess {
    let mut args = vec!["--backend", "aws"];
    args.extend_from_slice(flags);
    ServeProcess::start(&args, |command| {
        command
            .envs(&stack.environment)
            .envs(vars.iter().copied())
            .env("PIXPIPE_PUBLIC_BASE_URL", &stack.config.public_base_url)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", region);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            command
                .env("AWS_ACCESS_KEY_ID", "local")
                .env("AWS_SECRET_ACCESS_KEY", "local");
        }
    })
    .await
}
