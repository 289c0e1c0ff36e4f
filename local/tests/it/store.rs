//! `JobStore`, `accept_upload` and `expire_stale` over a real SQLite file.

use std::sync::Arc;

use chrono::{Duration, Utc};
use pixpipe_core::lifecycle::{self, Applied, ClaimRefused};
use pixpipe_core::{JobId, JobStatus, JobStore, StoreError};
use pixpipe_local::{QueueCounts, UploadAccepted};

use crate::common::{job, open, queued};

#[tokio::test]
async fn insert_get_delete() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let store = &local.store;
    let job = job("a");
    store.insert(&job).await.unwrap();
    assert_eq!(store.get(job.id).await.unwrap(), Some(job.clone()));
    assert_eq!(store.get(JobId::new()).await.unwrap(), None);
    assert!(store.insert(&job).await.is_err(), "ids are unique");
    assert!(store.delete(job.id).await.unwrap());
    assert!(!store.delete(job.id).await.unwrap());
    assert_eq!(store.get(job.id).await.unwrap(), None);
}

#[tokio::test]
async fn list_is_newest_first_per_owner_with_paging() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let store = &local.store;
    let mut mine = Vec::new();
    for i in 0..5 {
        let j = job("a");
        store.insert(&j).await.unwrap();
        mine.push(j.id);
        if i < 2 {
            store.insert(&job("b")).await.unwrap();
        }
    }
    mine.sort_by(|x, y| y.cmp(x));
    let ids = |jobs: Vec<pixpipe_core::Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list("a", None, 10).await.unwrap()), mine);
    assert_eq!(ids(store.list("a", None, 2).await.unwrap()), mine[..2]);
    assert_eq!(
        ids(store.list("a", Some(mine[1]), 10).await.unwrap()),
        mine[2..]
    );
    assert_eq!(
        ids(store.list("a", Some(mine[4]), 10).await.unwrap()),
        Vec::<JobId>::new()
    );
    assert_eq!(store.list("b", None, 10).await.unwrap().len(), 2);
    assert!(store.list("nobody", None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn replace_is_compare_and_swap() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let store = &local.store;
    let original = job("a");
    store.insert(&original).await.unwrap();

    let mut queued = original.clone();
    queued.status = JobStatus::Queued;
    queued.version = 2;
    assert!(store.replace(&queued, 1).await.unwrap());

    let mut stale = original.clone();
    stale.status = JobStatus::Expired;
    stale.version = 2;
    assert!(
        !store.replace(&stale, 1).await.unwrap(),
        "stale version must lose"
    );
    assert_eq!(store.get(original.id).await.unwrap(), Some(queued));

    let mut ghost = job("a");
    ghost.version = 2;
    assert!(
        !store.replace(&ghost, 1).await.unwrap(),
        "absent job is not written"
    );
    assert_eq!(store.get(ghost.id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_claims_of_one_delivery_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    for _ in 0..10 {
        let id = queued(&local).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (store, barrier) = (local.store.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    lifecycle::claim(store.as_ref(), id, 1).await
                })
            })
            .collect();
        let mut written = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Applied::Written(job) => {
                    assert_eq!(job.status, JobStatus::Processing);
                    written += 1;
                }
                Applied::Kept(refused) => assert_eq!(refused, ClaimRefused::InProgress),
                Applied::Missing => panic!("job vanished"),
            }
        }
        assert_eq!(written, 1);
        let stored = local.store.get(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.attempts, stored.version),
            (JobStatus::Processing, 1, 3)
        );
    }
}

#[tokio::test]
async fn accept_upload_queues_once() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let store = &local.store;
    let before = job("a");
    store.insert(&before).await.unwrap();

    let UploadAccepted::Queued(after) = store.accept_upload(before.id).await.unwrap() else {
        panic!("not accepted");
    };
    assert_eq!(after.status, JobStatus::Queued);
    assert_eq!(after.version, before.version + 1);
    assert!(after.updated_at >= before.updated_at);
    assert_eq!(store.get(before.id).await.unwrap(), Some(*after));
    let one = QueueCounts {
        ready: 1,
        in_flight: 0,
        dead: 0,
    };
    assert_eq!(store.queue_counts().await.unwrap(), one);

    assert_eq!(
        store.accept_upload(before.id).await.unwrap(),
        UploadAccepted::NotAwaiting(JobStatus::Queued)
    );
    assert_eq!(
        store.queue_counts().await.unwrap(),
        one,
        "nothing enqueued twice"
    );
    assert_eq!(
        store.accept_upload(JobId::new()).await.unwrap(),
        UploadAccepted::Missing
    );
}

#[tokio::test]
async fn expire_stale_lists_only_lapsed_awaiting_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let store = &local.store;
    let now = Utc::now();
    let mut lapsed = job("a");
    lapsed.upload_expires_at = now - Duration::seconds(5);
    let fresh = job("a");
    let mut lapsed_but_queued = job("a");
    lapsed_but_queued.upload_expires_at = now - Duration::seconds(5);
    lapsed_but_queued.status = JobStatus::Queued;
    for j in [&lapsed, &fresh, &lapsed_but_queued] {
        store.insert(j).await.unwrap();
    }
    assert_eq!(store.expire_stale(now).await.unwrap(), vec![lapsed.id]);
    let expired = lifecycle::expire_if_stale(store.as_ref(), lapsed.id, now)
        .await
        .unwrap();
    assert!(matches!(expired, Applied::Written(ref j) if j.status == JobStatus::Expired));
    assert!(store.expire_stale(now).await.unwrap().is_empty());
    let later = now + Duration::hours(1);
    assert_eq!(store.expire_stale(later).await.unwrap(), vec![fresh.id]);
}

#[tokio::test]
async fn a_corrupt_record_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let job = job("a");
    local.store.insert(&job).await.unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(pixpipe_local::DB_FILE)).unwrap();
    conn.execute(
        "UPDATE jobs SET doc = '{not json' WHERE id = ?1",
        [job.id.to_string()],
    )
    .unwrap();
    assert!(matches!(
        local.store.get(job.id).await,
        Err(StoreError::Corrupt(_))
    ));
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
}
