//! `pixpipe upload` run as a user runs it: against a real local server (result
//! URLs, `--json`, failing files, API keys) and against a stub API that stalls
//! one upload, to check what Ctrl-C leaves behind.

use crate::common::Photo;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use serde_json::{Value, json};

/// The uploader aimed at `base`, with no key or API from the environment.
fn uploader(base: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pixpipe"));
    cmd.arg("upload")
        .args(["--api", base])
        .env_remove("PIXPIPE_API")
        .env_remove("PIXPIPE_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits for the child without blocking the runtime the server runs on; kills it after `limit`.
async fn finish(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().ok();
            let out = child.wait_with_output().unwrap();
            panic!(
                "upload still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.wait_with_output().unwrap()
}

async fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = finish(cmd.spawn().unwrap(), Duration::from_secs(180)).await;
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Fetches a result and checks its type and size against what was printed.
async fn check_result(app: &crate::common::TestApp, url: &str, format: &str, size: &str) {
    let (headers, bytes) = app.get_bytes(url).await;
    assert_eq!(headers["content-type"], format!("image/{format}").as_str());
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!(format!("{}x{}", img.width(), img.height()), size, "{url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_photos_print_result_urls_that_serve_the_variants() {
    let app = crate::common::spawn_app().await;
    let (code, stdout, stderr) = run(uploader(&app.base)
        .arg(crate::common::photo_file(Photo::Rocket))
        .arg(crate::common::photo_file(Photo::Png)))
    .await;
    assert_eq!(code, Some(0), "stdout: {stdout}\nstderr: {stderr}");
    for file in ["rocket.jpg: succeeded", "photo.png: succeeded"] {
        assert!(stdout.contains(file), "{stdout}");
    }
    // The source as the worker read it, and the placeholder to paint.
    let rocket = Photo::Rocket.bytes().len();
    assert!(
        stdout.contains(&format!(
            "  source: jpeg 640x427, {rocket} bytes, ICC \"Adobe RGB (1998)\""
        )),
        "{stdout}"
    );
    let placeholders: Vec<Vec<&str>> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  placeholder: "))
        .map(|l| l.split(' ').collect())
        .collect();
    assert_eq!(placeholders.len(), 2, "{stdout}");
    for fields in placeholders {
        let [colour, "thumbhash", thumbhash, "blurhash", blurhash] = fields[..] else {
            panic!("placeholder line {fields:?}")
        };
        let hex = colour.strip_prefix('#').unwrap_or_default();
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        assert!(hex.len() == 6 && hex.bytes().all(lower_hex), "{colour}");
        assert!(thumbhash.len() >= 20 && blurhash.len() >= 20, "{fields:?}");
    }
    assert!(!stdout.contains("skipped:"), "{stdout}");
    // Result lines: a variant name (never with a colon), size, format, URL.
    let results: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|l| l.starts_with("  ") && !l.split_whitespace().next().unwrap().ends_with(':'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(results.len(), 6, "{stdout}");
    for fields in results {
        let [name, size, format, url] = fields[..] else {
            panic!("result line {fields:?}")
        };
        assert!(["thumb", "medium", "large"].contains(&name), "{name}");
        check_result(&app, url, format, size).await;
    }
}

/// AVIF variants the server's budget cannot afford are named, with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variants_skipped_for_the_avif_budget_are_listed() {
    let app = crate::common::spawn_with(|a| a.job.avif_budget_secs = 0).await;
    let (code, stdout, stderr) = run(uploader(&app.base)
        .args(["--preset", "modern"])
        .arg(crate::common::photo_file(Photo::Rocket)))
    .await;
    assert_eq!(code, Some(0), "stdout: {stdout}\nstderr: {stderr}");
    let skipped: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  skipped: "))
        .collect();
    let avifs = ["thumb-avif", "medium-avif", "large-avif"].map(|n| format!("{n} (budget)"));
    assert_eq!(skipped, avifs, "{stdout}");
    let formats: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("http://"))
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(formats, ["webp"; 3], "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lists_the_finished_jobs_as_the_api_returns_them() {
    let app = crate::common::spawn_app().await;
    let (code, stdout, stderr) = run(uploader(&app.base)
        .arg("--json")
        .arg(crate::common::photo_file(Photo::Rocket))
        .arg(crate::common::photo_file(Photo::Portrait)))
    .await;
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(
        stderr.is_empty(),
        "no progress output with --json: {stderr}"
    );
    let jobs: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(jobs.len(), 2);
    let names: Vec<&str> = jobs
        .iter()
        .map(|j| j["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rocket.jpg", "portrait.jpg"]);
    let rocket = &jobs[0]["source"];
    let size = [&rocket["width"], &rocket["height"], &rocket["bytes"]].map(Value::as_u64);
    let bytes = Photo::Rocket.bytes().len() as u64;
    assert_eq!(size, [Some(640), Some(427), Some(bytes)], "{rocket}");
    for job in &jobs {
        assert_eq!(job["status"], "succeeded", "{job}");
        assert!(job.get("upload").is_none(), "no spent upload URL: {job}");
        assert_eq!(job["source"]["format"], "jpeg", "{job}");
        assert!(job["placeholder"]["thumbhash"].is_string(), "{job}");
        assert_eq!(job["skipped"], json!([]), "{job}");
        let results = job["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        let direct = app.get_bytes(results[0]["url"].as_str().unwrap()).await.1;
        assert_eq!(direct.len() as u64, results[0]["bytes"].as_u64().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_files_give_their_codes_while_the_good_one_succeeds() {
    let app = crate::common::spawn_with(|a| a.job.max_upload_bytes = 300_000).await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jpg");
    std::fs::write(&bad, "these are not image bytes").unwrap();
    let (code, stdout, stderr) = run(uploader(&app.base)
        .arg("--json")
        .arg(&bad)
        .arg(crate::common::photo_file(Photo::Rocket))
        .arg(dir.path().join("missing.jpg"))
        .arg(crate::common::photo_file(Photo::Portrait)))
    .await;
    assert_eq!(code, Some(1), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("bad.jpg: not_an_image: "), "{stderr}");
    assert!(
        stderr.contains("missing.jpg: unreadable_file: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("portrait.jpg: payload_too_large: "),
        "{stderr}"
    );
    let jobs: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let by_name: HashMap<&str, &Value> = jobs
        .iter()
        .map(|j| (j["filename"].as_str().unwrap(), j))
        .collect();
    assert_eq!(
        by_name.len(),
        2,
        "jobs exist only for the files the API accepted"
    );
    assert_eq!(by_name["bad.jpg"]["status"], "failed");
    assert_eq!(by_name["bad.jpg"]["error"]["code"], "not_an_image");
    assert_eq!(by_name["rocket.jpg"]["status"], "succeeded");
    assert_eq!(
        by_name["rocket.jpg"]["results"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_refused_with_401_and_the_right_one_works() {
    let app = crate::common::spawn_with(|a| a.api.api_keys = "right-key".into()).await;
    let photo = crate::common::photo_file(Photo::Rocket);
    let (code, stdout, stderr) =
        run(uploader(&app.base).args(["--key", "wrong-key"]).arg(&photo)).await;
    assert_eq!(code, Some(1), "stdout: {stdout}");
    assert!(
        stderr.contains("rocket.jpg: unauthorized: unknown API key (HTTP 401)"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-key"), "the key is never printed");
    let (code, stdout, stderr) = run(uploader(&app.base)
        .env("PIXPIPE_API_KEY", "right-key")
        .arg(&photo))
    .await;
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_eq!(stdout.matches("http://").count(), 3, "{stdout}");
}

/// What the stub API saw.
#[derive(Default)]
struct Seen {
    /// Declared length of each created job, by id.
    created: HashMap<String, u64>,
    uploaded: Vec<String>,
    stalled: Vec<String>,
    polled: Vec<String>,
    deleted: Vec<String>,
}

type Stub = Arc<Mutex<Seen>>;

/// Uploads over this many bytes are held forever, unread.
const STALL_OVER: u64 = 1 << 20;

async fn stub_create(
    State((seen, base)): State<(Stub, String)>,
    Json(req): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let len = req["content_length"].as_u64().unwrap();
    let mut seen = seen.lock().unwrap();
    let id = format!("job-{}", seen.created.len() + 1);
    seen.created.insert(id.clone(), len);
    let upload = json!({"method": "PUT", "url": format!("{base}/put/{id}"),
        "headers": {"Content-Type": req["content_type"], "Content-Length": len.to_string()}});
    (
        StatusCode::CREATED,
        Json(json!({"id": id, "status": "awaiting_upload", "upload": upload})),
    )
}

async fn stub_put(
    State((seen, _)): State<(Stub, String)>,
    UrlPath(id): UrlPath<String>,
    body: Body,
) -> StatusCode {
    let len = seen.lock().unwrap().created[&id];
    if len > STALL_OVER {
        seen.lock().unwrap().stalled.push(id);
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(body);
        return StatusCode::REQUEST_TIMEOUT;
    }
    axum::body::to_bytes(body, usize::MAX).await.unwrap();
    seen.lock().unwrap().uploaded.push(id);
    StatusCode::OK
}

async fn stub_get(
    State((seen, _)): State<(Stub, String)>,
    UrlPath(id): UrlPath<String>,
) -> Json<Value> {
    let uploaded = seen.lock().unwrap().uploaded.contains(&id);
    if uploaded {
        seen.lock().unwrap().polled.push(id.clone());
        // Stands in for a long poll on a job that keeps processing.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let status = if uploaded {
        "processing"
    } else {
        "awaiting_upload"
    };
    Json(json!({"id": id, "status": status}))
}

async fn stub_delete(
    State((seen, _)): State<(Stub, String)>,
    UrlPath(id): UrlPath<String>,
) -> StatusCode {
    seen.lock().unwrap().deleted.push(id);
    StatusCode::NO_CONTENT
}

async fn spawn_stub() -> (Stub, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Stub::default();
    let app = axum::Router::new()
        .route("/v1/jobs", post(stub_create))
        .route(
            "/v1/jobs/{id}",
            axum::routing::get(stub_get).delete(stub_delete),
        )
        .route("/put/{id}", put(stub_put))
        .with_state((seen.clone(), base.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (seen, base)
}

fn jpeg_like(path: &Path, len: usize) {
    let mut bytes = vec![0u8; len];
    bytes[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_deletes_unfinished_uploads_and_names_the_jobs_that_continue() {
    let (seen, base) = spawn_stub().await;
    let dir = tempfile::tempdir().unwrap();
    let (small, big, later) = (
        dir.path().join("small.jpg"),
        dir.path().join("big.jpg"),
        dir.path().join("later.jpg"),
    );
    jpeg_like(&small, 10_000);
    jpeg_like(&big, 48 << 20);
    jpeg_like(&later, 10_000);
    // One upload at a time: small lands, big stalls, later waits its turn.
    let child = uploader(&base)
        .args(["--parallel", "1"])
        .args([&small, &big, &later])
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        {
            let seen = seen.lock().unwrap();
            if !seen.stalled.is_empty() && !seen.polled.is_empty() {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the stalled upload never began"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: sends SIGINT to the child this test spawned and still owns.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = finish(child, Duration::from_secs(30)).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.created.len(), 2, "no upload starts after Ctrl-C");
    assert_eq!(seen.uploaded, ["job-1"]);
    assert_eq!(seen.stalled, ["job-2"]);
    assert_eq!(
        seen.deleted,
        ["job-2"],
        "only the job without its upload is deleted"
    );
    assert!(
        stderr.contains("big.jpg: upload cancelled; job job-2 deleted"),
        "{stderr}"
    );
    assert!(
        stdout.contains("small.jpg: job job-1 continues on the server (processing)"),
        "{stdout}"
    );
    assert!(stderr.contains("1 file(s) not uploaded"), "{stderr}");
}
