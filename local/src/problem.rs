//! The storage routes' own errors, turned into `application/problem+json` at
//! the edge: the same body (`{type, title, status, detail, code}`) and the same
//! stable codes and statuses as the API's problems, without depending on the
//! API crate. A test holds each code to the API's table.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a storage route refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageCode {
    /// 400: the upload body could not be read, or ended short.
    InvalidRequest,
    /// 403: the upload URL's signature is missing or wrong.
    InvalidSignature,
    /// 403: the upload URL has expired.
    UploadExpired,
    /// 403: the upload's Content-Type or Content-Length differs from the signed ones.
    UploadMismatch,
    /// 404: no such job.
    JobNotFound,
    /// 404: no such object.
    NotFound,
    /// 408: the upload body stalled or came slower than the minimum rate.
    RequestTimeout,
    /// 409: the source was already uploaded, or the job no longer takes one.
    UploadConflict,
    /// 413: the declared or sent size is over the limit.
    PayloadTooLarge,
    /// 500: something failed on the server; the cause is logged, never sent.
    Internal,
    /// 507: the server's storage is full; sent with `Retry-After`.
    InsufficientStorage,
}

/// `Retry-After` of an `insufficient_storage` answer, in seconds (the API's).
pub const STORAGE_RETRY_AFTER_SECS: u32 = 10;

impl StorageCode {
    /// Every code.
    pub const ALL: [StorageCode; 11] = [
        StorageCode::InvalidRequest,
        StorageCode::InvalidSignature,
        StorageCode::UploadExpired,
        StorageCode::UploadMismatch,
        StorageCode::JobNotFound,
        StorageCode::NotFound,
        StorageCode::RequestTimeout,
        StorageCode::UploadConflict,
        StorageCode::PayloadTooLarge,
        StorageCode::Internal,
        StorageCode::InsufficientStorage,
    ];

    /// The wire string, as in the API's problem table.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageCode::InvalidRequest => "invalid_request",
            StorageCode::InvalidSignature => "invalid_signature",
            StorageCode::UploadExpired => "upload_expired",
            StorageCode::UploadMismatch => "upload_mismatch",
            StorageCode::JobNotFound => "job_not_found",
            StorageCode::NotFound => "not_found",
            StorageCode::RequestTimeout => "request_timeout",
            StorageCode::UploadConflict => "upload_conflict",
            StorageCode::PayloadTooLarge => "payload_too_large",
            StorageCode::Internal => "internal",
            StorageCode::InsufficientStorage => "insufficient_storage",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            StorageCode::InvalidRequest => StatusCode::BAD_REQUEST,
            StorageCode::InvalidSignature
            | StorageCode::UploadExpired
            | StorageCode::UploadMismatch => StatusCode::FORBIDDEN,
            StorageCode::JobNotFound | StorageCode::NotFound => StatusCode::NOT_FOUND,
            StorageCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            StorageCode::UploadConflict => StatusCode::CONFLICT,
            StorageCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            StorageCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            StorageCode::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
        }
    }
}

/// A refusal of a storage route, on its way to a problem response.
#[derive(Debug)]
pub struct StorageError {
    pub code: StorageCode,
    pub detail: String,
}

impl StorageError {
    pub fn new(code: StorageCode, detail: impl Into<String>) -> Self {
        StorageError {
            code,
            detail: detail.into(),
        }
    }

    /// A 500 whose cause is logged here and never sent.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        let chain = pixpipe_core::error::cause_chain(error);
        tracing::error!(error.cause_chain = ?chain, "request failed");
        StorageError::new(StorageCode::Internal, "internal error; see the server log")
    }

    /// A 507 when the storage is full (logged as a warning), else a 500.
    pub fn failed(error: &(dyn std::error::Error + 'static), storage_full: bool) -> Self {
        if !storage_full {
            return StorageError::internal(error);
        }
        let chain = pixpipe_core::error::cause_chain(error);
        tracing::warn!(error.cause_chain = ?chain, "storage full");
        StorageError::new(
            StorageCode::InsufficientStorage,
            "the server's storage is full; retry later",
        )
    }

    /// [`StorageError::failed`] for a job store error.
    pub fn store(error: &pixpipe_core::StoreError) -> Self {
        let full = matches!(error, pixpipe_core::StoreError::Full(_));
        StorageError::failed(error, full)
    }
}

/// The problem document, field for field as the API sends it.
#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
}

impl IntoResponse for StorageError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = ProblemBody {
            kind: format!("urn:pixpipe:problem:{}", self.code.as_str()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: &self.detail,
            code: self.code.as_str(),
        };
        let mut response = (status, Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.code == StorageCode::InsufficientStorage {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(STORAGE_RETRY_AFTER_SECS),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;
    use pixpipe_api::{ApiError, Code};

    use super::*;

    /// Each code has the API's wire string and status, and the same body.
    #[tokio::test]
    async fn problems_are_the_apis() {
        for code in StorageCode::ALL {
            let api = Code::from_wire(code.as_str())
                .unwrap_or_else(|| panic!("{} is not an API code", code.as_str()));
            assert_eq!(api.status(), code.status(), "{}", code.as_str());
            let ours = StorageError::new(code, "detail").into_response();
            let theirs = ApiError::new(api, "detail").into_response();
            assert_eq!(ours.status(), theirs.status());
            for name in [header::CONTENT_TYPE, header::RETRY_AFTER] {
                assert_eq!(
                    ours.headers().get(&name),
                    theirs.headers().get(&name),
                    "{name} of {}",
                    code.as_str()
                );
            }
            let ours = ours.into_body().collect().await.unwrap().to_bytes();
            let theirs = theirs.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(ours, theirs, "{}", code.as_str());
        }
    }
}
