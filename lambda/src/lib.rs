//! pixpipe on AWS Lambda: the library behind the two functions' thin `main`s.
//!
//! ```text
//! API Gateway HTTP API ──payload 2.0──▶ pixpipe-api-lambda ──lambda_http──▶ api_app (axum)
//! S3 ObjectCreated ──▶ SQS ──batch──▶ pixpipe-worker-lambda ──▶ handle_batch ──▶ Pipeline::run
//! ```
//!
//! - [`api`]: [`api_app`], the same axum router as local mode with its fallbacks
//!   and request logging; [`api_state`] over the AWS adapters.
//! - [`worker`]: [`handle_batch`], one SQS batch to a partial batch response;
//!   [`plan`], the pure decision per message; [`WorkerDeps`].
//! - [`config`]: [`ApiFunction`] and [`WorkerFunction`], each function's
//!   settings: the `pixpipe-config` sets `pixpipe serve` reads too.
//!
//! Logging is `pixpipe_config::telemetry` (JSON or text, level from Lambda's
//! logging controls, secret-printing dependency targets capped).
//!
//! Features `api` and `worker` (both on by default) hold each function's code:
//! with `worker` alone, nothing here depends on `pixpipe-api`.

#[cfg(feature = "api")]
pub mod api;
pub mod config;
#[cfg(feature = "worker")]
pub mod worker;

#[cfg(feature = "api")]
pub use api::{api_app, api_state};
#[cfg(feature = "api")]
pub use config::ApiFunction;
#[cfg(feature = "worker")]
pub use config::WorkerFunction;
#[cfg(feature = "worker")]
pub use pixpipe_aws::messages::{Ignored, Plan};
#[cfg(feature = "worker")]
pub use worker::{Handled, WorkerDeps, handle_batch, handle_message, plan};
