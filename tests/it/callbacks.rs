//! Job callbacks end to end in local mode: a receiver on 127.0.0.1 (allowed
//! by configuration) gets the finished job, signed, equal to what
//! `GET /v1/jobs/{id}` returns; a failing receiver is retried; failed jobs
//! call back too; internal destinations are refused when not allowed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{Photo, TestApp, assert_problem, spawn_app, spawn_with};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

const SECRET: &str = "callback-test-secret-0123456789";

/// One request the receiver got.
struct Hit {
    headers: HeaderMap,
    body: Bytes,
}

struct Receiver {
    url: String,
    hits: mpsc::UnboundedReceiver<Hit>,
    count: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct ReceiverState {
    tx: mpsc::UnboundedSender<Hit>,
    count: Arc<AtomicUsize>,
    fail_first: usize,
}

async fn hook(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = s.count.fetch_add(1, Ordering::SeqCst);
    let _ = s.tx.send(Hit { headers, body });
    if n < s.fail_first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// A receiver on 127.0.0.1 answering 500 to its first `fail_first` requests, then 200.
async fn receiver(fail_first: usize) -> Receiver {
    let (tx, hits) = mpsc::unbounded_channel();
    let count = Arc::new(AtomicUsize::new(0));
    let state = ReceiverState {
        tx,
        count: count.clone(),
        fail_first,
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook?token=abc", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, hits, count }
}

impl Receiver {
    async fn next(&mut self) -> Hit {
        tokio::time::timeout(Duration::from_secs(60), self.hits.recv())
            .await
            .expect("a callback within 60 s")
            .expect("receiver running")
    }
}

/// A server whose callbacks may reach 127.0.0.1, with a known secret and short retries.
async fn app_allowing_private() -> TestApp {
    spawn_with(|a| {
        a.job.allow_private_callbacks = true;
        a.worker.callback_secret = Some(SECRET.to_owned());
        a.worker.callback_retry_ms = 50;
    })
    .await
}

fn header<'a>(hit: &'a Hit, name: &str) -> &'a str {
    hit.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} missing"))
}

/// Checks `Pixpipe-Signature` as a receiver would: HMAC-SHA256 over "<t>.<body>", t recent.
fn assert_signed(hit: &Hit) {
    let sig = header(hit, "pixpipe-signature");
    let (t, v1) = sig
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("signature {sig:?} is not t=..,v1=.."));
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&hit.body);
    mac.verify_slice(&hex::decode(v1).expect("hex signature"))
        .expect("signature verifies with the secret");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t: i64 = t.parse().expect("numeric timestamp");
    assert!((now - t).abs() <= 60, "timestamp {t} is not recent ({now})");

    let mut wrong = Hmac::<Sha256>::new_from_slice(b"another-secret-entirely").unwrap();
    wrong.update(format!("{t}.").as_bytes());
    wrong.update(&hit.body);
    assert!(wrong.verify_slice(&hex::decode(v1).unwrap()).is_err());
}

fn assert_delivery_id(hit: &Hit) -> String {
    let id = header(hit, "pixpipe-delivery").to_owned();
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "delivery id {id:?} is not a UUID");
    id
}

