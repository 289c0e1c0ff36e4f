//! pixpipe's HTTP API, the same for every backend.
//!
//! - [`router`]: the axum `Router` (v1 routes, `/openapi.json`, `/docs`), over an [`AppState`].
//! - [`openapi`]: the OpenAPI 3.1 document, generated from the handlers.
//! - `jobs`: `/v1/jobs` handlers. `meta`: presets and health.
//! - [`auth`]: API keys and the `Caller` extractor.
//! - [`problem`]: errors as `application/problem+json` with stable codes.
//! - [`limits`]: request timeout and size limits, answered as problems.
//! - [`views`]: the JSON shapes sent to clients.

pub mod auth;
mod examples;
pub mod jobs;
pub mod limits;
pub mod meta;
pub mod problem;
pub mod views;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use pixpipe_core::Service;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

pub use auth::ApiKeys;
pub use limits::{HttpLimits, REQUEST_TIMEOUT};
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
            Flow: `POST /v1/jobs` → send the file with `upload.method` to `upload.url` with exactly \
            `upload.headers` → `GET /v1/jobs/{id}?wait=20` (long polling) until `status` is \
            `succeeded` (or `failed`) → fetch `results[].url`.\n\n\
            Errors are `application/problem+json` (the `Problem` schema) with a stable `code`.\n\n\
            Authentication: `Authorization: Bearer <api key>` on `/v1/jobs` routes, enforced only \
            when the server is configured with API keys; each key sees only its own jobs.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem)),
    security(("api_key" = [])),
    modifiers(&BearerAuth, &ProblemCodes),
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
                    .description(Some("An API key, as `Authorization: Bearer <key>`. Enforced only when \
                        the server is configured with keys (`PIXPIPE_API_KEYS`); without keys every \
                        request is accepted and all jobs share one owner."))
                    .build(),
            ),
        );
    }
}

/// Lists every error code, with its status and meaning, on `Problem.code`.
struct ProblemCodes;

impl Modify for ProblemCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, schema::Schema};
        let Some(RefOr::T(Schema::Object(problem))) = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("Problem"))
        else {
            return;
        };
        let Some(RefOr::T(Schema::Object(code))) = problem.properties.get_mut("code") else {
            return;
        };
        let mut text = code.description.take().unwrap_or_default();
        text.push_str("\n\n| code | status | when |\n|---|---|---|");
        for c in Code::ALL {
            text.push_str(&format!(
                "\n| `{}` | {} | {} |",
                c.as_str(),
                c.status().as_u16(),
                c.meaning()
            ));
        }
        code.description = Some(text);
    }
}

fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(jobs::router())
        .merge(meta::router())
        .split_for_parts();
    // `JobError` comes with the routes, after `ApiDoc`'s own modifiers ran.
    FailureCodes.modify(&mut doc);
    (router, doc)
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

/// [`app_with`] the default limits.
pub fn app(state: AppState, extra: Router) -> Router {
    app_with(state, extra, HttpLimits::default())
}

/// The whole HTTP service: [`router`] plus the backend's `extra` routes (the
/// local signed-upload and result routes), problem+json fallbacks, the
/// request timeout and size `limits` (as problems too), and request spans
/// that record the path only (upload URLs carry their signature in the
/// query, which must never reach a log).
pub fn app_with(state: AppState, extra: Router, limits: HttpLimits) -> Router {
    router(state)
        .merge(extra)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(limits, limits::enforce))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
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

/// Lists every failure code, with its meaning, on `JobError.code`, from
/// [`FailureCode`](pixpipe_core::FailureCode)'s table. Applied by [`parts`].
struct FailureCodes;

impl Modify for FailureCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use pixpipe_core::FailureCode;
        use utoipa::openapi::{RefOr, schema::Schema};
        let Some(RefOr::T(Schema::Object(error))) = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("JobError"))
        else {
            return;
        };
        let Some(RefOr::T(Schema::Object(code))) = error.properties.get_mut("code") else {
            return;
        };
        let mut text = code.description.take().unwrap_or_default();
        text.push_str("\n\n| code | when |\n|---|---|");
        for c in FailureCode::ALL {
            text.push_str(&format!("\n| `{}` | {} |", c.as_str(), c.meaning()));
        }
        code.description = Some(text);
    }
}
