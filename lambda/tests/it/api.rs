//! The API function: API Gateway HTTP API events (payload 2.0, `data/*.json`)
//! through lambda_http's request conversion into `api_app`, as
//! `lambda_http::run` does. Job creation and the end-to-end test use the real
//! AWS adapters on moto.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use clap::Parser as _;
use http_body_util::BodyExt as _;
use lambda_http::request::LambdaRequest;
use lambda_http::{Context, LambdaEvent};
use pixpipe_api::{ApiKeys, AppState};
use pixpipe_core::{JobId, JobStatus, Service, Settings, owner_tag};
use pixpipe_lambda::{WorkerDeps, api_app, handle_batch};
use pixpipe_testkit::MemoryMetrics;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::common::doubles::{DownBlobs, DownJobs};
use crate::common::{Env, png, put, sqs_event_with};

const HEALTHZ: &str = include_str!("data/apigw-v2-healthz.json");
const PRESETS: &str = include_str!("data/apigw-v2-presets.json");
const CREATE: &str = include_str!("data/apigw-v2-create-job.json");
const CREATE_BASE64: &str = include_str!("data/apigw-v2-create-job-base64.json");

const KEY: &str = "test-key-1";

fn state(service: Service) -> AppState {
    AppState {
        service,
        keys: ApiKeys::from_csv(&format!("{KEY},another-key")),
    }
}

/// An app whose stores are down: enough for routes that never touch them.
fn storeless_app() -> Router {
    let service = Service::new(Arc::new(DownJobs), Arc::new(DownBlobs), Settings::default());
    api_app(state(service))
}

/// Converts the API Gateway event as lambda_http does and calls the app.
async fn call(app: Router, event: &str) -> (StatusCode, HeaderMap, Value) {
    let request = lambda_http::request::from_str(event).expect("an API Gateway v2 event");
    let response = app.oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (parts.status, parts.headers, json)
}

/// A fixture event with another method, path and (optional) headers.
fn variant(fixture: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let mut event: Value = serde_json::from_str(fixture).expect("fixture is JSON");
    event["rawPath"] = path.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["http"]["method"] = method.into();
    for (name, value) in headers {
        event["headers"][*name] = (*value).into();
    }
    event.to_string()
}

#[tokio::test]
async fn healthz() {
    let (status, headers, body) = call(storeless_app(), HEALTHZ).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn presets() {
    let (status, _, body) = call(storeless_app(), PRESETS).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["standard", "modern", "seed"]);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let (status, headers, body) =
        call(storeless_app(), &variant(HEALTHZ, "GET", "/nope", &[])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["code"], "not_found");
    let (status, _, body) = call(
        storeless_app(),
        &variant(PRESETS, "DELETE", "/v1/presets", &[]),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["status"], 405);
}

