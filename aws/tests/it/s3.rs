//! S3Blobs against moto: presigned uploads through plain HTTP, bounded reads,
//! public results with their caching headers, and deletes across buckets.

use bytes::Bytes;
use chrono::{Duration, Utc};
use pixpipe_core::{BlobError, BlobStore, JobId};

use crate::common::Env;

/// The query parameter `name` of `url`, decoded.
fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn presigned_put_with_the_ticket_headers_stores_the_object() {
    let env = Env::new().await;
    let blobs = &env.aws.blobs;
    let key = JobId::new().source_key();
    let body = Bytes::from_static(b"\xff\xd8\xff\xe0 not really a jpeg");
    let ticket = blobs
        .presign_upload(
            &key,
            "image/jpeg",
            body.len() as u64,
            Utc::now() + Duration::seconds(900),
        )
        .await
        .unwrap();

    assert_eq!(ticket.method, "PUT");
    let names: Vec<_> = ticket.headers.keys().map(String::as_str).collect();
    assert_eq!(names, ["Content-Length", "Content-Type", "If-None-Match"]);
    assert_eq!(ticket.headers["If-None-Match"], "*");
    assert_eq!(ticket.headers["Content-Length"], body.len().to_string());
    assert_eq!(ticket.headers["Content-Type"], "image/jpeg");
    // moto does not check signatures: show that S3 would, by what is signed.
    let signed = query_param(&ticket.url, "X-Amz-SignedHeaders").expect("signed headers");
    let signed: Vec<_> = signed.split(';').collect();
    assert!(signed.contains(&"content-length"), "{signed:?}");
    assert!(signed.contains(&"content-type"), "{signed:?}");
    assert!(signed.contains(&"if-none-match"), "{signed:?}");
    assert_eq!(
        query_param(&ticket.url, "X-Amz-Expires").as_deref(),
        Some("900")
    );
    assert!(query_param(&ticket.url, "X-Amz-Signature").is_some());
    // No checksum of an empty body is bound into the URL.
    assert!(
        !ticket.url.to_ascii_lowercase().contains("checksum"),
        "checksum in URL"
    );
    assert!(
        ticket
            .url
            .contains(&format!("/{}/{key}?", env.cfg.source_bucket))
    );

    let http = reqwest::Client::new();
    let mut put = http.put(&ticket.url).body(body.clone());
    for (name, value) in &ticket.headers {
        put = put.header(name, value);
    }
    let response = put.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());

    let head = env
        .s3()
        .head_object()
        .bucket(&env.cfg.source_bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("image/jpeg"));
    assert_eq!(head.content_length(), Some(body.len() as i64));
    assert_eq!(blobs.get(&key, body.len() as u64).await.unwrap(), body);
}

/// An upload URL works once: replaying it with other bytes of the same type
/// and length is refused by S3, and the first upload stays.
#[tokio::test]
async fn a_replayed_upload_url_is_refused() {
    let env = Env::new().await;
    let blobs = &env.aws.blobs;
    let key = JobId::new().source_key();
    let first = Bytes::from_static(b"first upload, the real one");
    let ticket = blobs
        .presign_upload(
            &key,
            "image/jpeg",
            first.len() as u64,
            Utc::now() + Duration::seconds(900),
        )
        .await
        .unwrap();
    let put = |body: Bytes| {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        let mut put = http.put(&ticket.url).body(body);
        for (name, value) in &ticket.headers {
            put = put.header(name, value);
        }
        put.send()
    };
    assert!(put(first.clone()).await.unwrap().status().is_success());
    let other = Bytes::from_static(b"second upload, a replayer!");
    assert_eq!(other.len(), first.len(), "the same signed length");
    let replay = put(other).await.unwrap();
    assert_eq!(replay.status(), 412, "a replay must be refused");
    assert_eq!(blobs.get(&key, first.len() as u64).await.unwrap(), first);
}

