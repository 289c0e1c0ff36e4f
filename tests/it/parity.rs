//! One client script, run against `pixpipe serve` on each backend (local,
//! and AWS on the local AWS-protocol server), must see the same transcript:
//! the same HTTP statuses and error codes for the same requests, hostile ones
//! included, and the same status sequence for each job. Phase one runs no
//! worker, so `queued` is observed; phase two restarts with a worker.
//! Uploads' own refusals are not compared: on AWS they are S3's.

use std::time::Duration;

use serde_json::{Value, json};

use crate::aws_lifecycle::provision;
use crate::common::{Photo, ServeProcess};

/// What the script saw, one line per observation.
type Transcript = Vec<String>;

fn note(t: &mut Transcript, step: &str, status: u16, body: &Value) {
    let what = body["code"]
        .as_str()
        .or(body["status"].as_str())
        .unwrap_or("-");
    t.push(format!("{step}: {status} {what}"));
}

async fn raw(server: &ServeProcess, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let mut req = server
        .client
        .request(method.parse().unwrap(), server.url(path));
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

const HOSTILE: &[(&str, &str, &str, Option<&str>)] = &[
    ("not json", "POST", "/v1/jobs", Some("{not json")),
    (
        "no length",
        "POST",
        "/v1/jobs",
        Some(r#"{"content_type": "image/jpeg"}"#),
    ),
    (
        "too large",
        "POST",
        "/v1/jobs",
        Some(r#"{"content_type": "image/jpeg", "content_length": 26214401}"#),
    ),
    (
        "past int64",
        "POST",
        "/v1/jobs",
        Some(r#"{"content_type": "image/jpeg", "content_length": 9223372036854775808}"#),
    ),
    (
        "text",
        "POST",
        "/v1/jobs",
        Some(r#"{"content_type": "text/plain", "content_length": 10}"#),
    ),
    (
        "preset",
        "POST",
        "/v1/jobs",
        Some(r#"{"content_type": "image/jpeg", "content_length": 10, "preset": "huge"}"#),
    ),
    (
        "variant",
        "POST",
        "/v1/jobs",
        Some(
            r#"{"content_type": "image/jpeg", "content_length": 10, "variants": [{"name": "x", "width": 9000, "height": 10, "fit": "cover", "format": "jpeg"}]}"#,
        ),
    ),
    (
        "callback",
        "POST",
        "/v1/jobs",
        Some(
            r#"{"content_type": "image/jpeg", "content_length": 10, "callback_url": "http://127.0.0.1/hook"}"#,
        ),
    ),
    (
        "unknown job",
        "GET",
        "/v1/jobs/0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d",
        None,
    ),
    ("not a uuid", "GET", "/v1/jobs/not-a-uuid", None),
    ("bad cursor", "GET", "/v1/jobs?cursor=zzz", None),
    (
        "delete unknown",
        "DELETE",
        "/v1/jobs/0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d",
        None,
    ),
];

/// The script. `start(workers)` starts the server on the backend under test
/// (the same storage each time).
async fn script<F, Fut>(start: F) -> Transcript
where
    F: Fn(bool) -> Fut,
    Fut: Future<Output = ServeProcess>,
{
    let mut t = Transcript::new();
    let server = start(false).await;
    for (step, method, path, body) in HOSTILE {
        let (status, body) = raw(&server, method, path, *body).await;
        note(&mut t, step, status, &body);
    }
    let photo = Photo::Rocket.bytes().to_vec();
    let text = b"hello, this is not a photo\n".repeat(40);
    let truncated = photo[..photo.len() / 2].to_vec();
    let huge = crate::hostile::png(100_000, 100_000, 1);
    let mut jobs = Vec::new();
    for (name, bytes, content_type, upload) in [
        ("photo", &photo, "image/jpeg", true),
        ("text", &text, "image/jpeg", true),
        ("truncated", &truncated, "image/jpeg", true),
        ("huge", &huge, "image/png", true),
        ("lapsed", &photo, "image/jpeg", false),
    ] {
        let created = server.create_for(bytes, content_type, json!({})).await;
        note(&mut t, &format!("{name} created"), 201, &created);
        if upload {
            let res = server.upload(&created, bytes.clone()).await;
            assert!(res.status().is_success(), "{name} upload: {}", res.status());
        }
        jobs.push((name, created["id"].as_str().unwrap().to_owned()));
    }
    for (name, id) in &jobs {
        let (status, job) = raw(&server, "GET", &format!("/v1/jobs/{id}"), None).await;
        note(&mut t, &format!("{name} before workers"), status, &job);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, page) = raw(&server, "GET", "/v1/jobs", None).await;
    for (name, id) in &jobs {
        let item = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|j| j["id"] == id.as_str());
        note(
            &mut t,
            &format!("{name} listed"),
            status,
            item.unwrap_or(&Value::Null),
        );
    }
    server.stop().await;

    let server = start(true).await;
    for (name, id) in &jobs {
        let job = server.wait_done(id, Duration::from_secs(90)).await;
        let code = job["error"]["code"].as_str().unwrap_or("-");
        t.push(format!(
            "{name} done: {} {code}",
            job["status"].as_str().unwrap()
        ));
    }
    let (_, job) = raw(&server, "GET", &format!("/v1/jobs/{}", jobs[0].1), None).await;
    let results = job["results"].as_array().map_or(0, Vec::len);
    t.push(format!("photo results: {results}"));
    let (status, body) = raw(&server, "DELETE", &format!("/v1/jobs/{}", jobs[0].1), None).await;
    note(&mut t, "photo deleted", status, &body);
    let (status, body) = raw(&server, "GET", &format!("/v1/jobs/{}", jobs[0].1), None).await;
    note(&mut t, "photo after delete", status, &body);
    server.stop().await;
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_script_sees_the_same_on_both_backends() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_owned();
    let local = script(|workers| {
        let dir = dir.clone();
        async move {
            let workers = if workers { "1" } else { "0" };
            let flags = [
                "--data-dir",
                &dir,
                "--workers",
                workers,
                "--upload-ttl-secs",
                "2",
            ];
            ServeProcess::start(&flags, |_| {}).await
        }
    })
    .await;

    let aws = provision("parity").await;
    let on_aws = script(|workers| {
        let aws = &aws;
        async move {
            let flags: &[&str] = if workers {
                &["--workers", "1", "--upload-ttl-secs", "2"]
            } else {
                &["--role", "api", "--upload-ttl-secs", "2"]
            };
            aws.serve(flags, &[]).await
        }
    })
    .await;

    assert_eq!(
        local, on_aws,
        "local (left) and AWS (right) transcripts differ"
    );
    // The transcript itself is what local mode has always answered.
    let expected_tail = [
        "photo before workers: 200 queued",
        "text before workers: 200 queued",
        "lapsed before workers: 200 awaiting_upload",
        "photo listed: 200 queued",
        "text listed: 200 queued",
        "huge listed: 200 queued",
        "lapsed listed: 200 expired",
        "photo done: succeeded -",
        "text done: failed not_an_image",
        "truncated done: failed truncated_image",
        "huge done: failed too_many_pixels",
        "lapsed done: expired upload_expired",
    ];
    for line in expected_tail {
        assert!(
            local.iter().any(|l| l == line),
            "{line:?} not in {local:#?}"
        );
    }
}
