//! Integration tests of the AWS adapters against a moto server: real SDK calls,
//! real presigned HTTP uploads. They need `AWS_ENDPOINT_URL` and fail (never
//! skip) without it: `scripts/moto-server && AWS_ENDPOINT_URL=http://127.0.0.1:5055
//! cargo test -p pixpipe-aws; scripts/moto-server stop`.

mod common;
mod contract;
mod deletion;
mod dynamo;
mod pipeline;
mod queue;
mod s3;
