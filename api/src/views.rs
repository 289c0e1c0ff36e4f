//! The JSON shapes the API sends: the job documents (defined in
//! [`pixpipe_core::view`], which the worker's callbacks send too) and the
//! API's own.

use serde::Serialize;
use utoipa::ToSchema;

pub use pixpipe_core::view::{CreatedJob, JobPage, JobView};

/// Liveness answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}
