//! The local server's storage routes:
//!
//! - `PUT /uploads/{id}`: the signed upload URL (the local stand-in for a
//!   presigned S3 PUT). Verifies the signature, expiry, type and length,
//!   streams the body to `uploads/{id}.part`, moves it into place and queues
//!   the job in one store transaction.
//! - `GET /blobs/results/{*path}`: published results, read-only, immutable.
//!
//! Nothing under `uploads/` is ever served. Every error is a problem document;
//! an upload that does not fit on the disk is `507 insufficient_storage`.
//! The query string (it carries the signature) is never logged.

use std::io;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::put;
use pixpipe_core::{JobId, JobStatus, JobStore};
use tokio::io::{AsyncWriteExt, BufWriter};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::blobs::{FsBlobError, FsBlobs, io_err, sync_dir};
use crate::pace::{Pace, TooSlow};
use crate::problem::{StorageCode as Code, StorageError};
use crate::signing;
use crate::store::{LocalStore, UploadAccepted, UploadBegun};

/// State of the storage routes.
#[derive(Debug, Clone)]
pub struct LocalHttp {
    pub store: Arc<LocalStore>,
    pub blobs: Arc<FsBlobs>,
    /// Largest upload accepted, whatever a URL was signed for.
    pub max_upload_bytes: u64,
    /// Where "now" comes from when a URL's expiry is checked.
    pub clock: pixpipe_core::SharedClock,
    /// Longest an accepted upload may take (the server's request timeout):
    /// its job does not expire before the upload's start plus this.
    pub upload_time_limit: std::time::Duration,
    /// An upload body that gets fewer than `min_upload_bytes_per_sec` times
    /// this in any such window (or nothing at all) is abandoned: 408.
    pub body_read_window: std::time::Duration,
    /// The slowest upload accepted, averaged over each `body_read_window`.
    pub min_upload_bytes_per_sec: u64,
}

/// [`LocalHttp::upload_time_limit`] unless set: the API's request timeout.
pub const UPLOAD_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);
/// [`LocalHttp::body_read_window`] unless set.
pub const BODY_READ_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);
/// [`LocalHttp::min_upload_bytes_per_sec`] unless set.
pub const MIN_UPLOAD_BYTES_PER_SEC: u64 = 1024;

impl LocalHttp {
    /// State over `local`'s adapters with the default upload limit.
    pub fn new(local: &crate::Local) -> Self {
        LocalHttp {
            store: Arc::clone(&local.store),
            blobs: Arc::clone(&local.blobs),
            max_upload_bytes: pixpipe_core::Settings::default().max_upload_bytes,
            clock: pixpipe_core::clock::system(),
            upload_time_limit: UPLOAD_TIME_LIMIT,
            body_read_window: BODY_READ_WINDOW,
            min_upload_bytes_per_sec: MIN_UPLOAD_BYTES_PER_SEC,
        }
    }
}

/// `PUT /uploads/{id}` and `GET /blobs/results/{*path}`. Sets no fallback,
/// so it merges into the API router.
pub fn router(state: LocalHttp) -> Router {
    let not_found = no_such_object.into_service();
    let results = ServeDir::new(state.blobs.results_dir())
        .append_index_html_on_directories(false)
        .call_fallback_on_method_not_allowed(true)
        .not_found_service(not_found);
    let results = Router::new()
        .nest_service("/blobs/results", results)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            immutable_if_found,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    Router::new()
        .route("/uploads/{id}", put(upload))
        .with_state(state)
        .merge(results)
}

/// Results never change once published; errors must not be cached.
fn immutable_if_found(response: &Response<Body>) -> Option<HeaderValue> {
    let status = response.status();
    (status.is_success() || status == StatusCode::NOT_MODIFIED)
        .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
}

async fn no_such_object() -> StorageError {
    StorageError::new(Code::NotFound, "no such object")
}

fn invalid_signature() -> StorageError {
    StorageError::new(
        Code::InvalidSignature,
        "the upload URL's signature is missing or not valid",
    )
}

fn conflict() -> StorageError {
    StorageError::new(Code::UploadConflict, "this job is not awaiting an upload")
}

fn job_not_found() -> StorageError {
    StorageError::new(Code::JobNotFound, "no such job")
}

/// A 507 when the disk is full, else a 500.
fn internal(e: FsBlobError) -> StorageError {
    StorageError::failed(&e, e.is_full())
}

