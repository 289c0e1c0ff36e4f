//! The upload page in local mode (`/`, `/config.js`) and CORS of the API,
//! the signed upload URL and the results, for allowed and other origins.

use crate::common::{spawn_app, spawn_with};
use reqwest::{Method, Response};
use serde_json::json;

const ALLOWED: &str = "http://app.example.test:5173";
const OTHER: &str = "http://evil.example.test";

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

fn cors_headers(res: &Response) -> Vec<String> {
    res.headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

async fn preflight(
    app: &crate::common::TestApp,
    url: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> Response {
    app.client
        .request(Method::OPTIONS, url)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
        .await
        .unwrap()
}

fn list_has(value: Option<&str>, wanted: &str) -> bool {
    value.is_some_and(|v| {
        v.split(',')
            .any(|item| item.trim().eq_ignore_ascii_case(wanted))
    })
}

#[tokio::test]
async fn the_page_and_its_config_are_served() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        header(&res, "content-security-policy").is_some_and(|v| v.contains("script-src 'self'"))
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("<input id=\"files\""), "{html}");
    assert!(html.contains("aria-live"));

    let res = app.client.get(app.url("/config.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").is_some_and(|v| v.starts_with("text/javascript")));
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("window.PIXPIPE_API = \"\";")
    );

    for (path, kind) in [
        ("/app.js", "text/javascript"),
        ("/thumbhash.js", "text/javascript"),
        ("/style.css", "text/css"),
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            header(&res, "content-type").is_some_and(|v| v.starts_with(kind)),
            "{path}"
        );
    }
}

#[tokio::test]
async fn cors_allows_the_configured_origin_on_api_uploads_and_results() {
    let app =
        spawn_with(|a| a.cors_origins = format!("{ALLOWED}, http://other.example.test")).await;
    let jobs = app.url("/v1/jobs");

    let res = preflight(&app, &jobs, ALLOWED, "POST", "content-type,authorization").await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ALLOWED));
    assert!(list_has(
        header(&res, "access-control-allow-methods"),
        "POST"
    ));
    let allowed_headers = header(&res, "access-control-allow-headers");
    assert!(
        list_has(allowed_headers, "content-type") && list_has(allowed_headers, "authorization")
    );
    assert!(header(&res, "access-control-max-age").is_some());

    // A real cross-origin create: the answer is readable, with its Location exposed.
    let created: serde_json::Value = {
        let res = app
            .client
            .post(&jobs)
            .header("Origin", ALLOWED)
            .json(&json!({"content_type": "image/jpeg", "content_length": 1234}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(header(&res, "access-control-allow-origin"), Some(ALLOWED));
        assert!(list_has(
            header(&res, "access-control-expose-headers"),
            "location"
        ));
        res.json().await.unwrap()
    };
    let upload_url = created["upload"]["url"].as_str().unwrap();

    // The browser sets Content-Length itself; only Content-Type is preflighted.
    let res = preflight(&app, upload_url, ALLOWED, "PUT", "content-type").await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ALLOWED));
    assert!(list_has(
        header(&res, "access-control-allow-methods"),
        "PUT"
    ));
    assert!(list_has(
        header(&res, "access-control-allow-headers"),
        "content-type"
    ));

    // A refused upload's problem is readable cross-origin too.
    let res = app
        .client
        .put(upload_url)
        .header("Origin", ALLOWED)
        .header("Content-Type", "image/png")
        .body(vec![0u8; 1234])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ALLOWED));

    let res = app
        .client
        .get(app.url("/blobs/results/nothing/thumb.jpg"))
        .header("Origin", ALLOWED)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ALLOWED));

    // Any other origin gets no Access-Control-* header at all.
    for (url, method) in [(jobs.as_str(), "POST"), (upload_url, "PUT")] {
        let res = preflight(&app, url, OTHER, method, "content-type").await;
        assert!(
            cors_headers(&res).is_empty(),
            "{url}: {:?}",
            cors_headers(&res)
        );
    }
    let res = app
        .client
        .get(app.url("/v1/presets"))
        .header("Origin", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(cors_headers(&res).is_empty(), "{:?}", cors_headers(&res));
}

#[tokio::test]
async fn cors_is_off_by_default_and_star_allows_any_origin() {
    let app = spawn_app().await;
    let res = preflight(&app, &app.url("/v1/jobs"), ALLOWED, "POST", "content-type").await;
    assert!(cors_headers(&res).is_empty(), "{:?}", cors_headers(&res));

    let app = spawn_with(|a| a.cors_origins = "*".into()).await;
    let res = preflight(&app, &app.url("/v1/jobs"), OTHER, "POST", "content-type").await;
    assert_eq!(header(&res, "access-control-allow-origin"), Some("*"));
}

#[test]
fn a_bad_origin_list_stops_the_server_with_a_clear_message() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pixpipe"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--cors-origins",
            "app.example.com",
        ])
        .env_remove("PIXPIPE_CORS_ORIGINS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--cors-origins") && stderr.contains("app.example.com"),
        "{stderr}"
    );
}

#[test]
fn web_build_writes_the_static_site() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_pixpipe"))
        .args(["web", "build", "--api", "https://api.example.com/", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let config = std::fs::read_to_string(out.join("config.js")).unwrap();
    assert!(
        config.contains("window.PIXPIPE_API = \"https://api.example.com\";"),
        "{config}"
    );
    for file in ["index.html", "app.js", "style.css"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_pixpipe"))
        .args(["web", "build", "--api", "javascript:alert(1)", "--out"])
        .arg(dir.path().join("bad"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--api"));
}
