//! The two Lambda functions' tests, one binary: the API function's handler
//! with API Gateway v2 events and the worker function's handler with SQS
//! batches, against the local AWS-protocol server; with the `runtime-test`
//! feature, the built binaries under an emulated Lambda Runtime API.

mod api;
mod common;
#[cfg(feature = "runtime-test")]
mod runtime;
mod worker;
