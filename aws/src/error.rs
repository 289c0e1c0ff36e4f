//! Errors of the AWS adapters. An SDK failure is kept whole as the source of a
//! [`CallError`] naming the service and operation, so a log of the cause chain
//! reads "DynamoDB PutItem failed: service error: ConditionalCheckFailed…".
//! Nothing here holds a request URL, a signature or credentials.

use pixpipe_core::BoxError;
use thiserror::Error;

/// One AWS API call that failed.
#[derive(Debug, Error)]
#[error("{service} {operation} failed")]
pub struct CallError {
    pub service: &'static str,
    pub operation: &'static str,
    #[source]
    pub source: BoxError,
}

impl CallError {
    pub(crate) fn new(
        service: &'static str,
        operation: &'static str,
        source: impl Into<BoxError>,
    ) -> Self {
        CallError {
            service,
            operation,
            source: source.into(),
        }
    }

    pub(crate) fn boxed(
        service: &'static str,
        operation: &'static str,
        source: impl Into<BoxError>,
    ) -> BoxError {
        Box::new(Self::new(service, operation, source))
    }
}

/// A key the blob store cannot place in either bucket.
#[derive(Debug, Error)]
#[error("object key {0:?} is neither under uploads/ nor results/")]
pub struct UnknownPrefix(pub String);

/// A stored job item that does not map back to a `Job`.
#[derive(Debug, Error)]
pub enum ItemError {
    #[error("item has no {0:?} attribute of the expected type")]
    Missing(&'static str),
    #[error("item's {0:?} attribute is malformed")]
    Malformed(&'static str),
    #[error("item's job document is not valid job JSON")]
    Doc(#[source] serde_json::Error),
    #[error("job could not be encoded as JSON")]
    Encode(#[source] serde_json::Error),
    #[error("item's {0:?} attribute disagrees with its job document")]
    Inconsistent(&'static str),
}
