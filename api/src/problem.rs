//! Every error the HTTP surface returns, as `application/problem+json`
//! (RFC 9457) with a stable machine `code` from one table.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pixpipe_core::ServiceError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares [`Code`] from one table: each row gives the variant, its wire
/// string, its HTTP status and when it is sent. The enum (documented with that
/// line), [`Code::ALL`], [`Code::as_str`], [`Code::status`], [`Code::meaning`]
/// (the OpenAPI document's table) and [`Code::from_wire`] all come from it.
macro_rules! codes {
    ($($variant:ident => $wire:literal, $status:ident, $meaning:literal;)*) => {
        /// The stable error codes, each with its HTTP status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in the order of the table.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The wire string: the problem's `code` and the end of its `type`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $wire,)*
                }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => StatusCode::$status,)*
                }
            }

            /// When the code is sent, for the OpenAPI document.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }

            /// The code with this wire string.
            pub fn from_wire(wire: &str) -> Option<Code> {
                match wire {
                    $($wire => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    MalformedRequest => "malformed_request", BAD_REQUEST,
        "the body is not valid JSON or does not match the schema";
    InvalidRequest => "invalid_request", BAD_REQUEST,
        "a query parameter or field is invalid";
    Unauthorized => "unauthorized", UNAUTHORIZED,
        "API keys are configured and the key is missing or unknown";
    InvalidSignature => "invalid_signature", FORBIDDEN,
        "the upload URL's signature is missing or wrong";
    UploadExpired => "upload_expired", FORBIDDEN,
        "the upload URL has expired";
    UploadMismatch => "upload_mismatch", FORBIDDEN,
        "the upload's Content-Type or Content-Length differs from the signed ones";
    JobNotFound => "job_not_found", NOT_FOUND,
        "no such job, or it belongs to another API key";
    NotFound => "not_found", NOT_FOUND,
        "no such route or object";
    MethodNotAllowed => "method_not_allowed", METHOD_NOT_ALLOWED,
        "the path exists but not with this method";
    RequestTimeout => "request_timeout", REQUEST_TIMEOUT,
        "the request took longer than the server's request timeout, or an upload body came slower than the server's minimum rate";
    UploadConflict => "upload_conflict", CONFLICT,
        "the source was already uploaded, or the job no longer takes one";
    PayloadTooLarge => "payload_too_large", PAYLOAD_TOO_LARGE,
        "the declared or sent size is over the limit";
    UriTooLong => "uri_too_long", URI_TOO_LONG,
        "the request target (path and query) is longer than the server accepts";
    UnsupportedMediaType => "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE,
        "not image/jpeg, image/png, image/webp, image/gif, image/heic or image/heif (or the body is not JSON)";
    InvalidVariants => "invalid_variants", UNPROCESSABLE_ENTITY,
        "the custom variants are invalid";
    UnknownPreset => "unknown_preset", UNPROCESSABLE_ENTITY,
        "the named preset does not exist";
    CallbackNotAllowed => "callback_not_allowed", UNPROCESSABLE_ENTITY,
        "`callback_url` points to a loopback, private or link-local address";
    WorkBudgetExceeded => "work_budget_exceeded", UNPROCESSABLE_ENTITY,
        "a variant's output is over the server's max pixels, or all of them together over 4 times that";
    HeadersTooLarge => "headers_too_large", REQUEST_HEADER_FIELDS_TOO_LARGE,
        "the request's header fields are larger than the server accepts";
    Internal => "internal", INTERNAL_SERVER_ERROR,
        "something failed on the server; details are in its log";
    InsufficientStorage => "insufficient_storage", INSUFFICIENT_STORAGE,
        "the server's storage is full; retry after the `Retry-After` seconds";
}

/// `Retry-After` of an `insufficient_storage` answer, in seconds.
pub const STORAGE_RETRY_AFTER_SECS: u32 = 10;

/// An error, as an RFC 9457 problem document (`application/problem+json`).
/// Branch on `code`; show `detail` to people.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"type": "urn:pixpipe:problem:job_not_found", "title": "Not Found", "status": 404, "detail": "no such job", "code": "job_not_found"}))]
pub struct Problem {
    /// `urn:pixpipe:problem:{code}`.
    #[serde(rename = "type")]
    #[schema(example = "urn:pixpipe:problem:job_not_found")]
    pub kind: String,
    /// The HTTP status text.
    #[schema(example = "Not Found")]
    pub title: String,
    /// The HTTP status code of the response.
    #[schema(example = 404)]
    pub status: u16,
    /// What went wrong, for a human.
    #[schema(example = "no such job")]
    pub detail: String,
    /// Stable machine-readable code (a string, so that clients keep working
    /// when a later version adds codes).
    #[schema(example = "job_not_found")]
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
        let chain = pixpipe_core::error::cause_chain(error);
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
        if self.code == Code::InsufficientStorage {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(STORAGE_RETRY_AFTER_SECS),
            );
        }
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
            ServiceError::CallbackNotAllowed(m) => ApiError::new(Code::CallbackNotAllowed, m),
            ServiceError::WorkBudgetExceeded(e) => {
                ApiError::new(Code::WorkBudgetExceeded, e.to_string())
            }
            e @ ServiceError::TooLarge { .. } => {
                ApiError::new(Code::PayloadTooLarge, e.to_string())
            }
            e @ ServiceError::UnsupportedMediaType(_) => {
                ApiError::new(Code::UnsupportedMediaType, e.to_string())
            }
            ServiceError::NotFound => ApiError::new(Code::JobNotFound, "no such job"),
            e if e.is_storage_full() => {
                let chain = pixpipe_core::error::cause_chain(&e);
                tracing::warn!(error.cause_chain = ?chain, "storage full");
                ApiError::new(
                    Code::InsufficientStorage,
                    "the server's storage is full; retry later",
                )
            }
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

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn every_code_is_distinct_snake_case_and_an_error_status() {
        let mut seen = std::collections::HashSet::new();
        for &code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert_eq!(Code::from_wire(s), Some(code));
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(!code.meaning().is_empty());
        }
        assert_eq!(Code::from_wire("no_such_code"), None);
    }
}
