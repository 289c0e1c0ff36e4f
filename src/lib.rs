//! The `pixpipe` binary's building blocks, public so tests drive the same code.
//!
//! - [`bench`]: the engine timed like the shared benchmark's anchors.
//! - [`serve`]: the server (API + workers) and its flags.
//! - [`backend`]: the embedded and AWS adapters behind it.
//! - [`cors`]: which browser origins may call the server.
//! - [`web`]: the browser upload page, served and built.
//! - [`process`]: the engine over local files.
//! - [`telemetry`]: log set-up.
//! - [`upload`]: `pixpipe upload`, the API's client flow for local files.
//! - [`watermark`]: the server's watermark PNG, loaded at start-up.

pub mod backend;
pub mod bench;
pub mod cors;
pub mod process;
pub mod serve;
pub mod telemetry;
pub mod upload;
pub mod watermark;
pub mod web;

/// The OpenAPI document as YAML, exactly as committed in `openapi.yaml`.
pub fn openapi_yaml() -> anyhow::Result<String> {
    Ok(pixpipe_api::openapi().to_yaml()?)
}
