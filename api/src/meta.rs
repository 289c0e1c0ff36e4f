//! Service-level routes: presets and health.

use axum::Json;
use pixpipe_core::{Preset, spec};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::views::Health;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_presets))
        .routes(routes!(healthz))
}

/// List presets
///
/// The named variant lists a job may ask for with `preset`. Needs no API key.
#[utoipa::path(
    get,
    path = "/v1/presets",
    operation_id = "listPresets",
    tag = "presets",
    responses((status = 200, description = "Every preset, the default first", body = Vec<Preset>,
        example = json!(spec::presets()))),
    security(())
)]
pub async fn list_presets() -> Json<Vec<Preset>> {
    Json(spec::presets())
}

/// Health check
///
/// Answers 200 while the process serves requests. Needs no API key.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "meta",
    responses((status = 200, description = "Serving", body = Health,
        example = json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))),
    security(())
)]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}
