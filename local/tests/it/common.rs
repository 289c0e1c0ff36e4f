//! Shared helpers: opening the adapters, building jobs, HTTP requests.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use bytes::Bytes;
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use pixpipe_core::{Job, JobId, JobStatus, NewJob, Service, Settings, UploadTicket};
use pixpipe_local::{Local, LocalConfig, LocalHttp, router};
use tower::ServiceExt;

pub const BASE: &str = "http://127.0.0.1:8080";

pub fn config(dir: &Path) -> LocalConfig {
    LocalConfig::new(dir, BASE)
}

pub async fn open(dir: &Path) -> Local {
    pixpipe_local::open(config(dir))
        .await
        .expect("open local adapters")
}

pub fn service(local: &Local) -> Service {
    Service::new(
        local.store.clone(),
        local.blobs.clone(),
        Settings::default(),
    )
}

pub fn app(local: &Local) -> Router {
    router(LocalHttp::new(local))
}

/// A hand-built job awaiting its upload.
pub fn job(owner: &str) -> Job {
    let now = Utc::now();
    Job {
        id: JobId::new(),
        owner: owner.to_owned(),
        status: JobStatus::AwaitingUpload,
        created_at: now,
        updated_at: now,
        filename: None,
        content_type: "image/png".to_owned(),
        content_length: 10,
        preset: None,
        variants: Vec::new(),
        attempts: 0,
        results: Vec::new(),
        skipped: Vec::new(),
        placeholder: None,
        source: None,
        error: None,
        upload_expires_at: now + Duration::minutes(15),
        callback_url: None,
        upload_held_until: None,
        version: 1,
    }
}

/// A job created the real way, with its upload ticket.
pub async fn create(local: &Local, len: u64) -> (Job, UploadTicket) {
    let req = NewJob {
        content_type: "image/jpeg".to_owned(),
        content_length: len,
        filename: Some("photo.jpg".to_owned()),
        preset: None,
        variants: None,
        callback_url: None,
    };
    service(local)
        .create("owner-a", req)
        .await
        .expect("create job")
}

/// An inserted job whose source was accepted: queued with one work item.
pub async fn queued(local: &Local) -> JobId {
    let (job, _) = create(local, 4).await;
    let outcome = local.store.accept_upload(job.id).await.expect("accept");
    assert!(
        matches!(outcome, pixpipe_local::UploadAccepted::Queued(_)),
        "{outcome:?}"
    );
    job.id
}

/// Path and query of a ticket's URL.
pub fn target(ticket: &UploadTicket) -> String {
    ticket
        .url
        .strip_prefix(BASE)
        .expect("URL under the public base")
        .to_owned()
}

pub fn put(
    uri: &str,
    content_type: Option<&str>,
    len: Option<&str>,
    body: Vec<u8>,
) -> Request<Body> {
    let mut req = Request::put(uri);
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    if let Some(len) = len {
        req = req.header(header::CONTENT_LENGTH, len);
    }
    req.body(Body::from(body)).expect("request")
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// Asserts a problem document with this status and code.
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "body: {:?}", self.body);
        assert_eq!(
            self.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let doc: serde_json::Value = serde_json::from_slice(&self.body).expect("problem JSON");
        assert_eq!(doc["code"], code, "{doc}");
        assert_eq!(doc["status"], status.as_u16());
    }

    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// A good upload of `ticket` with `body`.
pub fn upload_req(ticket: &UploadTicket, body: Vec<u8>) -> Request<Body> {
    let ct = ticket.headers["Content-Type"].as_str();
    let len = ticket.headers["Content-Length"].as_str();
    put(&target(ticket), Some(ct), Some(len), body)
}
