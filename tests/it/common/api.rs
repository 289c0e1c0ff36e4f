//! A client of the HTTP API as an app uses it: create a job, PUT the bytes to
//! the upload URL with exactly the headers given, poll until the job is done.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::headers_of;

/// The API at `base` (`http://127.0.0.1:PORT`), with one HTTP client.
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api {
            base,
            client: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /v1/jobs`; returns (status, body).
    pub async fn create(&self, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(self.url("/v1/jobs"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Creates a job for `bytes` with the given extra fields; panics unless 201.
    pub async fn create_for(&self, bytes: &[u8], content_type: &str, extra: Value) -> Value {
        let mut body = json!({"content_type": content_type, "content_length": bytes.len()});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let (status, created) = self.create(body).await;
        assert_eq!(status, 201, "create failed: {created}");
        created
    }

    /// PUTs `bytes` to the job's upload URL with exactly the returned headers.
    pub async fn upload(&self, created: &Value, bytes: Vec<u8>) -> reqwest::Response {
        let upload = &created["upload"];
        self.client
            .put(upload["url"].as_str().unwrap())
            .headers(headers_of(&upload["headers"]))
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// `GET url` (no key), its body parsed as JSON whatever the status.
    pub async fn get_json(&self, url: impl reqwest::IntoUrl) -> Value {
        let res = self.client.get(url).send().await.unwrap();
        res.json().await.unwrap()
    }

    /// Polls `GET /v1/jobs/{id}` until the job is in a terminal state.
    pub async fn wait_done(&self, id: &str, timeout: Duration) -> Value {
        let started = Instant::now();
        loop {
            let job = self.get_json(self.url(&format!("/v1/jobs/{id}"))).await;
            if matches!(
                job["status"].as_str(),
                Some("succeeded" | "failed" | "expired")
            ) {
                return job;
            }
            assert!(
                started.elapsed() < timeout,
                "job {id} not done after {timeout:?}: {job}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The whole client flow for one file; returns the finished job.
    pub async fn run_job(&self, bytes: Vec<u8>, content_type: &str, extra: Value) -> Value {
        let created = self.create_for(&bytes, content_type, extra).await;
        let res = self.upload(&created, bytes).await;
        assert_eq!(
            res.status(),
            200,
            "upload failed: {}",
            res.text().await.unwrap()
        );
        self.wait_done(created["id"].as_str().unwrap(), Duration::from_secs(60))
            .await
    }

    pub async fn get_bytes(&self, url: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
        let res = self.client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {url}");
        let headers = res.headers().clone();
        (headers, res.bytes().await.unwrap().to_vec())
    }
}