/// The signed upload. A refusal closes the connection: its body was not
/// read, so the connection cannot carry another request.
async fn upload(
    state: State<LocalHttp>,
    path: Result<Path<String>, PathRejection>,
    query: RawQuery,
    headers: HeaderMap,
    body: Body,
) -> axum::response::Response {
    match accept(state, path, query, headers, body).await {
        Ok(status) => status.into_response(),
        Err(error) => {
            let mut response = error.into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

async fn accept(
    State(state): State<LocalHttp>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, StorageError> {
    let Ok(Path(raw_id)) = path else {
        return Err(invalid_signature());
    };
    let params = signing::parse_query(query.as_deref())
        .filter(|p| state.blobs.signer().verify(&format!("uploads/{raw_id}"), p))
        .ok_or_else(invalid_signature)?;
    // Expiry is checked once, here, as the request begins: an upload
    // accepted now may finish after the URL expires (see `begin_upload`).
    let started = state.clock.now();
    if started.timestamp() >= params.expires {
        return Err(StorageError::new(
            Code::UploadExpired,
            "the upload URL has expired",
        ));
    }
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if header_str(header::CONTENT_TYPE) != Some(params.content_type.as_str()) {
        return Err(StorageError::new(
            Code::UploadMismatch,
            format!("Content-Type must be {:?}, as signed", params.content_type),
        ));
    }
    let sent_len = header_str(header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if sent_len != Some(params.content_length) {
        return Err(StorageError::new(
            Code::UploadMismatch,
            format!(
                "Content-Length must be {}, as signed",
                params.content_length
            ),
        ));
    }
    if params.content_length > state.max_upload_bytes {
        return Err(StorageError::new(
            Code::PayloadTooLarge,
            format!("uploads are limited to {} bytes", state.max_upload_bytes),
        ));
    }
    // A valid signature is only ever made for `uploads/{job id}`.
    let id: JobId = raw_id.parse().map_err(|_| job_not_found())?;
    // Refused before anything is written when the source would not fit.
    state
        .blobs
        .space()
        .ensure_room(params.content_length)
        .await
        .map_err(|e| internal(e.into()))?;
    let hold_until = chrono::Duration::from_std(state.upload_time_limit)
        .ok()
        .and_then(|limit| started.checked_add_signed(limit))
        .unwrap_or(started);
    match state
        .store
        .begin_upload(id, started, hold_until)
        .await
        .map_err(|e| StorageError::store(&e))?
    {
        UploadBegun::Held(_) => {}
        UploadBegun::Missing => return Err(job_not_found()),
        UploadBegun::NotAwaiting(_) => return Err(conflict()),
        UploadBegun::Closed => {
            return Err(StorageError::new(
                Code::UploadExpired,
                "the upload URL has expired",
            ));
        }
    }
    receive(&state, id, body, params.content_length).await?;
    tracing::info!(job_id = %id, bytes = params.content_length, "source uploaded; job queued");
    Ok(StatusCode::OK)
}

/// The `.part` file of an upload in progress. Its exclusive creation is the
/// per-job upload lock; dropping the guard (also when the client goes away
/// and the handler is cancelled) removes it.
struct PartFile {
    path: PathBuf,
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot remove upload part file");
        }
    }
}

/// Streams the body into place and queues the job.
async fn receive(state: &LocalHttp, id: JobId, body: Body, len: u64) -> Result<(), StorageError> {
    let dir = state.blobs.uploads_dir();
    let part_path = dir.join(format!("{id}.part"));
    let file = match tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&part_path)
        .await
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(StorageError::new(
                Code::UploadConflict,
                "an upload for this job is in progress",
            ));
        }
        Err(e) => return Err(internal(io_err("create", &part_path)(e))),
    };
    let part = PartFile { path: part_path };
    write_body(state, file, &part.path, body, len).await?;

    let final_path = dir.join(id.to_string());
    let linked = {
        let (part, target, dir) = (part.path.clone(), final_path.clone(), dir.clone());
        tokio::task::spawn_blocking(move || link_into_place(&part, &target, &dir))
            .await
            .map_err(|e| internal(e.into()))?
    };
    match linked {
        Ok(()) => {}
        Err(Some(e)) => return Err(internal(e)),
        // A source is already in place: a finished upload, or an orphan of
        // a crash between moving the file and queueing the job.
        Err(None) => match state
            .store
            .get(id)
            .await
            .map_err(|e| StorageError::store(&e))?
        {
            Some(job) if job.status == JobStatus::AwaitingUpload => {
                let (part, target) = (part.path.clone(), final_path.clone());
                // Replaced in one rename: a read that queues the job from the
                // orphan meanwhile, and a worker that reads it, always find a
                // whole source in place (either upload of this same ticket).
                tokio::task::spawn_blocking(move || replace_in_place(&part, &target, &dir))
                    .await
                    .map_err(|e| internal(e.into()))?
                    .map_err(internal)?;
            }
            Some(_) => return Err(conflict()),
            None => return Err(job_not_found()),
        },
    }

    let refusal = match state.store.accept_upload(id).await {
        Ok(UploadAccepted::Queued(_)) => return Ok(()),
        Ok(UploadAccepted::NotAwaiting(JobStatus::Expired)) => conflict(),
        // Uploads are exclusive and the job awaited this one: a read saw its
        // file in place and queued the job first (a worker may have it now).
        Ok(UploadAccepted::NotAwaiting(_)) => return Ok(()),
        Ok(UploadAccepted::Missing) => job_not_found(),
        // Whether it committed is unknown: keep the source. If the job still
        // awaits an upload, the next attempt replaces it (see above).
        Err(e) => return Err(StorageError::store(&e)),
    };
    if let Err(e) = tokio::fs::remove_file(&final_path).await {
        tracing::warn!(job_id = %id, error = %e, "cannot remove a refused upload");
    }
    Err(refusal)
}

