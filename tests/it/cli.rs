//! `pixpipe process`, `pixpipe openapi` and the log of `pixpipe serve`, run
//! as a user runs them.

use crate::common::Photo;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[test]
fn process_writes_variants_and_prints_json_lines() {
    let out = tempfile::tempdir().unwrap();
    let bad = out.path().join("notes.jpg");
    std::fs::write(&bad, "not an image").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_pixpipe"))
        .args(["process", "--preset", "standard", "--out"])
        .arg(out.path())
        .arg(crate::common::photo_file(Photo::Rocket))
        .arg(&bad)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "a failed file makes the exit code non-zero"
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ok"], true);
    assert!(lines[0]["ms"].as_f64().unwrap() > 0.0);
    for (name, ext, dims) in [
        ("thumb", "jpg", (300, 300)),
        ("medium", "webp", (640, 427)),
        ("large", "jpg", (640, 427)),
    ] {
        let img = image::open(out.path().join("rocket").join(format!("{name}.{ext}"))).unwrap();
        assert_eq!((img.width(), img.height()), dims, "{name}");
    }
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["error"]["code"], "not_an_image");
}

#[test]
fn openapi_command_prints_yaml() {
    let output = Command::new(env!("CARGO_BIN_EXE_pixpipe"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("openapi: 3.1"),
        "{}",
        &text[..40.min(text.len())]
    );
}

/// A log written to a file (stderr not a terminal) has no ANSI escapes.
#[test]
fn serve_logs_to_a_file_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pixpipe"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env_remove("NO_COLOR")
        .env_remove("PIXPIPE_LOG_FORMAT")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let text = std::fs::read(&log_path).unwrap();
        if String::from_utf8_lossy(&text).contains("pixpipe started") {
            break text;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("no start-up line: {}", String::from_utf8_lossy(&text));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !text.contains(&0x1b),
        "ANSI escapes in the log: {}",
        String::from_utf8_lossy(&text)
    );
}
