//! The store under concurrent callers: writes share commits (group commit)
//! and read-only connections serve reads, yet every answered write is
//! durable and visible, and compare-and-swap still has one winner.

use std::sync::Arc;

use pixpipe_core::{JobStatus, JobStore};
use pixpipe_local::{QueueCounts, UploadAccepted};
use tokio::sync::Barrier;

use crate::common::{job, open};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creations_are_answered_readable_and_durable() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let store = local.store.clone();
            tokio::spawn(async move {
                let job = job("many");
                store.insert(&job).await.unwrap();
                // Answered means committed: a read-only connection sees it.
                assert_eq!(store.get(job.id).await.unwrap(), Some(job.clone()));
                job.id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    let stats = local.store.write_stats();
    assert_eq!(stats.writes, 200);
    assert!((1..=200).contains(&stats.commits), "{stats:?}");
    drop(local);

    let reopened = open(dir.path()).await;
    let mut listed: Vec<_> = reopened
        .store
        .list("many", None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_replaces_of_one_version_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    for _ in 0..5 {
        let original = job("a");
        local.store.insert(&original).await.unwrap();
        let barrier = Arc::new(Barrier::new(32));
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let (store, barrier) = (local.store.clone(), barrier.clone());
                let mut next = original.clone();
                next.version = 2;
                next.filename = Some(format!("writer-{i}.jpg"));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let won = store.replace(&next, 1).await.unwrap();
                    (won, next)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            let (won, next) = task.await.unwrap();
            if won {
                winners.push(next);
            }
        }
        assert_eq!(winners.len(), 1, "exactly one compare-and-swap wins");
        assert_eq!(
            local.store.get(original.id).await.unwrap().as_ref(),
            winners.first()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_accepts_of_one_upload_enqueue_once() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let awaiting = job("a");
    local.store.insert(&awaiting).await.unwrap();
    let barrier = Arc::new(Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (store, barrier) = (local.store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.accept_upload(awaiting.id).await.unwrap()
            })
        })
        .collect();
    let mut queued = 0;
    for task in tasks {
        match task.await.unwrap() {
            UploadAccepted::Queued(job) => {
                assert_eq!(job.version, 2);
                queued += 1;
            }
            other => assert_eq!(other, UploadAccepted::NotAwaiting(JobStatus::Queued)),
        }
    }
    assert_eq!(queued, 1);
    assert_eq!(
        local.store.queue_counts().await.unwrap(),
        QueueCounts {
            ready: 1,
            in_flight: 0,
            dead: 0
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_read_sees_the_writes_answered_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    // Other callers write and read all along.
    let noise: Vec<_> = (0..8)
        .map(|_| {
            let store = local.store.clone();
            tokio::spawn(async move {
                for _ in 0..40 {
                    let j = job("noise");
                    store.insert(&j).await.unwrap();
                    store.get(j.id).await.unwrap().unwrap();
                }
            })
        })
        .collect();
    let mut current = job("a");
    local.store.insert(&current).await.unwrap();
    for _ in 0..60 {
        let mut next = current.clone();
        next.version += 1;
        assert!(local.store.replace(&next, current.version).await.unwrap());
        assert_eq!(local.store.get(next.id).await.unwrap(), Some(next.clone()));
        current = next;
    }
    for task in noise {
        task.await.unwrap();
    }
    assert_eq!(
        local.store.list("noise", None, 1000).await.unwrap().len(),
        320
    );
}
