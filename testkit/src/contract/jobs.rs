//! `JobStore`'s promises: a record comes back as it was stored; a duplicate
//! id is refused; `replace` is a compare-and-swap on `version`; `delete` says
//! whether the record existed and a deleted record stays gone; `list` gives
//! one owner's jobs, newest first, and pages with `before` without gaps or
//! repeats.

use std::collections::BTreeSet;

use pixpipe_core::{Job, JobId, JobStatus, JobStore};

use super::{Backend, next_version, sample_job};

/// An owner tag no other test uses.
fn owner(tag: &str) -> String {
    format!("{tag}-{}", JobId::new())
}

async fn stored(jobs: &dyn JobStore, id: JobId) -> Option<Job> {
    jobs.get(id).await.expect("get")
}

/// `insert` then `get` gives the same record, every field kept; an unknown
/// id is `None`.
pub async fn insert_then_get_round_trips(backend: &dyn Backend) {
    let jobs = backend.jobs();
    let job = sample_job(&owner("round-trip"));
    jobs.insert(&job).await.expect("insert");
    assert_eq!(stored(jobs, job.id).await.as_ref(), Some(&job));

    // A record with every optional field empty comes back as such too.
    let mut bare = sample_job(&job.owner);
    bare.filename = None;
    bare.preset = None;
    bare.variants.clear();
    bare.upload_held_until = None;
    bare.callback_url = None;
    jobs.insert(&bare).await.expect("insert");
    assert_eq!(stored(jobs, bare.id).await, Some(bare));

    assert_eq!(stored(jobs, JobId::new()).await, None, "unknown id");
}

/// A second `insert` of an existing id is an error and leaves the first
/// record as it was.
pub async fn insert_refuses_a_duplicate_id(backend: &dyn Backend) {
    let jobs = backend.jobs();
    let first = sample_job(&owner("duplicate"));
    jobs.insert(&first).await.expect("insert");

    let mut other = next_version(&first);
    other.owner = owner("intruder");
    other.version = 1;
    let refused = jobs.insert(&other).await;
    assert!(refused.is_err(), "a duplicate id was accepted");
    assert_eq!(stored(jobs, first.id).await, Some(first.clone()));
    assert!(
        jobs.list(&other.owner, None, 10).await.unwrap().is_empty(),
        "the refused record shows up in its owner's list"
    );
}

/// `replace(job, expected)` writes only while the stored version is
/// `expected`; a stale version is refused with `false` and writes nothing.
pub async fn replace_writes_only_at_the_expected_version(backend: &dyn Backend) {
    let jobs = backend.jobs();
    let v1 = sample_job(&owner("cas"));
    jobs.insert(&v1).await.expect("insert");

    let v2 = next_version(&v1);
    assert!(jobs.replace(&v2, 1).await.expect("replace at v1"));
    assert_eq!(stored(jobs, v1.id).await, Some(v2.clone()));

    // A writer that still holds v1 loses, whatever it writes.
    let mut stale = next_version(&v1);
    stale.status = JobStatus::Succeeded;
    stale.error = None;
    assert!(!jobs.replace(&stale, 1).await.expect("replace at v1 again"));
    assert_eq!(
        stored(jobs, v1.id).await,
        Some(v2.clone()),
        "a refused replace changed the record"
    );
    // A version ahead of the stored one is refused as well.
    let ahead = next_version(&next_version(&v2));
    assert!(!jobs.replace(&ahead, 3).await.expect("replace at v3"));
    assert_eq!(stored(jobs, v1.id).await, Some(v2.clone()));

    let v3 = next_version(&v2);
    assert!(jobs.replace(&v3, 2).await.expect("replace at v2"));
    assert_eq!(stored(jobs, v1.id).await, Some(v3));
}

