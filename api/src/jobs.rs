//! `/v1/jobs`: create, read (with ETag), list and delete jobs.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pixpipe_core::{JobId, NewJob};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::examples;
use crate::problem::{ApiError, Code, Problem};
use crate::views::{CreatedJob, JobPage, JobView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_job, list_jobs))
        .routes(routes!(get_job, delete_job))
}

fn parse_id(raw: &str) -> Result<JobId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::new(Code::JobNotFound, "no such job"))
}

/// Create a job
///
/// Validates the request and returns the job with a signed upload URL. Send
/// the file with `upload.method` to `upload.url` with exactly `upload.headers`
/// before `upload.expires_at`; processing starts when the upload lands.
#[utoipa::path(
    post,
    path = "/v1/jobs",
    operation_id = "createJob",
    tag = "jobs",
    request_body(content = NewJob, description = "What will be uploaded, and which variants to make",
        example = json!(examples::create_request())),
    responses(
        (status = 201, description = "Job created; upload the source next", body = CreatedJob,
            headers(("Location" = String, description = "Path of the new job")),
            example = json!(examples::created_job())),
        (status = 400, description = "`malformed_request`: the body is not JSON or does not match the schema; \
            `invalid_request`: a bad `filename` or `callback_url`", body = Problem, content_type = "application/problem+json",
            example = json!(examples::malformed())),
        (status = 401, description = "`unauthorized`: missing or unknown API key", body = Problem,
            content_type = "application/problem+json", example = json!(examples::unauthorized())),
        (status = 413, description = "`payload_too_large`: declared content length over the limit", body = Problem,
            content_type = "application/problem+json", example = json!(examples::too_large())),
        (status = 415, description = "`unsupported_media_type`: content type is not an accepted image type, \
            or the request body is not sent as JSON", body = Problem,
            content_type = "application/problem+json", example = json!(examples::unsupported())),
        (status = 422, description = "`invalid_variants`, `unknown_preset`, `callback_not_allowed`: \
            `callback_url` points to a loopback, private or link-local address, or `work_budget_exceeded`: \
            a variant's output is over the server's max pixels, or all of them together over 4 times that", body = Problem,
            content_type = "application/problem+json", example = json!(examples::unknown_preset())),
        (status = 500, description = "`internal`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::internal())),
        (status = 507, description = "`insufficient_storage`: the server's storage is full; \
            retry after `Retry-After` seconds", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait before retrying")),
            content_type = "application/problem+json", example = json!(examples::insufficient_storage())),
    )
)]
pub async fn create_job(
    State(state): State<AppState>,
    caller: Caller,
    payload: Result<Json<NewJob>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = payload?;
    let (job, upload) = state.service.create(&caller.owner, req).await?;
    let location = format!("/v1/jobs/{}", job.id);
    let body = CreatedJob {
        job: job.into(),
        upload,
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Get a job
///
/// The job's status and, once it has succeeded, its results. Carries an
/// `ETag`; send it back in `If-None-Match` to get `304 Not Modified` while
/// nothing changed. With `wait=N` (up to 20 seconds) an unfinished job is
/// answered as soon as its status changes, or after N seconds: long polling
/// instead of busy polling.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}",
    operation_id = "getJob",
    tag = "jobs",
    params(
        ("id" = String, Path, description = "Job id", example = "0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d"),
        WaitParams,
        ConditionalHeaders,
    ),
    responses(
        (status = 200, description = "The job", body = JobView,
            headers(
                ("ETag" = String, description = "Version of the job record, for `If-None-Match`"),
                ("Cache-Control" = String, description = "`no-cache`: revalidate with the ETag"),
            ),
            example = json!(examples::succeeded_job())),
        (status = 304, description = "Not modified: the job is unchanged since the ETag in `If-None-Match`; no body",
            headers(("ETag" = String, description = "The current version, the same as sent"))),
        (status = 400, description = "`invalid_request`: `wait` is not 0 to 20", body = Problem,
            content_type = "application/problem+json", example = json!(examples::bad_wait())),
        (status = 401, description = "`unauthorized`: missing or unknown API key", body = Problem,
            content_type = "application/problem+json", example = json!(examples::unauthorized())),
        (status = 404, description = "`job_not_found`: no such job, or another key's", body = Problem,
            content_type = "application/problem+json", example = json!(examples::job_not_found())),
        (status = 500, description = "`internal`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::internal())),
    )
)]
pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    params: Result<Query<WaitParams>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(params) = params?;
    let id = parse_id(&id)?;
    let job = match params.wait {
        None | Some(0) => state.service.get(&caller.owner, id).await?,
        Some(secs @ 1..=MAX_WAIT_SECS) => {
            let wait = Duration::from_secs(secs);
            state
                .service
                .get_when_changed(&caller.owner, id, wait, WAIT_POLL)
                .await?
        }
        Some(_) => {
            return Err(ApiError::new(
                Code::InvalidRequest,
                format!("wait must be 0 to {MAX_WAIT_SECS} seconds"),
            ));
        }
    };
    let etag = job.etag();
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| ApiError::internal(&e))?;
    let not_modified = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        });
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Json(JobView::from(job)).into_response()
    };
    response.headers_mut().insert(header::ETAG, etag_value);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// Longest `wait` a request may ask for.
