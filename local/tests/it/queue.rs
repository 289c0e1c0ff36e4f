//! The SQLite work queue: visibility, receipts, release, dead letters,
//! restarts and waiting.

use std::time::{Duration, Instant};

use pixpipe_core::WorkQueue;
use pixpipe_local::{LocalConfig, QueueCounts};

use crate::common::{config, open, queued};

const NO_WAIT: Duration = Duration::ZERO;
const SHORT: Duration = Duration::from_millis(300);

fn counts(ready: u64, in_flight: u64, dead: u64) -> QueueCounts {
    QueueCounts {
        ready,
        in_flight,
        dead,
    }
}

#[tokio::test]
async fn received_item_is_hidden_then_redelivered() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let q = &local.store;
    let id = queued(&local).await;

    let first = q.receive(10, SHORT, NO_WAIT).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].job_id, first[0].receive_count), (id, 1));
    assert!(
        q.receive(10, SHORT, NO_WAIT).await.unwrap().is_empty(),
        "hidden while in flight"
    );
    assert_eq!(q.queue_counts().await.unwrap(), counts(0, 1, 0));

    let again = q.receive(10, SHORT, Duration::from_secs(5)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].job_id, again[0].receive_count), (id, 2));
    assert_ne!(again[0].receipt, first[0].receipt);

    q.ack(&first[0]).await.unwrap();
    assert_eq!(
        q.queue_counts().await.unwrap(),
        counts(0, 1, 0),
        "stale receipt is a no-op"
    );
    q.release(&first[0], NO_WAIT).await.unwrap();
    assert_eq!(
        q.queue_counts().await.unwrap(),
        counts(0, 1, 0),
        "stale release is a no-op"
    );
    q.ack(&again[0]).await.unwrap();
    assert_eq!(q.queue_counts().await.unwrap(), counts(0, 0, 0));
    tokio::time::sleep(SHORT + Duration::from_millis(100)).await;
    assert!(
        q.receive(10, SHORT, NO_WAIT).await.unwrap().is_empty(),
        "acked means gone"
    );
}

#[tokio::test]
async fn release_redelivers_after_the_delay() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let q = &local.store;
    queued(&local).await;
    let first = q
        .receive(1, Duration::from_secs(60), NO_WAIT)
        .await
        .unwrap();
    let delay = Duration::from_millis(400);
    let released_at = Instant::now();
    q.release(&first[0], delay).await.unwrap();
    assert!(
        q.receive(1, Duration::from_secs(60), NO_WAIT)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(q.queue_counts().await.unwrap(), counts(1, 0, 0));

    let again = q
        .receive(1, Duration::from_secs(60), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(released_at.elapsed() >= delay);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].receive_count, 2);
    q.ack(&first[0]).await.unwrap();
    assert_eq!(
        q.queue_counts().await.unwrap(),
        counts(0, 1, 0),
        "released receipt is spent"
    );
}

#[tokio::test]
async fn item_goes_dead_after_max_receives() {
    let dir = tempfile::tempdir().unwrap();
    let local = pixpipe_local::open(LocalConfig {
        max_receives: 2,
        ..config(dir.path())
    })
    .await
    .unwrap();
    let q = &local.store;
    assert_eq!(q.max_receives(), 2);
    let id = queued(&local).await;

    let one = q.receive(1, SHORT, NO_WAIT).await.unwrap();
    assert_eq!((one[0].job_id, one[0].receive_count), (id, 1));
    let two = q.receive(1, SHORT, Duration::from_secs(5)).await.unwrap();
    assert_eq!((two[0].job_id, two[0].receive_count), (id, 2));
    tokio::time::sleep(SHORT + Duration::from_millis(100)).await;
    assert_eq!(q.queue_counts().await.unwrap(), counts(0, 0, 1));

    // Only another job is delivered from now on.
    let live = queued(&local).await;
    let rest = q.receive(10, SHORT, NO_WAIT).await.unwrap();
    assert_eq!(
        rest.iter().map(|d| d.job_id).collect::<Vec<_>>(),
        vec![live]
    );
    q.ack(&rest[0]).await.unwrap();
    assert!(
        q.receive(10, SHORT, Duration::from_millis(700))
            .await
            .unwrap()
            .is_empty()
    );
    q.ack(&two[0]).await.unwrap();
    assert_eq!(
        q.queue_counts().await.unwrap(),
        counts(0, 0, 1),
        "dead items stay, unackable"
    );
}

