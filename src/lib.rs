//! The `pixpipe` binary's building blocks, public so tests drive the same code.
//!
//! - [`bench`]: the engine timed like the shared benchmark's anchors.
//! - [`serve`]: the server (API + workers) and its flags.
//! - [`backend`]: the embedded and AWS adapters behind it.
//! - [`process`]: the engine over local files.
//! - [`telemetry`]: log set-up.

pub mod backend;
pub mod bench;
pub mod process;
pub mod serve;
pub mod telemetry;

/// The OpenAPI document as YAML, exactly as committed in `openapi.yaml`.
pub fn openapi_yaml() -> anyhow::Result<String> {
    Ok(pixpipe_api::openapi().to_yaml()?)
}
