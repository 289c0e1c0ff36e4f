//! The two functions' built binaries under cargo-lambda's emulation of the
//! Lambda Runtime API, against moto: a job is created through the API
//! function's function URL (an API Gateway HTTP API payload 2.0 event),
//! uploaded to its presigned URL, its S3 notification taken from the queue
//! and delivered to the worker function as an SQS batch through the Invoke
//! API, then read back through the API function.
//!
//! The worker is built as `sam build` builds it (`cargo lambda build
//! --release`, so with the manifest's panic strategy), with the test-only
//! `fault-injection` feature: a source ending with
//! `pixpipe_imaging::FAULT_INJECTION_MARKER` makes its decoder panic. That
//! job must end `failed` with `corrupt_image` (the code of a decoder panic
//! caught by the engine) while the same worker process goes on to finish the
//! next job: with `panic = "abort"` the process would die instead.
//!
//! Compiled with the `runtime-test` feature; `scripts/lambda-runtime-test`
//! builds the worker, installs cargo-lambda and runs these tests with
//! `PIXPIPE_WORKER_BOOTSTRAP` and `CARGO_LAMBDA` naming them.

mod processes;

use std::path::{Path, PathBuf};
use std::time::Duration;

use pixpipe_core::JobStatus;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::common::{Env, png, put, sqs_event_with};
use processes::{Emulator, Process};

const API: &str = "pixpipe-api-lambda";
const WORKER: &str = "pixpipe-worker-lambda";
const KEY: &str = "runtime-test-key";
/// Must equal `pixpipe_imaging::FAULT_INJECTION_MARKER` (that constant only
/// exists in builds with the feature, which this test binary is not).
const PANIC_MARKER: &[u8] = b"pixpipe:panic";
/// What the injected panic prints (imaging/src/decode.rs).
const PANIC_MESSAGE: &str = "fault injection: the source ends with the panic marker";

/// A required path from the environment (set by scripts/lambda-runtime-test).
fn path_var(name: &str) -> PathBuf {
    let path = std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} is unset: run scripts/lambda-runtime-test"));
    assert!(path.is_file(), "{name}: no file at {}", path.display());
    path
}

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
}

/// A directory of its own for this run's logs.
fn log_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lambda-runtime-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("log directory");
    dir
}

/// Awaits `future`, checking meanwhile that `process` keeps running (a
/// function that died would leave the emulator waiting for an answer).
async fn while_alive<T>(process: &mut Process, future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    loop {
        tokio::select! {
            out = &mut future => return out,
            () = tokio::time::sleep(Duration::from_millis(200)) => process.assert_alive(),
        }
    }
}

/// The two functions of one stack under one emulator (dropped in this
/// order: the functions are stopped before the emulator they poll).
struct Functions {
    api: Process,
    worker: Process,
    emulator: Emulator,
    env: Env,
    http: Client,
}

impl Functions {
    async fn start() -> Functions {
        let worker_bin = path_var("PIXPIPE_WORKER_BOOTSTRAP");
        let cargo_lambda = path_var("CARGO_LAMBDA");
        let env = Env::new().await;
        let logs = log_dir();
        let emulator = Emulator::start(&cargo_lambda, workspace(), &logs).await;
        let api_bin = Path::new(env!("CARGO_BIN_EXE_pixpipe-api-lambda"));
        let api = emulator.function(API, api_bin, &env.cfg, &[("PIXPIPE_API_KEYS", KEY)], &logs);
        let worker = emulator.function(WORKER, &worker_bin, &env.cfg, &[], &logs);
        let http = Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("HTTP client");
        Functions {
            api,
            worker,
            emulator,
            env,
            http,
        }
    }

