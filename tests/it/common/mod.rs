//! Helpers shared by the black-box tests: a server on port 0 with a temp data
//! dir (in this process, or the built binary as a child process), the client
//! steps (create, upload, poll) as a real client does them, and test inputs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use pixpipe::serve::{Running, ServeArgs, start};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

pub mod api;
mod process;

pub use api::Api;
pub use process::ServeProcess;

/// `pixpipe serve` started in this process, and its API's client (the
/// client's methods are the app's, through `Deref`).
pub struct TestApp {
    pub server: Running,
    pub api: Api,
    pub data_dir: PathBuf,
    /// Keeps the temp dir alive as long as the app.
    _dir: Option<tempfile::TempDir>,
}

impl std::ops::Deref for TestApp {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

pub use pixpipe_testphotos::Photo;

/// `photo` as a file, for commands that take paths: written once under the
/// build's temp dir for tests (atomically: tests and test binaries run at once).
pub fn photo_file(photo: Photo) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("photos");
    std::fs::create_dir_all(&dir).expect("photo dir");
    let path = dir.join(photo.file_name());
    if std::fs::read(&path).ok().as_deref() != Some(photo.bytes()) {
        static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let partial = dir.join(format!(
            "{}.{}-{n}.partial",
            photo.file_name(),
            std::process::id()
        ));
        std::fs::write(&partial, photo.bytes()).expect("write photo");
        std::fs::rename(&partial, &path).expect("place photo");
    }
    path
}

/// `pixpipe serve`'s flags, read by its own parser.
#[derive(clap::Parser)]
struct Serve {
    #[command(flatten)]
    args: ServeArgs,
}

/// A local server on a free port of 127.0.0.1 over `data_dir`, two workers
/// (the rest as `pixpipe serve` reads it, environment included).
pub fn args(data_dir: &Path) -> ServeArgs {
    use clap::Parser as _;
    let dir = data_dir.to_str().expect("a UTF-8 temp path");
    let flags = [
        "pixpipe",
        "--backend",
        "local",
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        dir,
        "--workers",
        "2",
    ];
    Serve::try_parse_from(flags)
        .unwrap_or_else(|e| panic!("serve flags {flags:?}: {e}"))
        .args
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_in(dir.path(), configure).await;
    app._dir = Some(dir);
    app
}

/// A server over an existing data dir (for restarts).
pub async fn spawn_in(data_dir: &Path, configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
    let mut a = args(data_dir);
    configure(&mut a);
    let server = start(a).await.expect("server starts");
    let base = format!("http://{}", server.addr.expect("listening"));
    TestApp {
        server,
        api: Api::new(base),
        data_dir: data_dir.to_path_buf(),
        _dir: None,
    }
}

pub fn headers_of(value: &Value) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in value.as_object().expect("headers object") {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v.as_str().unwrap()).unwrap(),
        );
    }
    map
}

/// Asserts a problem+json response with `status` and `code`.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) {
    assert_eq!(res.status().as_u16(), status, "status for {code}");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(ct, "application/problem+json", "content type for {code}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "body {body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
}

/// A `width`x`height` HEIC photo-like picture (gradients and a disc), made
/// by libheif's `heif-enc` (Debian package libheif-examples).
pub fn heic(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let (dx, dy) = (fx - 0.3, fy - 0.4);
        if dx * dx + dy * dy < 0.02 {
            return image::Rgb([200, 40, 60]);
        }
        image::Rgb([(30.0 + 200.0 * fx) as u8, (50.0 + 180.0 * fy) as u8, 120])
    });
    let dir = tempfile::tempdir().unwrap();
    img.save(dir.path().join("in.png")).unwrap();
    let out = std::process::Command::new("heif-enc")
        .args(["-q", "50", "-o", "out.heic", "in.png"])
        .current_dir(dir.path())
        .output()
        .expect("heif-enc is needed (Debian package libheif-examples)");
    assert!(out.status.success(), "heif-enc: {out:?}");
    std::fs::read(dir.path().join("out.heic")).unwrap()
}

/// A clock the test moves: the system's time plus an offset it sets.
#[derive(Debug, Default)]
pub struct TestClock {
    offset_ms: std::sync::atomic::AtomicI64,
}

impl TestClock {
    pub fn shared() -> std::sync::Arc<TestClock> {
        std::sync::Arc::new(TestClock::default())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).expect("a test-sized step");
        self.offset_ms
            .fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl pixpipe_core::Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = self.offset_ms.load(std::sync::atomic::Ordering::SeqCst);
        chrono::Utc::now() + chrono::Duration::milliseconds(offset)
    }
}
