//! pixpipe's worker: the job pipeline and the queue consumer that drives it.
//!
//! - [`pipeline`]: [`Pipeline::run`], one delivery of one job (claim → source →
//!   engine → publish → outcome), shared by every event source.
//! - [`runner`]: N workers over a `WorkQueue` with retries and backoff.

pub mod pipeline;
pub mod runner;

pub use pipeline::{Outcome, Pipeline, PipelineError};
pub use runner::{RunnerConfig, backoff, handle, run};
