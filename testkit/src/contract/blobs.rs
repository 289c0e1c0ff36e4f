//! `BlobStore`'s promises: a presigned URL takes one upload of the signed
//! type and length, sent with exactly the ticket's headers, before its
//! expiry; a published object reads back, is refused over `max_bytes`, is
//! served at its public URL and goes away on `delete`; an absent key reads as
//! [`BlobError::NotFound`] and deleting it is no error.
//!
//! The uploads go over real HTTP (reqwest), so a backend whose upload route
//! is its own server must serve it at the URLs it signs.

use bytes::Bytes;
use chrono::{Duration, Utc};
use pixpipe_core::{BlobError, JobId, UploadTicket};

use super::{Backend, sample_job};

const MAX: u64 = 1 << 20;

async fn send(ticket: &UploadTicket, headers: &[(&str, &str)], body: &'static [u8]) -> u16 {
    let method = reqwest::Method::from_bytes(ticket.method.as_bytes()).expect("a method");
    let mut request = reqwest::Client::new().request(method, &ticket.url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.body(body).send().await.expect("upload request");
    response.status().as_u16()
}

/// Exactly the ticket's headers.
fn ticket_headers(ticket: &UploadTicket) -> Vec<(&str, &str)> {
    ticket
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn assert_not_found(result: Result<Bytes, BlobError>, key: &str) {
    match result {
        Err(BlobError::NotFound(k)) => assert_eq!(k, key),
        other => panic!("{key}: expected NotFound, got {other:?}"),
    }
}

/// The ticket says `PUT` with the signed type and length and expires no
/// later than asked; the URL takes the upload (readable with `get`) and
/// then refuses a second one of the same type and length.
///
/// The job is stored first, as the service does before presigning: the local
/// upload route only takes the source of a job awaiting one.
///
/// A body of another type or length is not tried here: moto, the AWS
/// stand-in, does not check SigV4 signatures of presigned URLs (real S3
/// does; `aws/tests/it/s3.rs` checks that both headers are signed). The
/// local route's refusals are in `local/tests/it/upload.rs`.
pub async fn presigned_url_accepts_one_upload(backend: &dyn Backend) {
    let blobs = backend.blobs();
    let mut job = sample_job("presign");
    job.content_type = "image/png".to_owned();
    job.content_length = 4;
    backend.jobs().insert(&job).await.expect("insert");
    let key = job.source_key();
    let expires = Utc::now() + Duration::minutes(5);
    let ticket = blobs
        .presign_upload(&key, "image/png", 4, expires)
        .await
        .expect("presign");

    assert_eq!(ticket.method, "PUT");
    assert_eq!(ticket.headers["Content-Type"], "image/png");
    assert_eq!(ticket.headers["Content-Length"], "4");
    assert!(ticket.expires_at <= expires, "{ticket:?}");
    assert!(
        ticket.expires_at > expires - Duration::seconds(2),
        "{ticket:?}"
    );

    let body: &[u8] = b"\x89PNG";
    assert_not_found(blobs.get(&key, MAX).await, &key);
    assert!(
        !blobs.exists(&key).await.expect("exists"),
        "before the upload"
    );
    let status = send(&ticket, &ticket_headers(&ticket), body).await;
    assert!((200..300).contains(&status), "the upload got {status}");
    assert_eq!(blobs.get(&key, MAX).await.expect("get"), body);
    assert!(
        blobs.exists(&key).await.expect("exists"),
        "after the upload"
    );

    let status = send(&ticket, &ticket_headers(&ticket), b"GIF8").await;
    assert!(
        (400..500).contains(&status),
        "a second upload got {status}, not a refusal"
    );
    assert_eq!(
        blobs.get(&key, MAX).await.expect("get"),
        body,
        "the second upload replaced the first"
    );
}

/// `put_public` then `get` gives the bytes back, over `max_bytes` is
/// `TooLarge`, the public URL serves them; `delete` removes every key given.
pub async fn published_object_round_trips_and_is_deleted(backend: &dyn Backend) {
    let blobs = backend.blobs();
    let prefix = JobId::new().results_prefix();
    let (thumb, large) = (format!("{prefix}thumb.webp"), format!("{prefix}large.png"));
    let bytes = Bytes::from_static(b"RIFF\x04\0\0\0WEBP");
    blobs
        .put_public(&thumb, bytes.clone(), "image/webp")
        .await
        .expect("put");
    blobs
        .put_public(&large, Bytes::from_static(b"\x89PNG"), "image/png")
        .await
        .expect("put");

    assert_eq!(blobs.get(&thumb, MAX).await.expect("get"), bytes);
    let len = bytes.len() as u64;
    assert_eq!(
        blobs.get(&thumb, len).await.expect("get at the limit"),
        bytes
    );
    match blobs.get(&thumb, len - 1).await {
        Err(BlobError::TooLarge { key, size, limit }) => {
            assert_eq!((key.as_str(), size, limit), (thumb.as_str(), len, len - 1));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }

    let url = blobs.public_url(&thumb);
    let served = reqwest::get(&url).await.expect("GET the public URL");
    assert_eq!(served.status().as_u16(), 200, "{url}");
    assert_eq!(served.bytes().await.expect("body"), bytes, "{url}");

    // Published again (same key, same bytes): still readable.
    blobs
        .put_public(&thumb, bytes.clone(), "image/webp")
        .await
        .expect("put again");
    assert_eq!(blobs.get(&thumb, MAX).await.expect("get"), bytes);

    blobs
        .delete(&[thumb.clone(), large.clone()])
        .await
        .expect("delete");
    assert_not_found(blobs.get(&thumb, MAX).await, &thumb);
    assert_not_found(blobs.get(&large, MAX).await, &large);
    let gone = reqwest::get(&url).await.expect("GET the public URL");
    assert!(
        (400..500).contains(&gone.status().as_u16()),
        "{url} still answers {}",
        gone.status()
    );
}

/// `get` of a key never written is `NotFound` naming it; `delete` of absent
/// keys (alone, or beside a present one) succeeds and removes what is there.
pub async fn absent_objects_are_not_found_and_deletable(backend: &dyn Backend) {
    let blobs = backend.blobs();
    let id = JobId::new();
    let source = id.source_key();
    let result = format!("{}thumb.jpg", id.results_prefix());
    assert_not_found(blobs.get(&source, MAX).await, &source);
    assert_not_found(blobs.get(&result, MAX).await, &result);

    blobs.delete(&[]).await.expect("delete nothing");
    blobs
        .delete(std::slice::from_ref(&result))
        .await
        .expect("delete one absent key");
    blobs
        .delete(&[source.clone(), result.clone()])
        .await
        .expect("delete absent keys");

    let present = format!("{}small.jpg", id.results_prefix());
    blobs
        .put_public(&present, Bytes::from_static(b"\xff\xd8\xff"), "image/jpeg")
        .await
        .expect("put");
    blobs
        .delete(&[result.clone(), present.clone(), source.clone()])
        .await
        .expect("delete absent and present keys");
    assert_not_found(blobs.get(&present, MAX).await, &present);
    assert!(
        !blobs.exists(&present).await.expect("exists"),
        "after delete"
    );
    assert!(
        !blobs.exists(&source).await.expect("exists"),
        "never written"
    );
}