#[tokio::test]
async fn a_job_needs_a_known_key() {
    let mut event: Value = serde_json::from_str(CREATE).unwrap();
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("authorization");
    let (status, _, body) = call(storeless_app(), &event.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
    let wrong = variant(
        CREATE,
        "POST",
        "/v1/jobs",
        &[("authorization", "Bearer nope")],
    );
    let (status, _, _) = call(storeless_app(), &wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The response as lambda_http hands it back to API Gateway.
#[tokio::test]
async fn responses_convert_to_api_gateway_v2() {
    let request: LambdaRequest = serde_json::from_str(HEALTHZ).expect("a LambdaRequest");
    // `Adapter` is what `lambda_http::run` wraps the app in (public, doc-hidden).
    let adapter = lambda_http::Adapter::from(storeless_app());
    let response = adapter
        .oneshot(LambdaEvent::new(request, Context::default()))
        .await
        .expect("infallible");
    let response = serde_json::to_value(&response).expect("serialisable");
    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["isBase64Encoded"], false);
    assert_eq!(response["headers"]["content-type"], "application/json");
    let body: Value = serde_json::from_str(response["body"].as_str().expect("text body")).unwrap();
    assert_eq!(body["status"], "ok");
}

async fn assert_created(env: &Env, fixture: &str) {
    let (status, headers, body) = call(api_app(state(env.service())), fixture).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id: JobId = body["id"].as_str().expect("id").parse().expect("a job id");
    assert_eq!(headers["location"], format!("/v1/jobs/{id}").as_str());
    assert_eq!(body["status"], "awaiting_upload");
    assert_eq!(body["filename"], "été photo.png");
    assert_eq!(body["upload"]["method"], "PUT");
    assert_eq!(
        body["upload"]["headers"],
        json!({"Content-Type": "image/png", "Content-Length": "4242", "If-None-Match": "*"})
    );
    let url = body["upload"]["url"].as_str().expect("url");
    let expected = format!(
        "{}/{}/uploads/{id}?",
        env.cfg.endpoint_url.as_deref().unwrap(),
        env.cfg.source_bucket
    );
    assert!(
        url.starts_with(&expected),
        "upload URL is not for the source object"
    );
    assert!(url.contains("X-Amz-Signature="), "upload URL is not signed");
    let stored = env.job(id).await;
    assert_eq!(stored.owner, owner_tag(Some(KEY)));
    assert_eq!(stored.content_length, 4242);
}

#[tokio::test]
async fn create_a_job() {
    assert_created(&Env::new().await, CREATE).await;
}

#[tokio::test]
async fn create_a_job_with_a_base64_body() {
    assert_created(&Env::new().await, CREATE_BASE64).await;
}

/// Create (API) → presigned upload → S3 notification in SQS (moto) → worker → poll (API).
#[tokio::test]
async fn end_to_end_through_both_functions() {
    // The template's own notification (ObjectCreated under uploads/) feeds the queue.
    let env = Env::new().await;
    let app = api_app(state(env.service()));
    let photo = png(800, 600);

    let mut create: Value = serde_json::from_str(CREATE).unwrap();
    let request = json!({"content_type": "image/png", "content_length": photo.len()}).to_string();
    create["headers"]["content-length"] = request.len().to_string().into();
    create["body"] = request.into();
    let (status, _, created) = call(app.clone(), &create.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let upload = &created["upload"];
    assert_eq!(upload["method"], "PUT");
    let headers: Vec<(String, String)> = upload["headers"]
        .as_object()
        .expect("headers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("text").to_owned()))
        .collect();
    put(upload["url"].as_str().expect("url"), &headers, photo).await;

    // moto encodes the key's `/` as `%2F` (S3 itself leaves it): match the id alone.
    let event = sqs_event_with(&env, &id).await;
    let settings = pixpipe_lambda::WorkerFunction::try_parse_from(["worker"]).expect("defaults");
    let mut deps = WorkerDeps::new(&env.aws, &env.cfg, &settings);
    let (metrics, sink) = MemoryMetrics::sink();
    deps.pipeline.metrics = sink;
    let response = handle_batch(event, &deps).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    // One EMF line for the processed job.
    let lines = metrics.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let emf: Value = serde_json::from_str(&lines[0]).expect("EMF line is JSON");
    assert_eq!(emf["job_id"], id.as_str());
    assert_eq!(emf["outcome"], "succeeded");
    assert_eq!(emf["_aws"]["CloudWatchMetrics"][0]["Namespace"], "pixpipe");
    assert_eq!(emf["MegapixelsIn"], 0.48);
    assert!(emf["BytesOut"].as_u64().unwrap() > 0, "{emf}");
    assert!(emf["DurationMs"].as_f64().unwrap() > 0.0, "{emf}");

    let auth = format!("Bearer {KEY}");
    let get = variant(
        HEALTHZ,
        "GET",
        &format!("/v1/jobs/{id}"),
        &[("authorization", &auth)],
    );
    let mut job = Value::Null;
    for _ in 0..50 {
        let (status, _, body) = call(app.clone(), &get).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        job = body;
        if job["status"] == JobStatus::Succeeded.as_str() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(job["status"], "succeeded", "{job}");
    let names: Vec<&str> = job["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["thumb", "medium", "large"]);
    // Each result is in the results bucket with its type and caching headers.
    for result in job["results"].as_array().expect("results") {
        let url = result["url"].as_str().expect("url");
        let res = reqwest::get(url).await.expect("result GET");
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(
            res.headers()["content-type"],
            result["content_type"].as_str().expect("content_type")
        );
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let body = res.bytes().await.expect("result body");
        assert_eq!(Some(body.len() as u64), result["bytes"].as_u64());
    }
}
