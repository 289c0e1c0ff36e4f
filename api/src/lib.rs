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

use axum::Router;
use axum::extract::DefaultBodyLimit;
use pixpipe_core::Service;
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
