//! pixpipe's domain: jobs and their state machine, what a job makes, the
//! ports adapters implement, and the use cases the API and worker call.
//!
//! - [`job`]: `Job`, `JobId`, `JobStatus` (the state machine), results and errors.
//! - [`spec`]: `VariantSpec` and its validation.
//! - [`preset`]: the `standard`, `modern` and `seed` presets.
//! - [`report`]: what a succeeded job tells beside its files (AVIF encoder
//!   choice, skipped variants, placeholder, the source's facts).
//! - [`budget`]: the output pixels a job's variants may ask for, checked at creation.
//! - [`ports`]: `JobStore`, `BlobStore`, `WorkQueue` (async, `Send + Sync`, used as `Arc<dyn _>`).
//! - [`lifecycle`]: every state change as a compare-and-swap write over a `JobStore`.
//! - [`service`]: create / get / list / delete jobs for an owner.
//! - [`view`]: `JobView` and its pages, the job document clients see (API
//!   answers and callback bodies alike).
//! - [`clock`]: the time source the use cases read (the system's, unless one is given).
//! - [`callback`]: which callback URLs and addresses a finished job may be sent to.
//! - [`failure`]: [`FailureCode`], the table of codes a failed job carries.
//! - [`escape`]: strict `%XX` decoding for the adapters that read escaped text.
//! - [`error`]: the error types of all of the above.
//!
//! Nothing here knows about HTTP, AWS or SQLite.

pub mod budget;
pub mod callback;
pub mod clock;
pub mod error;
pub mod escape;
pub mod failure;
pub mod job;
pub mod lifecycle;
pub mod ports;
pub mod preset;
pub mod report;
pub mod service;
pub mod spec;
pub mod view;

pub use clock::{Clock, SharedClock, SystemClock};
pub use error::{BlobError, BoxError, QueueError, ServiceError, SpecError, StoreError};
pub use failure::FailureCode;
pub use job::{Job, JobError, JobId, JobResult, JobStatus};
pub use ports::{BlobStore, Delivery, JobStore, UploadTicket, WorkQueue};
pub use report::{EncoderChoice, Placeholder, Report, SkippedVariant, SourceInfo};
pub use service::{NewJob, Page, Service, Settings, owner_tag};
pub use spec::{Preset, VariantSpec};
pub use view::JobView;
