//! The two Lambda functions' tests, one binary: the API function's handler
//! with API Gateway v2 events and the worker function's handler with SQS
//! batches, against the local AWS-protocol server; the built binaries' cold
//! start against a bare Runtime API listener; with the `runtime-test`
//! feature, the built binaries under an emulated Lambda Runtime API.

mod api;
mod cold_start;
mod common;
mod dead_letters;
#[cfg(feature = "runtime-test")]
mod runtime;
mod worker;
