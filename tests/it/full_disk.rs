//! A full data disk fails cleanly and recovers: the real `pixpipe serve`
//! runs with `--data-dir` on a small tmpfs, mounted in its own user and
//! mount namespace (`unshare`, so no privilege is needed), and the test fills
//! that file system from outside through `/proc/{pid}/root`.
//!
//! While the disk is full, creating a job and uploading answer
//! `507 insufficient_storage` with `Retry-After`, and a job awaiting its
//! upload can still be deleted. A job whose results do not fit is retried
//! with backoff and fails as `storage_full` after its last attempt; one
//! still retrying when space comes back succeeds without waiting out a
//! visibility timeout.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Api, Photo, ServeProcess, assert_problem};

/// Size of the test's tmpfs.
const TMPFS_MIB: u64 = 48;

/// The server's headroom: space a new job, upload or result must leave free.
const HEADROOM: u64 = pixpipe_local::space::HEADROOM;

/// Attempts per job: failures at about 0, 2, 6 and 14 s after the upload.
const MAX_ATTEMPTS: u32 = 4;

/// `pixpipe serve` with its data directory on a fresh tmpfs mounted at
/// `mount_point` in a mount namespace of its own.
async fn serve_on_tmpfs(mount_point: &Path) -> ServeProcess {
    let attempts = MAX_ATTEMPTS.to_string();
    let mut command = Command::new("unshare");
    command
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(
            "dir=$1; size=$2; bin=$3; shift 3; \
             mount -t tmpfs -o size=\"$size\" pixpipe-full-disk \"$dir\" && \
             exec \"$bin\" serve --addr 127.0.0.1:0 --data-dir \"$dir\" \"$@\"",
        )
        .arg("sh")
        .arg(mount_point)
        .arg(format!("{TMPFS_MIB}m"))
        .arg(env!("CARGO_BIN_EXE_pixpipe"))
        .args(["--workers", "1", "--max-attempts", &attempts]);
    ServeProcess::spawn(command).await
}

/// The server's data directory seen from outside its namespace, and the
/// filler files the test writes there.
struct Disk {
    dir: PathBuf,
    fillers: Vec<PathBuf>,
}

impl Disk {
    fn new(server: &ServeProcess, mount_point: &Path) -> Disk {
        let inside = mount_point.strip_prefix("/").unwrap();
        let dir = PathBuf::from(format!("/proc/{}/root", server.pid())).join(inside);
        assert!(
            dir.join(pixpipe_local::DB_FILE).is_file(),
            "the server's data directory is not reachable at {}",
            dir.display()
        );
        Disk {
            dir,
            fillers: Vec::new(),
        }
    }

    /// Writes a new filler file until the file system is full, then gives
    /// `leave` bytes of it back.
    fn fill(&mut self, leave: u64) {
        let path = self.dir.join(format!("filler-{}", self.fillers.len()));
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        self.fillers.push(path);
        let chunk = vec![0x5Au8; 1 << 20];
        let mut written = 0u64;
        let full = loop {
            match file.write(&chunk) {
                Ok(0) => break None,
                Ok(n) => written += n as u64,
                Err(e) => break Some(e),
            }
        };
        match full {
            Some(e) if e.kind() == io::ErrorKind::StorageFull => {}
            other => panic!("filling the tmpfs ended with {other:?}, not ENOSPC"),
        }
        assert!(written >= leave, "only {written} bytes were free");
        file.set_len(written - leave).unwrap();
    }

    /// Gives `bytes` more of the last filler back.
    fn give_back(&self, bytes: u64) {
        let file = File::options()
            .write(true)
            .open(self.fillers.last().unwrap())
            .unwrap();
        let len = file.metadata().unwrap().len();
        file.set_len(len.saturating_sub(bytes)).unwrap();
    }

    /// Removes every filler.
    fn free(&mut self) {
        for path in self.fillers.drain(..) {
            fs::remove_file(path).unwrap();
        }
    }
}