    /// Creates a job for `bytes` (a PNG) through the API function, uploads
    /// them to its presigned URL, and returns its id.
    async fn upload(&mut self, bytes: Vec<u8>) -> String {
        let url = self.emulator.function_url(API, "/v1/jobs");
        let request = self
            .http
            .post(url)
            .bearer_auth(KEY)
            .json(&json!({"content_type": "image/png", "content_length": bytes.len()}))
            .send();
        let response = while_alive(&mut self.api, request)
            .await
            .expect("POST /v1/jobs through the emulator");
        let status = response.status();
        let created: Value = response.json().await.expect("a JSON job");
        assert_eq!(status, StatusCode::CREATED, "{}", created["error"]);
        let id = created["id"].as_str().expect("id").to_owned();
        let upload = &created["upload"];
        assert_eq!(upload["method"], "PUT");
        let headers: Vec<(String, String)> = upload["headers"]
            .as_object()
            .expect("upload headers")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("text").to_owned()))
            .collect();
        let url = upload["url"].as_str().expect("upload url");
        // Inside Lambda the SDK adds an X-Ray trace header to requests; the
        // signature must cover only what the ticket lists (and the host).
        let signed = reqwest::Url::parse(url)
            .expect("upload url")
            .query_pairs()
            .find(|(name, _)| name == "X-Amz-SignedHeaders")
            .map(|(_, value)| value.into_owned());
        assert_eq!(
            signed.as_deref(),
            Some("content-length;content-type;host;if-none-match")
        );
        put(url, &headers, bytes).await;
        id
    }

    /// Delivers the S3 notification of job `id`'s upload (from moto's queue)
    /// to the worker function as an SQS batch; returns its answer.
    async fn deliver(&mut self, id: &str) -> Value {
        let event = sqs_event_with(&self.env, id).await;
        let request = self
            .http
            .post(self.emulator.invoke_url(WORKER))
            .json(&event)
            .send();
        let response = while_alive(&mut self.worker, request)
            .await
            .expect("invoke the worker through the emulator");
        let status = response.status();
        let text = response.text().await.expect("the worker's answer");
        assert_eq!(status, StatusCode::OK, "{text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Job `id` through the API function.
    async fn job(&mut self, id: &str) -> Value {
        let url = self.emulator.function_url(API, &format!("/v1/jobs/{id}"));
        let request = self.http.get(url).bearer_auth(KEY).send();
        let response = while_alive(&mut self.api, request)
            .await
            .expect("GET /v1/jobs/{id} through the emulator");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("a JSON job")
    }

    /// Uploads `bytes` as a new job, delivers its notification, expects no
    /// batch item failure, and returns the job as the API then shows it.
    async fn process(&mut self, bytes: Vec<u8>) -> Value {
        let id = self.upload(bytes).await;
        let answer = self.deliver(&id).await;
        assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
        let job = self.job(&id).await;
        assert_eq!(job["id"], id.as_str());
        job
    }
}

fn assert_succeeded(job: &Value) {
    assert_eq!(job["status"], JobStatus::Succeeded.as_str(), "{job}");
    let names: Vec<&str> = job["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["thumb", "medium", "large"], "{job}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_through_the_built_functions_and_a_decoder_panic_fails_only_its_job() {
    let mut functions = Functions::start().await;
    let worker_pid = functions.worker.id();

    let good = functions.process(png(800, 600)).await;
    assert_succeeded(&good);

    // A valid PNG gets past sniffing and probing; the marker after its IEND
    // makes the decoder panic.
    let mut poisoned = png(64, 48);
    poisoned.extend_from_slice(PANIC_MARKER);
    let failed = functions.process(poisoned).await;
    assert_eq!(failed["status"], JobStatus::Failed.as_str(), "{failed}");
    assert_eq!(failed["error"]["code"], "corrupt_image", "{failed}");
    assert!(
        functions.worker.output().contains(PANIC_MESSAGE),
        "the worker's decoder did not panic: was it built with the fault-injection feature?"
    );
    functions.worker.assert_alive();

    // The same process serves the next batch.
    let next = functions.process(png(640, 480)).await;
    assert_succeeded(&next);
    functions.worker.assert_alive();
    assert_eq!(functions.worker.id(), worker_pid);
    functions.api.assert_alive();
    functions.emulator.process.assert_alive();
}

/// What the test above relies on, said where `sam build` reads it: the
/// release profile unwinds (cargo-lambda only fills in what it leaves unset).
#[test]
fn the_release_profile_unwinds() {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).expect("Cargo.toml");
    let release: Vec<&str> = manifest
        .lines()
        .skip_while(|line| line.trim() != "[profile.release]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .collect();
    assert!(
        release.contains(&r#"panic = "unwind""#),
        "[profile.release] has {release:?}"
    );
}
