//! `FsBlobs` as a `BlobStore`, result serving, and the signing secret.

use axum::http::{StatusCode, header};
use bytes::Bytes;
use pixpipe_core::{BlobError, BlobStore, JobId};
use pixpipe_local::{LocalConfig, OpenError, SECRET_FILE};

use crate::common::{BASE, app, config, create, get, open, send, upload_req};

#[tokio::test]
async fn results_are_served_immutable_with_their_type() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let app = app(&local);
    let id = JobId::new();
    for (name, ct) in [
        ("thumb.jpg", "image/jpeg"),
        ("full.png", "image/png"),
        ("w.webp", "image/webp"),
    ] {
        let key = format!("results/{id}/{name}");
        let bytes = Bytes::from(format!("bytes of {name}"));
        local
            .blobs
            .put_public(&key, bytes.clone(), ct)
            .await
            .unwrap();
        let url = local.blobs.public_url(&key);
        assert_eq!(url, format!("{BASE}/blobs/{key}"));
        let reply = send(&app, get(url.strip_prefix(BASE).unwrap())).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, bytes);
        assert_eq!(reply.header(header::CONTENT_TYPE), Some(ct));
        assert_eq!(
            reply.header(header::CACHE_CONTROL),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(
            reply.header(header::X_CONTENT_TYPE_OPTIONS),
            Some("nosniff")
        );
    }
    let tmp_files = std::fs::read_dir(dir.path().join(format!("blobs/results/{id}")))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(tmp_files, 0, "atomic writes leave no temp files");

    let missing = send(&app, get(&format!("/blobs/results/{id}/nope.jpg"))).await;
    missing.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        missing.header(header::CACHE_CONTROL),
        None,
        "a 404 must not be cached forever"
    );
    send(&app, get(&format!("/blobs/results/{id}/")))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn uploads_are_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let app = app(&local);
    let (job, ticket) = create(&local, 3).await;
    assert_eq!(
        send(&app, upload_req(&ticket, b"abc".to_vec()))
            .await
            .status,
        StatusCode::OK
    );
    for uri in [
        format!("/blobs/uploads/{}", job.id),
        format!("/blobs/results/../uploads/{}", job.id),
        format!("/blobs/results/%2e%2e/uploads/{}", job.id),
        format!("/blobs/results/..%2Fuploads%2F{}", job.id),
        format!("/uploads/{}", job.id),
    ] {
        let reply = send(&app, get(&uri)).await;
        assert!(reply.status.is_client_error(), "{uri}: {}", reply.status);
        assert_ne!(reply.body.as_ref(), b"abc", "{uri}");
    }
}

#[tokio::test]
async fn keys_are_confined_to_the_blob_directory() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let blobs = &local.blobs;
    for key in [
        "../pixpipe.sqlite3",
        "results/../../upload-secret",
        "/etc/passwd",
        "a\\b",
        "a//b",
        "",
        "results/x/",
        "uploads/.hidden",
        "results/a..b",
    ] {
        assert!(
            matches!(blobs.get(key, 1 << 20).await, Err(BlobError::Backend(_))),
            "{key:?}"
        );
        assert!(
            blobs
                .put_public(key, Bytes::from_static(b"x"), "image/png")
                .await
                .is_err(),
            "{key:?}"
        );
        assert!(blobs.delete(&[key.to_owned()]).await.is_err(), "{key:?}");
    }
    let expires = chrono::Utc::now() + chrono::Duration::minutes(1);
    assert!(
        blobs
            .presign_upload("results/x/y.jpg", "image/jpeg", 1, expires)
            .await
            .is_err()
    );
    let key = JobId::new().source_key();
    assert!(
        blobs
            .presign_upload(&key, "image/jpeg\nx", 1, expires)
            .await
            .is_err()
    );
    assert!(dir.path().join(pixpipe_local::DB_FILE).exists());
}

#[tokio::test]
async fn get_checks_size_and_delete_tidies_up() {
    let dir = tempfile::tempdir().unwrap();
    let local = open(dir.path()).await;
    let blobs = &local.blobs;
    let id = JobId::new();
    let keys: Vec<String> = ["a.jpg", "b.png"]
        .iter()
        .map(|n| format!("results/{id}/{n}"))
        .collect();
    for key in &keys {
        blobs
            .put_public(key, Bytes::from_static(b"12345"), "image/jpeg")
            .await
            .unwrap();
    }
    assert_eq!(
        blobs.get(&keys[0], 5).await.unwrap(),
        Bytes::from_static(b"12345")
    );
    assert!(matches!(
        blobs.get(&keys[0], 4).await,
        Err(BlobError::TooLarge {
            size: 5,
            limit: 4,
            ..
        })
    ));
    assert!(matches!(
        blobs.get("results/none.jpg", 5).await,
        Err(BlobError::NotFound(_))
    ));
    assert!(matches!(
        blobs.get(&format!("results/{id}"), 5).await,
        Err(BlobError::NotFound(_))
    ));

    blobs.delete(&keys[..1]).await.unwrap();
    assert!(
        dir.path().join(format!("blobs/results/{id}")).is_dir(),
        "not empty yet"
    );
    let mut all = keys.clone();
    all.push(id.source_key());
    blobs.delete(&all).await.unwrap();
    assert!(!dir.path().join(format!("blobs/results/{id}")).exists());
    assert!(dir.path().join("blobs/results").is_dir());
    assert!(dir.path().join("blobs/uploads").is_dir());
}

#[tokio::test]
async fn secret_is_private_and_survives_restarts() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let secret_path = dir.path().join(SECRET_FILE);
    let ticket = {
        let local = open(dir.path()).await;
        create(&local, 3).await.1
    };
    let meta = std::fs::metadata(&secret_path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let secret = std::fs::read_to_string(&secret_path).unwrap();
    assert_eq!(secret.len(), 64);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));

    let local = open(dir.path()).await;
    assert_eq!(
        std::fs::read_to_string(&secret_path).unwrap(),
        secret,
        "reused, not regenerated"
    );
    let reply = send(&app(&local), upload_req(&ticket, b"abc".to_vec())).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "a URL signed before the restart still works"
    );
}

#[tokio::test]
async fn configured_secret_is_used_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let with = |secret: &str| LocalConfig {
        upload_secret: Some(secret.to_owned()),
        ..config(dir.path())
    };
    let local = pixpipe_local::open(with("a configured secret of some length"))
        .await
        .unwrap();
    assert!(!dir.path().join(SECRET_FILE).exists());
    let ticket = create(&local, 3).await.1;
    drop(local);

    let other = pixpipe_local::open(with("a different configured secret"))
        .await
        .unwrap();
    send(&app(&other), upload_req(&ticket, b"abc".to_vec()))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "invalid_signature");
    assert!(format!("{:?}", with("hunter2hunter2hunter2")).contains("<redacted>"));
    assert!(!format!("{:?}", with("hunter2hunter2hunter2")).contains("hunter2"));

    assert!(matches!(
        pixpipe_local::open(with("short")).await,
        Err(OpenError::Secret(_))
    ));
    let bad_base = LocalConfig::new(dir.path(), "127.0.0.1:8080");
    assert!(matches!(
        pixpipe_local::open(bad_base).await,
        Err(OpenError::PublicBase(_))
    ));
}
