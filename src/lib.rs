//! The `pixpipe` binary's building blocks, public so tests drive the same code.
//!
//! - [`serve`]: the local all-in-one server (API + uploads + results + workers).
//! - [`process`]: the engine over local files.
//! - [`telemetry`]: log set-up.

pub mod process;
pub mod serve;
pub mod telemetry;

/// The OpenAPI document as YAML, exactly as committed in `openapi.yaml`.
pub fn openapi_yaml() -> anyhow::Result<String> {
    Ok(pixpipe_api::openapi().to_yaml()?)
}
