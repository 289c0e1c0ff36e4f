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
    /// 422: `callback_url` points to a loopback, private or link-local address.
    CallbackNotAllowed,
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
            Code::CallbackNotAllowed => "callback_not_allowed",
            Code::Internal => "internal",
        }
    }

    /// Every code, in the order of the table above.
    pub const ALL: [Code; 16] = [
        Code::MalformedRequest,
        Code::InvalidRequest,
        Code::Unauthorized,
        Code::InvalidSignature,
        Code::UploadExpired,
        Code::UploadMismatch,
        Code::JobNotFound,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::UploadConflict,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::InvalidVariants,
        Code::UnknownPreset,
        Code::CallbackNotAllowed,
        Code::Internal,
    ];

    /// When the code is sent, for the OpenAPI document.
    pub fn meaning(self) -> &'static str {
        match self {
            Code::MalformedRequest => "the body is not valid JSON or does not match the schema",
            Code::InvalidRequest => "a query parameter or field is invalid",
            Code::Unauthorized => "API keys are configured and the key is missing or unknown",
            Code::InvalidSignature => "the upload URL's signature is missing or wrong",
            Code::UploadExpired => "the upload URL has expired",
            Code::UploadMismatch => {
                "the upload's Content-Type or Content-Length differs from the signed ones"
            }
            Code::JobNotFound => "no such job, or it belongs to another API key",
            Code::NotFound => "no such route or object",
            Code::MethodNotAllowed => "the path exists but not with this method",
            Code::UploadConflict => {
                "the source was already uploaded, or the job no longer takes one"
            }
            Code::PayloadTooLarge => "the declared or sent size is over the limit",
            Code::UnsupportedMediaType => {
                "not image/jpeg, image/png, image/webp, image/gif, image/heic or image/heif (or the body is not JSON)"
            }
            Code::InvalidVariants => "the custom variants are invalid",
            Code::UnknownPreset => "the named preset does not exist",
            Code::CallbackNotAllowed => {
                "`callback_url` points to a loopback, private or link-local address"
            }
            Code::Internal => "something failed on the server; details are in its log",
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
            Code::InvalidVariants | Code::UnknownPreset | Code::CallbackNotAllowed => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

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
            ServiceError::CallbackNotAllowed(m) => ApiError::new(Code::CallbackNotAllowed, m),
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

#[cfg(test)]
mod tests {
    use super::Code;

    /// Position of each code in [`Code::ALL`]; the match is exhaustive, so a
    /// new code does not compile here until it is placed in the table.
    fn position(code: Code) -> usize {
        match code {
            Code::MalformedRequest => 0,
            Code::InvalidRequest => 1,
            Code::Unauthorized => 2,
            Code::InvalidSignature => 3,
            Code::UploadExpired => 4,
            Code::UploadMismatch => 5,
            Code::JobNotFound => 6,
            Code::NotFound => 7,
            Code::MethodNotAllowed => 8,
            Code::UploadConflict => 9,
            Code::PayloadTooLarge => 10,
            Code::UnsupportedMediaType => 11,
            Code::InvalidVariants => 12,
            Code::UnknownPreset => 13,
            Code::CallbackNotAllowed => 14,
            Code::Internal => 15,
        }
    }

    #[test]
    fn all_lists_every_code_once() {
        for (i, code) in Code::ALL.into_iter().enumerate() {
            assert_eq!(position(code), i, "{} is out of place", code.as_str());
            let s = code.as_str();
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }
}
