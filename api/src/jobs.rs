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
    request_body = NewJob,
    responses(
        (status = 201, description = "Job created; upload the source next", body = CreatedJob,
            headers(("Location" = String, description = "URL of the new job"))),
        (status = 400, description = "Malformed JSON or invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Declared content length over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content type is not an accepted image type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid variants or unknown preset", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
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
        ("id" = String, Path, description = "Job id"),
        WaitParams,
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier response"),
    ),
    responses(
        (status = 200, description = "The job", body = JobView,
            headers(("ETag" = String, description = "Version of the job record"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
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

/// Long-polling parameter of `GET /v1/jobs/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitParams {
    /// Seconds (0 to 20) to wait for an unfinished job's status to change.
    #[param(minimum = 0, maximum = 20)]
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
        (status = 200, description = "A page of jobs", body = JobPage),
        (status = 400, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
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
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn delete_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.delete(&caller.owner, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
