//! Limits on a request's size and duration, answered as problem documents:
//! the request timeout (408 `request_timeout`), the request target's length
//! (414 `uri_too_long`) and the header fields' size (431 `headers_too_large`).
//!
//! The HTTP/1 server (hyper) has limits of its own, met before a request
//! reaches any router, and answers them with an empty body that cannot be
//! changed: 414 for a request target over 65534 bytes, 431 for a request
//! head over its read buffer (about 400 KiB) or with more than 100 header
//! fields. The limits here are lower, so that an oversized request within
//! those gets a problem document. (On AWS, API Gateway's own limits come first.)

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::{ApiError, Code};

/// Longest request target (path and query) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest total of header names and values accepted, in bytes.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Longest any request may take by default, uploads of the largest size on a slow link included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The limits [`crate::app_with`] applies.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Longest a request may take until its response begins.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// Refuses oversized request targets and header fields, then runs the rest
/// of the service within the request timeout.
pub(crate) async fn enforce(
    State(limits): State<HttpLimits>,
    request: Request,
    next: Next,
) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if target > MAX_URI_BYTES {
        return closing(ApiError::new(
            Code::UriTooLong,
            format!("the request target is {target} bytes; at most {MAX_URI_BYTES} are accepted"),
        ));
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return closing(ApiError::new(
            Code::HeadersTooLarge,
            format!(
                "the header fields are {headers} bytes; at most {MAX_HEADER_BYTES} are accepted"
            ),
        ));
    }
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => closing(ApiError::new(
            Code::RequestTimeout,
            format!(
                "the request took longer than {} seconds",
                limits.request_timeout.as_secs_f64()
            ),
        )),
    }
}

/// The problem response, closing the connection: the request's body may be
/// partly unread.
fn closing(error: ApiError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
