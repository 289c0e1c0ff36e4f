//! pixpipe's worker: the job pipeline and the queue consumer that drives it.
//!
//! - [`pipeline`]: [`Pipeline::run`], one delivery of one job (claim → source →
//!   engine → publish → outcome), shared by every event source.
//! - [`runner`]: N workers over a `WorkQueue` with retries and backoff.
//! - [`dead_letter`]: failing the jobs whose deliveries ran out.
//! - [`callback`]: [`Notifier`], the signed POST of a finished job to its `callback_url`.
//! - [`metrics`]: one CloudWatch Embedded Metric Format line per finished job.
//! - [`memory`]: the allocator settings that let one job reuse the last one's buffers.

pub mod callback;
pub mod dead_letter;
pub mod memory;
pub mod metrics;
pub mod pipeline;
pub mod runner;

pub use callback::{CallbackConfig, CallbackSecret, Notifier};
pub use pipeline::{Outcome, Pipeline, PipelineError, RunStats};
pub use runner::{
    DEFAULT_VISIBILITY, MIN_VISIBILITY, RunnerConfig, backoff, handle, run, with_lease,
};
