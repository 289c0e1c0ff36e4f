//! Each function's real binary, cold-started with the settings `pixpipe
//! serve` accepts: it must get as far as asking the Lambda Runtime API for its
//! first event (`GET /2018-06-01/runtime/invocation/next`), not stop at its
//! configuration. The Runtime API here is a bare listener: only the first
//! request line is read. A refused setting must stop the cold start with a
//! message naming its variable.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::TcpListener;

const API: &str = env!("CARGO_BIN_EXE_pixpipe-api-lambda");
const WORKER: &str = env!("CARGO_BIN_EXE_pixpipe-worker-lambda");

/// What a cold start came to.
#[derive(Debug)]
enum ColdStart {
    /// It asked for its first event.
    Polling,
    /// It exited first, printing this.
    Stopped(String),
}

async fn cold_start(binary: &str, vars: &[(&str, &str)]) -> ColdStart {
    let runtime_api = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = runtime_api.local_addr().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "cold-start")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("PIXPIPE_SOURCE_BUCKET", "uploads")
        .env("PIXPIPE_RESULTS_BUCKET", "results")
        .env("PIXPIPE_JOBS_TABLE", "jobs")
        .env(
            "PIXPIPE_QUEUE_URL",
            "http://127.0.0.1:9/000000000000/uploads",
        )
        .env("PIXPIPE_PUBLIC_BASE_URL", "https://img.example.com")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap());
    let child = Arc::new(Mutex::new(
        command.spawn().expect("the function's binary starts"),
    ));
    let exited = {
        let child = child.clone();
        async move {
            loop {
                if child.lock().unwrap().try_wait().unwrap().is_some() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let outcome = tokio::select! {
        accepted = runtime_api.accept() => {
            let (stream, _) = accepted.unwrap();
            let mut line = String::new();
            BufReader::new(stream).read_line(&mut line).await.unwrap();
            assert!(
                line.starts_with("GET /2018-06-01/runtime/invocation/next"),
                "first request to the Runtime API: {line:?}"
            );
            ColdStart::Polling
        }
        () = exited => ColdStart::Stopped(std::fs::read_to_string(log.path()).unwrap()),
        () = tokio::time::sleep(Duration::from_secs(60)) => panic!("no request and no exit in 60 s"),
    };
    let mut child = child.lock().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

/// `serve` has always taken `on`/`off`, `yes`/`no`; the functions stopped at it.
#[tokio::test]
async fn both_functions_take_every_boolean_spelling_serve_takes() {
    for binary in [API, WORKER] {
        for value in ["on", "off", "yes", "1", "TRUE"] {
            let outcome = cold_start(binary, &[("PIXPIPE_ALLOW_PRIVATE_CALLBACKS", value)]).await;
            assert!(
                matches!(outcome, ColdStart::Polling),
                "{binary} with PIXPIPE_ALLOW_PRIVATE_CALLBACKS={value}: {outcome:?}"
            );
        }
    }
}

/// A refused value stops the cold start, naming the variable; the value of a
/// secret is never printed.
#[tokio::test]
async fn a_refused_setting_stops_the_cold_start_naming_its_variable() {
    for (binary, name, value) in [
        (API, "PIXPIPE_UPLOAD_TTL_SECS", "604801"),
        (API, "PIXPIPE_MAX_UPLOAD_BYTES", "25MB"),
        (WORKER, "PIXPIPE_MAX_PIXELS", "0"),
        (WORKER, "PIXPIPE_CALLBACK_SECRET", "short-secret"),
        (WORKER, "PIXPIPE_ALLOW_PRIVATE_CALLBACKS", "maybe"),
    ] {
        let ColdStart::Stopped(text) = cold_start(binary, &[(name, value)]).await else {
            panic!("{binary} started with {name}={value}");
        };
        assert!(text.contains(name), "{binary}, {name}={value}: {text}");
        if name == "PIXPIPE_CALLBACK_SECRET" {
            assert!(!text.contains(value), "the secret was printed: {text}");
        }
    }
    let ColdStart::Stopped(text) = cold_start(WORKER, &[("PIXPIPE_JOBS_TABLE", "")]).await else {
        panic!("the worker started without a jobs table");
    };
    assert!(text.contains("PIXPIPE_JOBS_TABLE"), "{text}");
}
