//! Every error the HTTP surface returns, as `application/problem+json`
//! (RFC 9457) with a stable machine `code` from one table.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pixpipe_core::ServiceError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The stable error codes, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 400: the body is not valid JSON or does not match the schema.
    MalformedRequest,
    /// 400: a query parameter or field is invalid.
    InvalidRequest,
    /// 401: no or unknown API key.
    Unauthorized,
    /// 403: the upload signature is missing or wrong.
    InvalidSignature,
    /// 403: the upload URL has expired.
    UploadExpired,
    /// 403: the upload's Content-Type or Content-Length differs from the signed ones.
    UploadMismatch,
    /// 404: no such job (or it belongs to another key).
    JobNotFound,
    /// 404: no such route or object.
    NotFound,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 409: the source was already uploaded, or the job no longer takes one.
    UploadConflict,
    /// 413: the declared or sent size is over the limit.
    PayloadTooLarge,
    /// 415: the content type is not an accepted image type.
    UnsupportedMediaType,
    /// 422: invalid variants.
    InvalidVariants,
    /// 422: the named preset does not exist.
    UnknownPreset,
    /// 500: something failed on our side; details are in the server log.
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedRequest => "malformed_request",
            Code::InvalidRequest => "invalid_request",
            Code::Unauthorized => "unauthorized",
            Code::InvalidSignature => "invalid_signature",
            Code::UploadExpired => "upload_expired",
            Code::UploadMismatch => "upload_mismatch",
            Code::JobNotFound => "job_not_found",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::UploadConflict => "upload_conflict",
            Code::PayloadTooLarge => "payload_too_large",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::InvalidVariants => "invalid_variants",
            Code::UnknownPreset => "unknown_preset",
            Code::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Code::MalformedRequest | Code::InvalidRequest => StatusCode::BAD_REQUEST,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::InvalidSignature | Code::UploadExpired | Code::UploadMismatch => {
                StatusCode::FORBIDDEN
            }
            Code::JobNotFound | Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::UploadConflict => StatusCode::CONFLICT,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidVariants | Code::UnknownPreset => StatusCode::UNPROCESSABLE_ENTITY,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"type": "urn:pixpipe:problem:job_not_found", "title": "Not Found", "status": 404, "detail": "no such job", "code": "job_not_found"}))]
pub struct Problem {
    /// `urn:pixpipe:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status text.
    pub title: String,
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
}

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub detail: String,
}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        ApiError {
            code,
            detail: detail.into(),
        }
    }

    /// A 500 whose cause is logged here and never sent.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = vec![error.to_string()];
        let mut source = error.source();
        while let Some(e) = source {
            chain.push(e.to_string());
            source = e.source();
        }
        tracing::error!(error.cause_chain = ?chain, "request failed");
        ApiError::new(Code::Internal, "internal error; see the server log")
    }

    pub fn problem(&self) -> Problem {
        let status = self.code.status();
        Problem {
            kind: format!("urn:pixpipe:problem:{}", self.code.as_str()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.code.status(), Json(self.problem())).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.code == Code::Unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::InvalidSpec(s) if s.unknown_preset => {
                ApiError::new(Code::UnknownPreset, s.message)
            }
            ServiceError::InvalidSpec(s) => ApiError::new(Code::InvalidVariants, s.message),
            ServiceError::InvalidRequest(m) => ApiError::new(Code::InvalidRequest, m),
            e @ ServiceError::TooLarge { .. } => {
                ApiError::new(Code::PayloadTooLarge, e.to_string())
            }
            e @ ServiceError::UnsupportedMediaType(_) => {
                ApiError::new(Code::UnsupportedMediaType, e.to_string())
            }
            ServiceError::NotFound => ApiError::new(Code::JobNotFound, "no such job"),
            e @ (ServiceError::Store(_) | ServiceError::Blob(_)) => ApiError::internal(&e),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let code = match r {
            JsonRejection::MissingJsonContentType(_) => Code::UnsupportedMediaType,
            JsonRejection::BytesRejection(_) => Code::PayloadTooLarge,
            _ => Code::MalformedRequest,
        };
        ApiError::new(code, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(Code::InvalidRequest, r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(Code::JobNotFound, r.body_text())
    }
}