/// Asserts a `507 insufficient_storage` answer with a `Retry-After`.
async fn assert_full(res: reqwest::Response) {
    let retry_after = res.headers().get("retry-after").cloned();
    assert_problem(res, 507, "insufficient_storage").await;
    let secs: u64 = retry_after
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(secs >= 1);
}

async fn job(api: &Api, id: &str) -> Value {
    api.get_json(api.url(&format!("/v1/jobs/{id}"))).await
}

/// Polls the job until `done` holds, failing after `timeout`.
async fn wait_for(api: &Api, id: &str, timeout: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let job = job(api, id).await;
        if done(&job) {
            return job;
        }
        assert!(
            started.elapsed() < timeout,
            "job {id} after {timeout:?}: {job}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn id(created: &Value) -> &str {
    created["id"].as_str().unwrap()
}

fn unfinished(job: &Value) -> bool {
    matches!(job["status"].as_str(), Some("queued" | "processing"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_answers_507_keeps_the_queue_moving_and_recovers() {
    let mount_point = tempfile::tempdir().unwrap();
    let server = serve_on_tmpfs(mount_point.path()).await;
    let mut disk = Disk::new(&server, mount_point.path());
    let api: &Api = &server;
    let photo = Photo::Rocket;
    let bytes = photo.bytes().to_vec();
    let size = bytes.len() as u64;
    // One PNG result, several times larger than the JPEG source.
    let png = json!({"variants": [
        {"name": "big", "width": 640, "height": 640, "fit": "inside", "format": "png"}
    ]});

    let waiting = api
        .create_for(&bytes, photo.content_type(), json!({}))
        .await;
    let first = api
        .create_for(&bytes, photo.content_type(), png.clone())
        .await;
    let second = api
        .create_for(&bytes, photo.content_type(), png.clone())
        .await;

    // Full: no new job, no upload; deleting still works.
    disk.fill(0);
    let body = json!({"content_type": photo.content_type(), "content_length": size});
    let res = api
        .client
        .post(api.url("/v1/jobs"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_full(res).await;
    assert_full(api.upload(&first, bytes.clone()).await).await;
    let res = api
        .client
        .delete(api.url(&format!("/v1/jobs/{}", id(&waiting))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        204,
        "DELETE on a full disk: {:?}",
        res.text().await
    );
    assert_eq!(job(api, id(&waiting)).await["code"], "job_not_found");

    // Space back: jobs are taken again.
    disk.free();
    let third = api
        .create_for(&bytes, photo.content_type(), json!({}))
        .await;

    // Room for a source but not for its result: the job is retried, then fails.
    let slack = 64 * 1024;
    disk.fill(size.next_multiple_of(4096) + HEADROOM + slack);
    let res = api.upload(&first, bytes.clone()).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let retried = wait_for(api, id(&first), Duration::from_secs(20), |j| {
        j["attempts"].as_u64() >= Some(3) || !unfinished(j)
    })
    .await;
    assert!(unfinished(&retried), "retried, not finished: {retried}");

    // A second source while the first still retries.
    disk.give_back(size.next_multiple_of(4096) + slack);
    let res = api.upload(&second, bytes.clone()).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    let failed = wait_for(api, id(&first), Duration::from_secs(25), |j| !unfinished(j)).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], "storage_full", "{failed}");
    assert_eq!(failed["attempts"], MAX_ATTEMPTS, "{failed}");
    let pending = job(api, id(&second)).await;
    assert!(unfinished(&pending), "still retrying: {pending}");
    assert!(pending["attempts"].as_u64() >= Some(2), "{pending}");

    // Space back: the retried job finishes at its next attempt.
    disk.free();
    let done = api.wait_done(id(&second), Duration::from_secs(20)).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let res = api.upload(&third, bytes.clone()).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let done = api.wait_done(id(&third), Duration::from_secs(20)).await;
    assert_eq!(done["status"], "succeeded", "{done}");

    let logs = server.logs();
    let receive_failures = logs.matches("receive failed").count();
    assert!(
        receive_failures < 5,
        "{receive_failures} failed receives: {logs}"
    );
    server.stop().await;
}
