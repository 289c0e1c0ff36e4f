//! DynamoJobs against moto: the table's shape, the item mapping, insert/get,
//! list paging, compare-and-swap replace, delete, and racing claims.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, ProjectionType, TimeToLiveStatus,
};
use chrono::SubsecRound;
use pixpipe_aws::dynamo::{OWNER_INDEX, RECORD_RETENTION, TTL_ATTRIBUTE};
use pixpipe_core::lifecycle::{self, Applied, ClaimRefused};
use pixpipe_core::{JobError, JobId, JobResult, JobStatus, JobStore, StoreError};
use tokio::sync::Barrier;

use crate::common::{Env, job};

#[tokio::test]
async fn table_has_the_template_shape() {
    let env = Env::new().await;
    let table = env
        .dynamodb()
        .describe_table()
        .table_name(&env.cfg.jobs_table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        table.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let keys: Vec<_> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    assert_eq!(keys, [("id", KeyType::Hash)]);
    let [index] = table.global_secondary_indexes() else {
        panic!("expected one GSI");
    };
    assert_eq!(index.index_name(), Some(OWNER_INDEX));
    let keys: Vec<_> = index
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    assert_eq!(keys, [("owner", KeyType::Hash), ("id", KeyType::Range)]);
    assert_eq!(
        index.projection().and_then(|p| p.projection_type()),
        Some(&ProjectionType::All)
    );
    let ttl = env
        .dynamodb()
        .describe_time_to_live()
        .table_name(&env.cfg.jobs_table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.attribute_name(), Some(TTL_ATTRIBUTE));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
}

#[tokio::test]
async fn insert_get_round_trip_and_item_attributes() {
    let env = Env::new().await;
    let store = &env.aws.jobs;
    let mut j = job("owner-a");
    j.status = JobStatus::Failed;
    j.results = vec![JobResult {
        name: "thumb".into(),
        url: "https://img.example.com/results/x/thumb.jpg".into(),
        content_type: "image/jpeg".into(),
        width: 300,
        height: 200,
        bytes: 18_734,
        encoder: None,
    }];
    j.error = Some(JobError {
        code: pixpipe_core::FailureCode::NotAnImage,
        message: "the uploaded file is not an image".into(),
    });
    assert!(store.get(j.id).await.unwrap().is_none());
    store.insert(&j).await.unwrap();
    assert_eq!(store.get(j.id).await.unwrap().as_ref(), Some(&j));

    let item = env
        .dynamodb()
        .get_item()
        .table_name(&env.cfg.jobs_table)
        .key("id", AttributeValue::S(j.id.to_string()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let s = |name: &str| item[name].as_s().unwrap().clone();
    let n = |name: &str| item[name].as_n().unwrap().parse::<i64>().unwrap();
    assert_eq!(s("owner"), "owner-a");
    assert_eq!(s("status"), "failed");
    assert_eq!(n("version"), 1);
    // Microseconds, fixed width, `Z`: sorts as it should.
    let created = s("created_at");
    assert_eq!(
        created.len(),
        "2025-11-26T15:04:05.123456Z".len(),
        "{created}"
    );
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&created).unwrap(),
        j.created_at.trunc_subsecs(6)
    );
    assert_eq!(
        n(TTL_ATTRIBUTE),
        (j.created_at + RECORD_RETENTION).timestamp()
    );
    assert!(s("doc").contains("not_an_image"));

    // Ids are meant to be fresh: a second insert is refused, not overwritten.
    let mut again = j.clone();
    again.owner = "intruder".into();
    let err = store.insert(&again).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    assert_eq!(store.get(j.id).await.unwrap().unwrap().owner, "owner-a");
}

#[tokio::test]
async fn list_is_newest_first_per_owner_with_paging() {
    let env = Env::new().await;
    let store = &env.aws.jobs;
    let mut mine = Vec::new();
    for i in 0..7 {
        let owner = if i % 3 == 2 { "owner-b" } else { "owner-a" };
        let j = job(owner);
        store.insert(&j).await.unwrap();
        if owner == "owner-a" {
            mine.push(j.id);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    mine.reverse(); // newest first
    let ids = |jobs: Vec<pixpipe_core::Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();

    assert_eq!(ids(store.list("owner-a", None, 100).await.unwrap()), mine);
    assert_eq!(
        ids(store.list("owner-b", None, 100).await.unwrap()).len(),
        2
    );
    assert!(store.list("nobody", None, 10).await.unwrap().is_empty());
    assert!(store.list("owner-a", None, 0).await.unwrap().is_empty());

    // Page by page with `before` = the last id of the previous page.
    let mut pages = Vec::new();
    let mut before: Option<JobId> = None;
    loop {
        let page = ids(store.list("owner-a", before, 2).await.unwrap());
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        before = page.last().copied();
        pages.extend(page);
    }
    assert_eq!(pages, mine);
}

#[tokio::test]
async fn replace_is_compare_and_swap() {
    let env = Env::new().await;
    let store = &env.aws.jobs;
    let j = job("owner-a");
    store.insert(&j).await.unwrap();

    let mut v2 = j.clone();
    v2.status = JobStatus::Queued;
    v2.version = 2;
    assert!(store.replace(&v2, 1).await.unwrap());

    let mut stale = j.clone();
    stale.status = JobStatus::Expired;
    stale.version = 2;
    assert!(
        !store.replace(&stale, 1).await.unwrap(),
        "stale version won"
    );
    assert_eq!(store.get(j.id).await.unwrap().unwrap(), v2);

    // A missing record is not recreated by a replace.
    let ghost = job("owner-a");
    assert!(!store.replace(&ghost, 1).await.unwrap());
    assert!(store.get(ghost.id).await.unwrap().is_none());
}

#[tokio::test]
async fn delete_reports_whether_it_existed() {
    let env = Env::new().await;
    let store = &env.aws.jobs;
    let j = job("owner-a");
    store.insert(&j).await.unwrap();
    assert!(store.delete(j.id).await.unwrap());
    assert!(store.get(j.id).await.unwrap().is_none());
    assert!(!store.delete(j.id).await.unwrap());
    assert!(store.list("owner-a", None, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_claims_of_one_delivery_let_exactly_one_win() {
    let env = Env::new().await;
    let store: Arc<dyn JobStore> = env.aws.jobs.clone();
    for _ in 0..5 {
        let j = job("owner-a");
        store.insert(&j).await.unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (store, barrier) = (store.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    lifecycle::claim(store.as_ref(), j.id, 1).await.unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Applied::Written(job) => {
                    assert_eq!((job.status, job.attempts), (JobStatus::Processing, 1));
                    won += 1;
                }
                Applied::Kept(ClaimRefused::InProgress) => {}
                other => panic!("unexpected claim outcome {other:?}"),
            }
        }
        assert_eq!(won, 1, "exactly one claim must win");
        let stored = store.get(j.id).await.unwrap().unwrap();
        assert_eq!((stored.attempts, stored.version), (1, 2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_replaces_of_one_version_let_exactly_one_win() {
    let env = Env::new().await;
    let store: Arc<dyn JobStore> = env.aws.jobs.clone();
    let j = job("owner-a");
    store.insert(&j).await.unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8u32)
        .map(|n| {
            let (store, barrier, mut next) = (store.clone(), barrier.clone(), j.clone());
            next.version = 2;
            next.attempts = n + 1; // tells the writers apart
            tokio::spawn(async move {
                barrier.wait().await;
                (n + 1, store.replace(&next, 1).await.unwrap())
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        if let (n, true) = task.await.unwrap() {
            winners.push(n);
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = store.get(j.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.attempts), (2, winners[0]));
}
