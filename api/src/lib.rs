//! pixpipe's HTTP API, the same for every backend.
//!
//! - [`router`]: the axum `Router` (v1 routes, `/openapi.json`, `/docs`), over an [`AppState`].
//! - [`openapi`]: the OpenAPI 3.1 document, generated from the handlers.
//! - `jobs`: `/v1/jobs` handlers. `meta`: presets and health.
//! - [`auth`]: API keys and the `Caller` extractor.
//! - [`problem`]: errors as `application/problem+json` with stable codes.
//! - [`views`]: the JSON shapes sent to clients.

pub mod auth;
pub mod jobs;
pub mod meta;
pub mod problem;
pub mod views;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use pixpipe_core::Service;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

pub use auth::ApiKeys;
pub use problem::{ApiError, Code, Problem};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub keys: ApiKeys,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pixpipe",
        description = "Upload an image with a signed URL and get resized, re-encoded variants at public URLs.\n\n\
            Flow: `POST /v1/jobs` → PUT the file to `upload.url` with `upload.headers` → poll \
            `GET /v1/jobs/{id}` until `status` is `succeeded` (or `failed`) → fetch `results[].url`.\n\n\
            Errors are `application/problem+json` with a stable `code`.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "jobs", description = "Create jobs, upload, read results"),
        (name = "presets", description = "Named variant lists"),
        (name = "meta", description = "Service health"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from PIXPIPE_API_KEYS, as `Authorization: Bearer <key>`. Not required when the server runs without keys."))
                    .build(),
            ),
        );
    }
}

fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(jobs::router())
        .merge(meta::router())
        .split_for_parts()
}

/// The OpenAPI document of every route [`router`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    parts().1
}

/// The API: v1 routes, `/openapi.json` and the reference page at `/docs`.
pub fn router(state: AppState) -> Router {
    let (api, doc) = parts();
    api.layer(DefaultBodyLimit::max(64 * 1024))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
        .with_state(state)
}

/// The whole HTTP service: [`router`] plus the backend's `extra` routes (the
/// local signed-upload and result routes), problem+json fallbacks, a request
/// timeout, and request spans that record the path only (upload URLs carry
/// their signature in the query, which must never reach a log).
pub fn app(state: AppState, extra: Router) -> Router {
    router(state)
        .merge(extra)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
}

/// Longest any request may take, uploads of the largest size on a slow link included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// A problem+json 404 for paths no router matched.
pub async fn not_found() -> ApiError {
    ApiError::new(Code::NotFound, "no such route")
}

/// A problem+json 405 for a known path with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        Code::MethodNotAllowed,
        "this path does not take that method",
    )
}
