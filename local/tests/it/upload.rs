//! `PUT /uploads/{id}`: the signed upload over HTTP.

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use pixpipe_core::{BlobStore, JobId, JobStatus, JobStore, lifecycle};
use pixpipe_local::QueueCounts;

use crate::common::{app, create, open, put, send, target, upload_req};

const BODY: &[u8] = b"0123456789";

fn one_queued() -> QueueCounts {
    QueueCounts {
        ready: 1,
        in_flight: 0,
        dead: 0,
    }
}

#[tokio::test]
async fn good_upload_queues_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let app = app(&local);
    let (job, ticket) = create(&local, BODY.len() as u64).await;
    assert_eq!(ticket.method, "PUT");
    assert!(ticket.url.starts_with(&format!(
        "http://127.0.0.1:8080/uploads/{}?ct=image%2Fjpeg&len=10&exp=",
        job.id
    )));

    let reply = send(&app, upload_req(&ticket, BODY.to_vec())).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
    let uploads = dir.path().join("blobs/uploads");
    assert_eq!(
        std::fs::read(uploads.join(job.id.to_string())).unwrap(),
        BODY
    );
    assert!(!uploads.join(format!("{}.part", job.id)).exists());
    let stored = local.store.get(job.id).await.unwrap().unwrap();
    // Two writes: the upload held open as it began, then queued.
    assert_eq!((stored.status, stored.version), (JobStatus::Queued, 3));
    assert!(stored.upload_held_until.is_some());
    assert_eq!(local.store.queue_counts().await.unwrap(), one_queued());
    // The worker reads the source through the BlobStore port.
    assert_eq!(local.blobs.get(&job.source_key(), 10).await.unwrap(), BODY);

    let again = send(&app, upload_req(&ticket, BODY.to_vec())).await;
    again.assert_problem(StatusCode::CONFLICT, "upload_conflict");
    assert_eq!(local.store.queue_counts().await.unwrap(), one_queued());
}

#[tokio::test]
async fn rejected_attempts_change_nothing_and_a_good_one_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let app = app(&local);
    let (job, ticket) = create(&local, BODY.len() as u64).await;
    let (other, other_ticket) = create(&local, BODY.len() as u64).await;
    let uri = target(&ticket);
    let forbidden = StatusCode::FORBIDDEN;
    let body = || BODY.to_vec();

    // Signature problems.
    let mut tampered = uri.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let other_query = target(&other_ticket).split_once('?').unwrap().1.to_owned();
    let copied = format!("/uploads/{}?{other_query}", job.id);
    let no_query = format!("/uploads/{}", job.id);
    let dropped_len = uri.replace("&len=10", "");
    let bad_hex = uri.replace("&sig=", "&sig=zz");
    for bad in [tampered, copied, no_query, dropped_len, bad_hex] {
        send(&app, put(&bad, Some("image/jpeg"), Some("10"), body()))
            .await
            .assert_problem(forbidden, "invalid_signature");
    }
    // Headers that differ from the signed ones.
    for (ct, len) in [
        (Some("image/png"), Some("10")),
        (None, Some("10")),
        (Some("image/jpeg"), Some("11")),
        (Some("image/jpeg"), None),
        (Some("image/jpeg"), Some("ten")),
    ] {
        send(&app, put(&uri, ct, len, body()))
            .await
            .assert_problem(forbidden, "upload_mismatch");
    }
    // A body longer or shorter than signed.
    let long = [BODY, b"!"].concat();
    send(&app, put(&uri, Some("image/jpeg"), Some("10"), long))
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    send(
        &app,
        put(&uri, Some("image/jpeg"), Some("10"), BODY[..4].to_vec()),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "invalid_request");

    let uploads = dir.path().join("blobs/uploads");
    assert_eq!(
        std::fs::read_dir(&uploads).unwrap().count(),
        0,
        "no files left behind"
    );
    assert_eq!(
        local.store.get(job.id).await.unwrap().unwrap().status,
        JobStatus::AwaitingUpload
    );
    assert_eq!(
        local.store.queue_counts().await.unwrap(),
        QueueCounts::default()
    );

    let ok = send(&app, upload_req(&ticket, body())).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        local.store.get(job.id).await.unwrap().unwrap().status,
        JobStatus::Queued
    );
    assert_eq!(
        local.store.get(other.id).await.unwrap().unwrap().status,
        JobStatus::AwaitingUpload
    );
}

