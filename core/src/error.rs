//! Errors of the domain, the ports and the use cases.

use thiserror::Error;

/// A boxed backend error, kept as a source rather than flattened to text.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `error` and each of its sources, outermost first, as text for a log line.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    std::iter::successors(Some(error), |e| e.source())
        .map(ToString::to_string)
        .collect()
}

/// An invalid `preset` / `variants` request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct SpecError {
    pub message: String,
    /// The request named a preset that does not exist.
    pub unknown_preset: bool,
}

impl SpecError {
    pub fn new(message: impl Into<String>) -> Self {
        SpecError {
            message: message.into(),
            unknown_preset: false,
        }
    }

    pub fn unknown_preset(name: &str) -> Self {
        SpecError {
            message: format!("unknown preset {name:?}"),
            unknown_preset: true,
        }
    }
}

/// A job store failure. Every variant is worth retrying.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("job store backend failed")]
    Backend(#[source] BoxError),
    #[error("stored job record is unreadable")]
    Corrupt(#[source] BoxError),
    #[error("too many concurrent writers on job {0}")]
    Contended(crate::JobId),
    /// The backend's storage is full (no space left, or over a quota):
    /// retrying helps once space is freed.
    #[error("job store is out of storage space")]
    Full(#[source] BoxError),
}

/// A blob store failure.
#[derive(Debug, Error)]
pub enum BlobError {
    #[error("no object at {0}")]
    NotFound(String),
    #[error("object {key} is {size} bytes, over the limit of {limit}")]
    TooLarge { key: String, size: u64, limit: u64 },
    #[error("blob store backend failed")]
    Backend(#[source] BoxError),
    /// The backend's storage is full (no space left, or over a quota):
    /// retrying helps once space is freed.
    #[error("blob store is out of storage space")]
    Full(#[source] BoxError),
}

/// A work queue failure.
#[derive(Debug, Error)]
#[error("work queue backend failed")]
pub struct QueueError(#[source] pub BoxError);

/// Failure of an API use case.
#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("{0}")]
    InvalidSpec(#[from] SpecError),
    #[error("{0}")]
    InvalidRequest(String),
    /// The callback URL names a destination the server does not call back.
    #[error("{0}")]
    CallbackNotAllowed(String),
    /// The variants ask for more output pixels than the server allows.
    #[error("{0}")]
    WorkBudgetExceeded(#[from] crate::budget::BudgetExceeded),
    #[error("declared content length {declared} is over the limit of {limit} bytes")]
    TooLarge { declared: u64, limit: u64 },
    #[error("content type {0:?} is not an accepted image type")]
    UnsupportedMediaType(String),
    #[error("no such job")]
    NotFound,
    #[error("job store failed")]
    Store(#[from] StoreError),
    #[error("blob store failed")]
    Blob(#[from] BlobError),
}

impl ServiceError {
    /// Whether the job or blob store refused for lack of storage space.
    pub fn is_storage_full(&self) -> bool {
        matches!(
            self,
            ServiceError::Store(StoreError::Full(_)) | ServiceError::Blob(BlobError::Full(_))
        )
    }
}
