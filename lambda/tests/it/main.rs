//! The two Lambda functions' tests, one binary: the API function's handler
//! with API Gateway v2 events and the worker function's handler with SQS
//! batches, against the local AWS-protocol server.

mod api;
mod cold_start;
mod common;
mod dead_letters;
mod worker;