#[tokio::test]
async fn expired_url_and_unknown_job() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let app = app(&local);
    let (job, _) = create(&local, 10).await;
    let past = Utc::now() - Duration::seconds(5);
    let expired = local
        .blobs
        .presign_upload(&job.source_key(), "image/jpeg", 10, past)
        .await
        .unwrap();
    send(&app, upload_req(&expired, BODY.to_vec()))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "upload_expired");

    let ghost = JobId::new();
    let soon = Utc::now() + Duration::minutes(5);
    let ticket = local
        .blobs
        .presign_upload(&ghost.source_key(), "image/jpeg", 10, soon)
        .await
        .unwrap();
    send(&app, upload_req(&ticket, BODY.to_vec()))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "job_not_found");
    assert!(!dir.path().join(format!("blobs/uploads/{ghost}")).exists());

    send(
        &app,
        put(
            "/uploads/not-a-uuid?ct=a&len=1&exp=1&sig=00",
            Some("a"),
            Some("1"),
            vec![0],
        ),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "invalid_signature");
}

#[tokio::test]
async fn jobs_no_longer_awaiting_refuse_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let app = app(&local);
    let (job, ticket) = create(&local, 10).await;
    let later = Utc::now() + Duration::hours(1);
    lifecycle::expire_if_stale(local.store.as_ref(), job.id, later)
        .await
        .unwrap();
    send(&app, upload_req(&ticket, BODY.to_vec()))
        .await
        .assert_problem(StatusCode::CONFLICT, "upload_conflict");

    let (deleted, ticket) = create(&local, 10).await;
    crate::common::service(&local)
        .delete("owner-a", deleted.id)
        .await
        .unwrap();
    send(&app, upload_req(&ticket, BODY.to_vec()))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "job_not_found");
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs/uploads"))
            .unwrap()
            .count(),
        0
    );
}

#[tokio::test]
async fn upload_in_progress_conflicts_and_crash_leftovers_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let uploads = dir.path().join("blobs/uploads");
    let (job, ticket) = {
        let local = open(dir.path()).await;
        let (job, ticket) = create(&local, 10).await;
        // Someone else is uploading this job right now.
        let part = uploads.join(format!("{}.part", job.id));
        std::fs::write(&part, b"half").unwrap();
        send(&app(&local), upload_req(&ticket, BODY.to_vec()))
            .await
            .assert_problem(StatusCode::CONFLICT, "upload_conflict");
        assert!(
            part.exists(),
            "another upload's part file is not ours to remove"
        );
        // A crash after moving a source into place but before queueing it.
        std::fs::write(uploads.join(job.id.to_string()), b"orphan").unwrap();
        (job, ticket)
    };
    // Reopening removes the stale part file; the orphan is replaced.
    let local = open(dir.path()).await;
    assert!(!uploads.join(format!("{}.part", job.id)).exists());
    let ok = send(&app(&local), upload_req(&ticket, BODY.to_vec())).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        std::fs::read(uploads.join(job.id.to_string())).unwrap(),
        BODY
    );
    assert_eq!(local.store.queue_counts().await.unwrap(), one_queued());
}

#[tokio::test]
async fn an_abandoned_upload_leaves_no_part_file() {
    use futures_util::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let app = app(&local);
    let (job, ticket) = create(&local, 10).await;
    let part = dir.path().join(format!("blobs/uploads/{}.part", job.id));
    // Five bytes arrive, then the client stalls forever.
    let stalled =
        futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"01234"))])
            .chain(futures_util::stream::pending());
    let mut req = upload_req(&ticket, Vec::new());
    *req.body_mut() = axum::body::Body::from_stream(stalled);
    let task = tokio::spawn(async move { crate::common::send(&app, req).await.status });
    for _ in 0..200 {
        if part.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(part.exists(), "upload started");
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert!(!part.exists(), "the dropped handler removed its part file");
    assert_eq!(
        local.store.get(job.id).await.unwrap().unwrap().status,
        JobStatus::AwaitingUpload
    );
}