const MAX_WAIT_SECS: u64 = 20;
/// How often a waiting request re-reads the job.
const WAIT_POLL: Duration = Duration::from_millis(200);

/// Conditional-request header of `GET /v1/jobs/{id}`, for the document only:
/// the handler reads it from the `HeaderMap`.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
struct ConditionalHeaders {
    /// The `ETag` of an earlier response: the answer is `304` with no body
    /// while the job is unchanged (with `wait`, only after the wait).
    #[param(
        rename = "If-None-Match",
        required = false,
        example = "\"0193a5f27c4e7b1a9d3e2f6a8c1b4e5d-3\""
    )]
    if_none_match: String,
}

/// Long-polling parameter of `GET /v1/jobs/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitParams {
    /// Long polling: seconds (0 to 20, default 0) to hold the request while
    /// the job is unfinished and unchanged; it is answered as soon as the job
    /// changes, or when the time is up, with the job as it then is.
    #[param(minimum = 0, maximum = 20, example = 20)]
    pub wait: Option<u64>,
}

/// Paging parameters of `GET /v1/jobs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List jobs
///
/// The caller's jobs, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/jobs",
    operation_id = "listJobs",
    tag = "jobs",
    params(ListParams),
    responses(
        (status = 200, description = "A page of jobs", body = JobPage, example = json!(examples::job_page())),
        (status = 400, description = "`invalid_request`: bad `limit` or `cursor`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::bad_limit())),
        (status = 401, description = "`unauthorized`: missing or unknown API key", body = Problem,
            content_type = "application/problem+json", example = json!(examples::unauthorized())),
        (status = 500, description = "`internal`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::internal())),
    )
)]
pub async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<JobPage>, ApiError> {
    let Query(params) = params?;
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(
            Code::InvalidRequest,
            "limit must be 1 to 100",
        ));
    }
    let page = state
        .service
        .list(&caller.owner, params.cursor.as_deref(), limit)
        .await?;
    Ok(Json(JobPage {
        items: page.items.into_iter().map(JobView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Delete a job
///
/// Removes the job record, its uploaded source and its results.
#[utoipa::path(
    delete,
    path = "/v1/jobs/{id}",
    operation_id = "deleteJob",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id", example = "0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`unauthorized`: missing or unknown API key", body = Problem,
            content_type = "application/problem+json", example = json!(examples::unauthorized())),
        (status = 404, description = "`job_not_found`: no such job, or another key's", body = Problem,
            content_type = "application/problem+json", example = json!(examples::job_not_found())),
        (status = 500, description = "`internal`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::internal())),
    )
)]
pub async fn delete_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.delete(&caller.owner, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