/// `GET /v1/jobs/{id}`'s raw body.
async fn get_raw(app: &TestApp, id: &str) -> Bytes {
    let res = app
        .client
        .get(app.url(&format!("/v1/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn succeeded_job_is_posted_signed_and_equal_to_get() {
    let app = app_allowing_private().await;
    let mut rx = receiver(0).await;
    let photo = Photo::Portrait.bytes().to_vec();
    let job = app
        .run_job(
            photo,
            "image/jpeg",
            json!({"preset": "seed", "callback_url": rx.url}),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["callback_url"], rx.url.as_str());

    let hit = rx.next().await;
    assert_eq!(header(&hit, "content-type"), "application/json");
    assert_eq!(header(&hit, "pixpipe-event"), "job.succeeded");
    assert_delivery_id(&hit);
    assert_signed(&hit);
    let id = job["id"].as_str().unwrap();
    let got = get_raw(&app, id).await;
    assert_eq!(
        hit.body,
        got,
        "callback body differs from GET:\n{}\n{}",
        String::from_utf8_lossy(&hit.body),
        String::from_utf8_lossy(&got)
    );
    let body: Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(body["status"], "succeeded");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1));

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.count.load(Ordering::SeqCst), 1, "delivered exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_receiver_is_retried_until_it_answers() {
    let app = app_allowing_private().await;
    let mut rx = receiver(2).await;
    let photo = Photo::Portrait.bytes().to_vec();
    let job = app
        .run_job(
            photo,
            "image/jpeg",
            json!({"preset": "seed", "callback_url": rx.url}),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");

    let hits = [rx.next().await, rx.next().await, rx.next().await];
    let ids: Vec<String> = hits.iter().map(assert_delivery_id).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one delivery id: {ids:?}"
    );
    for hit in &hits {
        assert_signed(hit);
        assert_eq!(hit.body, hits[0].body);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        rx.count.load(Ordering::SeqCst),
        3,
        "no attempt after the 200"
    );
    let id = job["id"].as_str().unwrap();
    let after = app.wait_done(id, Duration::from_secs(1)).await;
    assert_eq!(
        after["status"], "succeeded",
        "sending never changes the job"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_job_calls_back_with_job_failed() {
    let app = app_allowing_private().await;
    let mut rx = receiver(0).await;
    let job = app
        .run_job(
            b"this is not an image at all".to_vec(),
            "image/png",
            json!({"callback_url": rx.url}),
        )
        .await;
    assert_eq!(job["status"], "failed", "{job}");

    let hit = rx.next().await;
    assert_eq!(header(&hit, "pixpipe-event"), "job.failed");
    assert_signed(&hit);
    let body: Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(body["status"], "failed");
    assert_eq!(body["error"]["code"], "not_an_image");
    assert_eq!(hit.body, get_raw(&app, job["id"].as_str().unwrap()).await);
}

async fn create_raw(app: &TestApp, callback_url: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/jobs"))
        .json(&json!({"content_type": "image/jpeg", "content_length": 10, "callback_url": callback_url}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn internal_callback_urls_are_refused_unless_allowed() {
    let app = spawn_app().await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://[::1]:8080/hook",
        "http://localhost/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ] {
        assert_problem(create_raw(&app, url).await, 422, "callback_not_allowed").await;
    }
    for url in [
        "ftp://example.com/",
        "https://user:pw@example.com/",
        "not a url",
    ] {
        assert_problem(create_raw(&app, url).await, 400, "invalid_request").await;
    }
    let long = format!("https://example.com/{}", "a".repeat(2048));
    assert_problem(create_raw(&app, &long).await, 400, "invalid_request").await;

    let res = create_raw(&app, "https://hooks.example.com/pixpipe").await;
    assert_eq!(res.status(), 201, "a public host is accepted");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["callback_url"], "https://hooks.example.com/pixpipe");

    let allowing = app_allowing_private().await;
    let res = create_raw(&allowing, "http://127.0.0.1:9000/hook").await;
    assert_eq!(res.status(), 201, "allowed by configuration");
}

#[tokio::test(flavor = "multi_thread")]
async fn local_backend_generates_a_callback_secret_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::common::spawn_in(dir.path(), |_| {}).await;
    let path = dir.path().join("callback-secret");
    let secret = std::fs::read_to_string(&path).expect("secret file written");
    assert!(secret.trim().len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "secret file is private");
    }
    app.server.stop().await.unwrap();
    let again = crate::common::spawn_in(dir.path(), |_| {}).await;
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        secret,
        "kept across restarts"
    );
    again.server.stop().await.unwrap();
}