/// Only one process opens a data directory, so a delivery still outstanding
/// at the next open belongs to a process that died: it is visible at once,
/// with its receive counted, not after the rest of its visibility timeout.
#[tokio::test]
async fn items_survive_a_restart_and_held_ones_come_back_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = {
        let local = open(dir.path()).await;
        let a = queued(&local).await;
        let b = queued(&local).await;
        let got = local
            .store
            .receive(1, Duration::from_secs(3600), NO_WAIT)
            .await
            .unwrap();
        assert_eq!(got[0].job_id, a);
        assert_eq!(local.store.queue_counts().await.unwrap(), counts(1, 1, 0));
        (a, b)
    };
    let local = open(dir.path()).await;
    let q = &local.store;
    assert_eq!(q.queue_counts().await.unwrap(), counts(2, 0, 0));
    let got = q.receive(10, SHORT, NO_WAIT).await.unwrap();
    let ids: Vec<_> = got.iter().map(|d| (d.job_id, d.receive_count)).collect();
    assert_eq!(ids, vec![(a, 2), (b, 1)]);
    assert_eq!(
        pixpipe_core::JobStore::get(q.as_ref(), a)
            .await
            .unwrap()
            .unwrap()
            .status,
        pixpipe_core::JobStatus::Queued
    );
}

#[tokio::test]
async fn a_data_dir_is_opened_by_one_process_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path()).await;
    let second = pixpipe_local::open(config(dir.path())).await;
    let err = second.expect_err("a second open of a held data dir");
    assert!(
        matches!(err, pixpipe_local::OpenError::InUse { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("in use by another pixpipe process")
    );
    drop(first);
    open(dir.path()).await;
}

/// A renewed lease keeps the item hidden past its first visibility timeout;
/// once renewals stop it comes back.
#[tokio::test]
async fn extend_keeps_a_delivery_hidden_until_renewals_stop() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let q = &local.store;
    let id = queued(&local).await;
    let lease = Duration::from_millis(300);
    let got = q.receive(1, lease, NO_WAIT).await.unwrap();
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        q.extend(&got[0], lease).await.unwrap();
        assert!(q.receive(1, lease, NO_WAIT).await.unwrap().is_empty());
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = q.receive(1, lease, NO_WAIT).await.unwrap();
    assert_eq!(again[0].job_id, id);
    assert_eq!(again[0].receive_count, 2);
    // The old delivery's renewal no longer touches the item.
    q.extend(&got[0], Duration::from_secs(3600)).await.unwrap();
    q.release(&again[0], Duration::ZERO).await.unwrap();
    assert_eq!(q.receive(1, lease, NO_WAIT).await.unwrap().len(), 1);
}

#[tokio::test]
async fn oldest_first_and_never_twice_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let q = &local.store;
    let ids = [
        queued(&local).await,
        queued(&local).await,
        queued(&local).await,
    ];
    assert!(q.receive(0, SHORT, NO_WAIT).await.unwrap().is_empty());
    let (x, y) = tokio::join!(
        q.receive(2, Duration::from_secs(60), NO_WAIT),
        q.receive(2, Duration::from_secs(60), NO_WAIT)
    );
    let mut got: Vec<_> = x
        .unwrap()
        .into_iter()
        .chain(y.unwrap())
        .map(|d| d.job_id)
        .collect();
    got.sort();
    assert_eq!(got, ids.to_vec(), "each item delivered exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_receive_wakes_on_accept_upload() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let (job, _) = crate::common::create(&local, 4).await;
    let store = local.store.clone();
    let accept = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        store.accept_upload(job.id).await
    });
    let started = Instant::now();
    let got = local
        .store
        .receive(1, SHORT, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].job_id, job.id);
    accept.await.unwrap().unwrap();
}
