//! `pixpipe serve` reads the same settings as the Lambda functions (crate
//! `pixpipe-config`): what one refuses, the other refuses too (the
//! functions' side: `lambda/tests/it/cold_start.rs`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `pixpipe serve` with `flags` and `vars` and, if it is still running
/// after 10 s (it took the settings), stops it; returns whether it exited
/// by itself and its stderr.
fn serve(flags: &[&str], vars: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pixpipe"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--role",
            "api",
            "--data-dir",
        ])
        .arg(dir.path())
        .args(flags)
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let exited = loop {
        if child.try_wait().unwrap().is_some() {
            break true;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (exited, std::fs::read_to_string(log.path()).unwrap())
}

/// An upload URL on S3 lives at most 7 days; `serve --backend aws` used to
/// promise `upload_expires_at` later than that.
#[test]
fn upload_urls_live_at_most_seven_days_on_every_backend() {
    for backend in ["local", "aws"] {
        let (refused, text) = serve(&["--backend", backend, "--upload-ttl-secs", "604801"], &[]);
        assert!(refused && text.contains("604800"), "{backend}: {text}");
        let (refused, text) = serve(
            &["--backend", backend],
            &[("PIXPIPE_UPLOAD_TTL_SECS", "604801")],
        );
        assert!(refused && text.contains("604800"), "{backend}: {text}");
    }
}

/// A refused callback secret is named, never printed (clap's own errors
/// print the value, so the length is checked after parsing).
#[test]
fn a_short_callback_secret_is_refused_without_being_printed() {
    for (flags, vars) in [
        (vec!["--callback-secret", "short-secret-xy"], vec![]),
        (vec![], vec![("PIXPIPE_CALLBACK_SECRET", "short-secret-xy")]),
    ] {
        let (refused, text) = serve(&flags, &vars);
        assert!(
            refused && text.contains("PIXPIPE_CALLBACK_SECRET"),
            "{text}"
        );
        assert!(!text.contains("short-secret-xy"), "printed: {text}");
    }
}