#[tokio::test]
async fn presign_expiry_is_clamped_to_what_sigv4_allows() {
    let env = Env::new().await;
    let blobs = &env.aws.blobs;
    let key = JobId::new().source_key();
    let past = blobs
        .presign_upload(&key, "image/png", 10, Utc::now() - Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        query_param(&past.url, "X-Amz-Expires").as_deref(),
        Some("1")
    );
    let far = blobs
        .presign_upload(&key, "image/png", 10, Utc::now() + Duration::days(30))
        .await
        .unwrap();
    assert_eq!(
        query_param(&far.url, "X-Amz-Expires").as_deref(),
        Some("604800")
    );
    let week = Utc::now() + Duration::days(7);
    assert!(
        (far.expires_at - week).num_seconds().abs() <= 5,
        "{}",
        far.expires_at
    );
}

#[tokio::test]
async fn get_refuses_missing_and_too_large_objects() {
    let env = Env::new().await;
    let blobs = &env.aws.blobs;
    let key = JobId::new().source_key();
    match blobs.get(&key, 100).await {
        Err(BlobError::NotFound(k)) => assert_eq!(k, key),
        other => panic!("expected NotFound, got {other:?}"),
    }
    env.s3()
        .put_object()
        .bucket(&env.cfg.source_bucket)
        .key(&key)
        .body(vec![7u8; 100].into())
        .send()
        .await
        .unwrap();
    match blobs.get(&key, 99).await {
        Err(BlobError::TooLarge {
            key: k,
            size,
            limit,
        }) => {
            assert_eq!((k.as_str(), size, limit), (key.as_str(), 100, 99));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(blobs.get(&key, 100).await.unwrap().len(), 100);
    assert!(matches!(
        blobs.get("elsewhere/x", 100).await,
        Err(BlobError::Backend(_))
    ));
}

#[tokio::test]
async fn put_public_publishes_with_type_and_immutable_caching() {
    let env = Env::new().await;
    let blobs = &env.aws.blobs;
    let key = format!("results/{}/thumb.webp", JobId::new());
    blobs
        .put_public(&key, Bytes::from_static(b"RIFF....WEBP"), "image/webp")
        .await
        .unwrap();
    let head = env
        .s3()
        .head_object()
        .bucket(&env.cfg.results_bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("image/webp"));
    assert_eq!(
        head.cache_control(),
        Some("public, max-age=31536000, immutable")
    );

    let url = blobs.public_url(&key);
    assert_eq!(url, format!("{}/{key}", env.cfg.public_base_url));
    // On moto the bucket URL serves the object, as the public base would.
    let response = reqwest::get(&url).await.unwrap();
    assert!(response.status().is_success());
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"RIFF....WEBP");
}

#[tokio::test]
async fn delete_spans_both_buckets_and_ignores_absent_keys() {
    let env = Env::new().await;
    let blobs = &env.aws.blobs;
    let id = JobId::new();
    let source = id.source_key();
    let results: Vec<_> = ["thumb.jpg", "large.jpg"]
        .iter()
        .map(|n| format!("{}{n}", id.results_prefix()))
        .collect();
    env.s3()
        .put_object()
        .bucket(&env.cfg.source_bucket)
        .key(&source)
        .body(b"src".to_vec().into())
        .send()
        .await
        .unwrap();
    for key in &results {
        blobs
            .put_public(key, Bytes::from_static(b"out"), "image/jpeg")
            .await
            .unwrap();
    }
    let mut keys = vec![source.clone()];
    keys.extend(results.iter().cloned());
    keys.push(format!("{}never-made.png", id.results_prefix()));
    blobs.delete(&keys).await.unwrap();
    for key in &keys {
        assert!(
            matches!(blobs.get(key, 100).await, Err(BlobError::NotFound(_))),
            "{key} still there"
        );
    }
    // Again, all absent now; and one absent key alone.
    blobs.delete(&keys).await.unwrap();
    blobs.delete(&[source]).await.unwrap();
    blobs.delete(&[]).await.unwrap();
}
