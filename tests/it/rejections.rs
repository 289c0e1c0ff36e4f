//! Every rejection over HTTP, as problem+json with its stable code.

use crate::common::{Photo, TestClock, assert_problem, headers_of, spawn_app, spawn_with};
use serde_json::{Value, json};

fn with_query(url: &str, key: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with(&format!("{key}=")) {
                format!("{key}={value}")
            } else {
                kv.to_owned()
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_url_is_bound_to_key_type_length_and_time() {
    let app = spawn_app().await;
    let bytes = Photo::Rocket.bytes().to_vec();
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    let other = app.create_for(&bytes, "image/jpeg", json!({})).await;
    let url = created["upload"]["url"].as_str().unwrap();
    let headers = headers_of(&created["upload"]["headers"]);
    let put = |url: String, headers: reqwest::header::HeaderMap, body: Vec<u8>| {
        app.client.put(url).headers(headers).body(body).send()
    };

    // Tampered signature.
    let sig = url.split("sig=").nth(1).unwrap().split('&').next().unwrap();
    let mut flipped = sig.to_owned();
    flipped.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
    let res = put(
        with_query(url, "sig", &flipped),
        headers.clone(),
        bytes.clone(),
    )
    .await
    .unwrap();
    assert_problem(res, 403, "invalid_signature").await;
    // Missing signature.
    let unsigned = url.split('?').next().unwrap().to_owned();
    assert_problem(
        put(unsigned, headers.clone(), bytes.clone()).await.unwrap(),
        403,
        "invalid_signature",
    )
    .await;
    // Signature used on another key.
    let other_path = other["upload"]["url"]
        .as_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let moved = format!("{other_path}?{}", url.split_once('?').unwrap().1);
    assert_problem(
        put(moved, headers.clone(), bytes.clone()).await.unwrap(),
        403,
        "invalid_signature",
    )
    .await;
    // Expiry moved (signature no longer matches) and a genuinely expired URL (below).
    let res = put(
        with_query(url, "exp", "4102444800"),
        headers.clone(),
        bytes.clone(),
    )
    .await
    .unwrap();
    assert_problem(res, 403, "invalid_signature").await;
    // Different Content-Type.
    let mut wrong_type = headers.clone();
    wrong_type.insert("content-type", "image/png".parse().unwrap());
    assert_problem(
        put(url.to_owned(), wrong_type, bytes.clone())
            .await
            .unwrap(),
        403,
        "upload_mismatch",
    )
    .await;
    // Different Content-Length.
    let mut shorter = headers.clone();
    shorter.remove("content-length");
    let res = put(url.to_owned(), shorter, bytes[..bytes.len() - 1].to_vec())
        .await
        .unwrap();
    assert_problem(res, 403, "upload_mismatch").await;

    // After all that, the real upload still works and the job succeeds.
    let res = app.upload(&created, bytes.clone()).await;
    assert_eq!(res.status(), 200);
    let id = created["id"].as_str().unwrap();
    let job = app.wait_done(id, std::time::Duration::from_secs(60)).await;
    assert_eq!(job["status"], "succeeded", "{job}");

    // The same URL again is refused.
    assert_problem(app.upload(&created, bytes).await, 409, "upload_conflict").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_upload_url_is_refused_and_job_expires() {
    let clock = TestClock::shared();
    let app = spawn_with(|a| {
        a.job.upload_ttl_secs = 60;
        a.clock = Some(clock.clone());
    })
    .await;
    let bytes = Photo::Rocket.bytes().to_vec();
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    clock.advance(std::time::Duration::from_secs(61));
    assert_problem(app.upload(&created, bytes).await, 403, "upload_expired").await;
    let job: Value = app
        .get_json(app.url(&format!("/v1/jobs/{}", created["id"].as_str().unwrap())))
        .await;
    assert_eq!(job["status"], "expired");
    assert_eq!(job["error"]["code"], "upload_expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_job_rejections() {
    let app = spawn_app().await;
    let post = |body: &'static str| {
        app.client
            .post(app.url("/v1/jobs"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_problem(post("{not json").await.unwrap(), 400, "malformed_request").await;
    assert_problem(
        post(r#"{"content_type": "image/jpeg"}"#).await.unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        post(r#"{"content_type": "image/jpeg", "content_length": 26214401}"#)
            .await
            .unwrap(),
        413,
        "payload_too_large",
    )
    .await;
    assert_problem(
        post(r#"{"content_type": "text/plain", "content_length": 10}"#)
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        post(r#"{"content_type": "image/jpeg", "content_length": 10, "preset": "huge"}"#)
            .await
            .unwrap(),
        422,
        "unknown_preset",
    )
    .await;
    let bad_variant = r#"{"content_type": "image/jpeg", "content_length": 10,
        "variants": [{"name": "x", "width": 9000, "height": 10, "fit": "cover", "format": "jpeg"}]}"#;
    assert_problem(post(bad_variant).await.unwrap(), 422, "invalid_variants").await;
    let bad_fit = r#"{"content_type": "image/jpeg", "content_length": 10,
        "variants": [{"name": "x", "width": 10, "height": 10, "fit": "squash", "format": "jpeg"}]}"#;
    assert_problem(post(bad_fit).await.unwrap(), 400, "malformed_request").await;

    let missing = app.url("/v1/jobs/0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d");
    assert_problem(
        app.client.get(&missing).send().await.unwrap(),
        404,
        "job_not_found",
    )
    .await;
    assert_problem(
        app.client
            .get(app.url("/v1/jobs/not-a-uuid"))
            .send()
            .await
            .unwrap(),
        404,
        "job_not_found",
    )
    .await;
    assert_problem(
        app.client.delete(&missing).send().await.unwrap(),
        404,
        "job_not_found",
    )
    .await;
    assert_problem(
        app.client
            .get(app.url("/v1/jobs?cursor=zzz"))
            .send()
            .await
            .unwrap(),
        400,
        "invalid_request",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_fields_are_refused_at_every_level() {
    let app = spawn_app().await;
    let variant = json!({"name": "x", "width": 10, "height": 10, "fit": "cover", "format": "jpeg"});
    let with_extra = |at: &str| {
        let mut body = json!({"content_type": "image/jpeg", "content_length": 10,
            "variants": [variant.clone()]});
        match at {
            "top" => body["colour"] = json!("red"),
            "variant" => body["variants"][0]["qualty"] = json!(90),
            _ => body["variants"][0]["watermark"] = json!({"opacty": 0.5}),
        }
        body
    };
    for at in ["top", "variant", "watermark"] {
        let body = with_extra(at);
        let res = app.client.post(app.url("/v1/jobs")).json(&body).send();
        assert_problem(res.await.unwrap(), 400, "malformed_request").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn filenames_with_invisible_or_reordering_characters_are_refused() {
    let app = spawn_app().await;
    let create = |filename: String| {
        let body =
            json!({"content_type": "image/jpeg", "content_length": 10, "filename": filename});
        app.client.post(app.url("/v1/jobs")).json(&body).send()
    };
    for c in [
        '\n', '\u{7f}', '\u{85}', '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}',
        '\u{2066}', '\u{2069}', '\u{2028}', '\u{2029}',
    ] {
        let res = create(format!("invoice{c}gpj.exe")).await.unwrap();
        assert_eq!(res.status(), 400, "U+{:04X}", c as u32);
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_request");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("bidirectional"), "{detail}");
    }
    // Right-to-left text itself is a fine name.
    let res = create("\u{5e7}\u{5d5}\u{5d1}\u{5e5}.jpg".into())
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_keys_gate_and_scope_jobs() {
    let app = spawn_with(|a| a.api.api_keys = "alpha-key,beta-key".into()).await;
    let body = json!({"content_type": "image/jpeg", "content_length": 10});
    let res = app
        .client
        .post(app.url("/v1/jobs"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;
    let res = app
        .client
        .post(app.url("/v1/jobs"))
        .bearer_auth("wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;

    let res = app
        .client
        .post(app.url("/v1/jobs"))
        .bearer_auth("alpha-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let job_url = app.url(&format!("/v1/jobs/{}", created["id"].as_str().unwrap()));
    // The scheme name is case-insensitive (RFC 9110, 11.1); other schemes are not keys.
    for (value, status) in [
        ("bearer alpha-key", 200),
        ("BEARER  alpha-key ", 200),
        ("Basic alpha-key", 401),
        ("Bearer", 401),
        ("alpha-key", 401),
    ] {
        let res = app
            .client
            .get(&job_url)
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "Authorization: {value}");
    }
    assert_eq!(
        app.client
            .get(&job_url)
            .bearer_auth("alpha-key")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_problem(
        app.client
            .get(&job_url)
            .bearer_auth("beta-key")
            .send()
            .await
            .unwrap(),
        404,
        "job_not_found",
    )
    .await;
    assert_problem(
        app.client
            .delete(&job_url)
            .bearer_auth("beta-key")
            .send()
            .await
            .unwrap(),
        404,
        "job_not_found",
    )
    .await;
    let page: Value = app
        .client
        .get(app.url("/v1/jobs"))
        .bearer_auth("beta-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    let page: Value = app
        .client
        .get(app.url("/v1/jobs"))
        .bearer_auth("alpha-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_problem(
        app.client.get(app.url("/v1/jobs")).send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    // Health, presets and the spec stay open.
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
