//! The committed `openapi.yaml` is the generated document, and the server
//! serves the same one. (The test script also validates it as OpenAPI 3.1.)

mod common;

use serde_json::Value;

#[test]
fn committed_spec_matches_the_code() {
    let generated = pixpipe::openapi_yaml().unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .unwrap_or_default();
    if committed != generated {
        if std::env::var_os("PIXPIPE_BLESS").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"),
                &generated,
            )
            .unwrap();
        }
        panic!(
            "openapi.yaml is stale: run `cargo run -q -- openapi > openapi.yaml` (or set PIXPIPE_BLESS=1)"
        );
    }
}

#[test]
fn every_operation_is_documented() {
    let doc = serde_json::to_value(pixpipe_api::openapi()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(op["summary"].is_string(), "{id} has no summary");
            ops.push(format!("{method} {path}"));
        }
    }
    ops.sort();
    assert_eq!(
        ops,
        [
            "delete /v1/jobs/{id}",
            "get /healthz",
            "get /v1/jobs",
            "get /v1/jobs/{id}",
            "get /v1/presets",
            "post /v1/jobs"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn served_spec_is_the_generated_one() {
    let app = common::spawn_app().await;
    let served: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        served,
        serde_json::to_value(pixpipe_api::openapi()).unwrap()
    );
}
