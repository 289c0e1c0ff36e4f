//! Memory goes back when the workers go idle: after a burst of 12 MP jobs on
//! two workers, the server's resident memory falls within seconds, instead of
//! keeping the burst's peak while it waits (measured here: 186–256 MiB kept
//! without the idle trim and one arena, ~21 MiB with them).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{Photo, ServeProcess};

/// Resident memory allowed once idle after the burst.
const IDLE_BOUND_MIB: u64 = 64;

#[tokio::test(flavor = "multi_thread")]
async fn memory_of_a_burst_of_12mp_jobs_goes_back_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(
        &["--data-dir", dir.path().to_str().unwrap(), "--workers", "2"],
        |c| {
            c.env("RUST_LOG", "warn");
        },
    )
    .await;
    let bytes = Photo::Phone12mp.bytes().to_vec();
    // One job first, so the figure before the burst includes what a server
    // that has worked keeps for good (thread stacks, code, caches).
    let warm = server.create_for(&bytes, "image/jpeg", json!({})).await;
    assert_eq!(server.upload(&warm, bytes.clone()).await.status(), 200);
    let warm = server
        .wait_done(warm["id"].as_str().unwrap(), Duration::from_secs(120))
        .await;
    assert_eq!(warm["status"], "succeeded", "{warm}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = server.rss_mib();

    let mut ids = Vec::new();
    for _ in 0..6 {
        let created = server.create_for(&bytes, "image/jpeg", json!({})).await;
        assert_eq!(server.upload(&created, bytes.clone()).await.status(), 200);
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let job = server.wait_done(id, Duration::from_secs(240)).await;
        assert_eq!(job["status"], "succeeded", "{job}");
    }
    let after_burst = server.rss_mib();
    let peak = server.peak_rss_mib();

    let idle_since = Instant::now();
    let mut idle = server.rss_mib();
    while idle > IDLE_BOUND_MIB && idle_since.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        idle = server.rss_mib();
    }
    eprintln!(
        "resident MiB: before the burst {before}, right after {after_burst}, peak {peak}, \
         idle {idle} after {:?}",
        idle_since.elapsed()
    );
    assert!(
        idle <= IDLE_BOUND_MIB,
        "idle resident memory {idle} MiB stays over {IDLE_BOUND_MIB} MiB (before the burst {before}, \
         right after it {after_burst}, peak {peak})"
    );
    server.stop().await;
}