/// `delete` removes the record and says it existed; a second `delete` says
/// it did not; `replace` of a deleted record is refused and recreates nothing.
pub async fn delete_removes_the_record_for_good(backend: &dyn Backend) {
    let jobs = backend.jobs();
    let job = sample_job(&owner("delete"));
    let neighbour = sample_job(&job.owner);
    jobs.insert(&job).await.expect("insert");
    jobs.insert(&neighbour).await.expect("insert");

    assert!(jobs.delete(job.id).await.expect("delete"), "it existed");
    assert_eq!(stored(jobs, job.id).await, None);
    assert!(!jobs.delete(job.id).await.expect("delete again"), "gone");
    assert!(!jobs.delete(JobId::new()).await.expect("delete unknown"));

    assert!(
        !jobs
            .replace(&next_version(&job), job.version)
            .await
            .expect("replace"),
        "replace of a deleted record succeeded"
    );
    assert_eq!(stored(jobs, job.id).await, None, "replace recreated it");
    let listed = jobs.list(&job.owner, None, 10).await.expect("list");
    assert_eq!(
        listed,
        vec![neighbour.clone()],
        "only the neighbour is left"
    );
    assert_eq!(stored(jobs, neighbour.id).await, Some(neighbour));
}

/// `list(owner, before, limit)`: only that owner's jobs, newest (highest id)
/// first, at most `limit`, strictly older than `before`; following pages by
/// the last id seen visits every job once.
pub async fn list_pages_one_owners_jobs_newest_first(backend: &dyn Backend) {
    let jobs = backend.jobs();
    let (mine, theirs) = (owner("list-a"), owner("list-b"));
    let mut made: Vec<Job> = Vec::new();
    for i in 0..10 {
        // Interleaved owners; ids (UUIDv7) grow with creation time.
        made.push(sample_job(if i % 3 == 2 { &theirs } else { &mine }));
    }
    // Stored in another order than created, so insertion order is no hint.
    for i in [3, 0, 9, 5, 1, 7, 2, 8, 6, 4] {
        jobs.insert(&made[i]).await.expect("insert");
    }
    let newest_first = |owner: &str| {
        let mut ids: Vec<JobId> = made
            .iter()
            .filter(|j| j.owner == owner)
            .map(|j| j.id)
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    };
    let ids = |page: &[Job]| page.iter().map(|j| j.id).collect::<Vec<_>>();
    let (want_mine, want_theirs) = (newest_first(&mine), newest_first(&theirs));
    assert_eq!(want_mine.len(), 7);

    let all = jobs.list(&mine, None, 100).await.expect("list");
    assert_eq!(ids(&all), want_mine, "one owner's jobs, newest first");
    for job in &all {
        let made = made.iter().find(|m| m.id == job.id).expect("made here");
        assert_eq!(job, made, "listed records are whole");
    }
    let other = jobs.list(&theirs, None, 100).await.expect("list");
    assert_eq!(ids(&other), want_theirs);
    assert!(
        jobs.list(&owner("nobody"), None, 100)
            .await
            .expect("list")
            .is_empty()
    );

    // Pages of 3 by `before`: 3 + 3 + 1, then nothing.
    let mut seen = Vec::new();
    let mut before = None;
    let mut sizes = Vec::new();
    loop {
        let page = jobs.list(&mine, before, 3).await.expect("list page");
        sizes.push(page.len());
        let Some(last) = page.last() else { break };
        assert!(page.len() <= 3, "limit exceeded: {}", page.len());
        before = Some(last.id);
        seen.extend(ids(&page));
        assert!(sizes.len() <= 4, "paging does not end: {sizes:?}");
    }
    assert_eq!(seen, want_mine, "pages have gaps, repeats or disorder");
    assert_eq!(sizes, [3, 3, 1, 0]);
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());

    // `before` is exclusive and need not be one of the owner's ids.
    let middle = want_mine[3];
    let older = jobs.list(&mine, Some(middle), 100).await.expect("list");
    assert_eq!(ids(&older), want_mine[4..]);
    let before_theirs = want_theirs[0];
    let older = jobs.list(&mine, Some(before_theirs), 100).await;
    let want: Vec<JobId> = want_mine
        .iter()
        .copied()
        .filter(|id| *id < before_theirs)
        .collect();
    assert_eq!(ids(&older.expect("list")), want);
    let oldest = *want_mine.last().expect("some");
    assert!(
        jobs.list(&mine, Some(oldest), 100)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(jobs.list(&mine, None, 0).await.expect("list").is_empty());
}