/// Copies the body to `file`, refusing more or fewer bytes than `len` and a
/// body slower than the state's minimum rate, and fsyncs it.
async fn write_body(
    state: &LocalHttp,
    mut file: tokio::fs::File,
    path: &FsPath,
    body: Body,
    len: u64,
) -> Result<(), StorageError> {
    let mut stream = body.into_data_stream();
    let mut out = BufWriter::with_capacity(256 * 1024, &mut file);
    let mut received: u64 = 0;
    let mut pace = Pace::new(state.body_read_window, state.min_upload_bytes_per_sec);
    while let Some(chunk) = pace
        .next(&mut stream)
        .await
        .map_err(|slow| too_slow(state, slow, len))?
    {
        let chunk = chunk.map_err(|e| {
            tracing::debug!(error = %e, "upload body failed");
            StorageError::new(Code::InvalidRequest, "the upload body could not be read")
        })?;
        received = received.saturating_add(chunk.len() as u64);
        if received > len {
            return Err(StorageError::new(
                Code::PayloadTooLarge,
                format!("the body is longer than the signed {len} bytes"),
            ));
        }
        out.write_all(&chunk)
            .await
            .map_err(|e| internal(io_err("write", path)(e)))?;
    }
    if received < len {
        return Err(StorageError::new(
            Code::InvalidRequest,
            format!("the body ended after {received} of the signed {len} bytes"),
        ));
    }
    out.flush()
        .await
        .map_err(|e| internal(io_err("write", path)(e)))?;
    file.sync_all()
        .await
        .map_err(|e| internal(io_err("sync", path)(e)))
}

/// The refusal of an upload body that stalled or trickled.
fn too_slow(state: &LocalHttp, slow: TooSlow, len: u64) -> StorageError {
    let received = slow.received;
    tracing::info!(received, len, "abandoning a stalled upload");
    StorageError::new(
        Code::RequestTimeout,
        format!(
            "the upload body came slower than {} bytes per second over {} seconds \
             ({received} of {len} bytes received)",
            state.min_upload_bytes_per_sec,
            state.body_read_window.as_secs_f64()
        ),
    )
}

/// Hard-links the finished part file to its final name (never replacing an
/// existing file: `Err(None)`) and fsyncs the directory. The part file stays,
/// still holding the upload lock, until the job is queued.
/// Puts a copy (a hard link) of `part` over `target` in one rename, keeping
/// `part` (the upload lock), and syncs `dir`.
fn replace_in_place(part: &FsPath, target: &FsPath, dir: &FsPath) -> Result<(), FsBlobError> {
    let mut staged = target.as_os_str().to_owned();
    // A `.part` name: a crash leaves it to the start-up sweep of those.
    staged.push(".replacing.part");
    let staged = std::path::PathBuf::from(staged);
    let _ = std::fs::remove_file(&staged);
    std::fs::hard_link(part, &staged).map_err(io_err("link", &staged))?;
    std::fs::rename(&staged, target).map_err(io_err("rename", target))?;
    sync_dir(dir).map_err(io_err("sync", dir))
}

fn link_into_place(
    part: &FsPath,
    target: &FsPath,
    dir: &FsPath,
) -> Result<(), Option<FsBlobError>> {
    match std::fs::hard_link(part, target) {
        Ok(()) => sync_dir(dir).map_err(|e| Some(io_err("sync", dir)(e))),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(None),
        Err(e) => Err(Some(io_err("link", target)(e))),
    }
}
