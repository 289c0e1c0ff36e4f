//! pixpipe's test tooling, a dev-dependency of the crates whose tests need it
//! and of no product crate (it depends on them, never the other way round).
//!
//! - [`template`]: `template.yaml` parsed, CloudFormation intrinsics evaluated.
//! - [`provision`]: the template's own resources on a local AWS-protocol server
//!   (moto): tables, queues and their policy, buckets and their policies;
//!   [`local_sdk`] / [`local_sdk_from_env`] for the SDK settings of that server.
//! - [`metrics`]: [`MemoryMetrics`], EMF lines kept in memory.
//! - [`contract`]: the ports' contract suite, run by each backend's tests
//!   through [`contract_tests!`].

pub mod contract;
pub mod metrics;
pub mod provision;
pub mod template;

pub use metrics::MemoryMetrics;
pub use provision::{
    LocalEndpointError, Plan, ProvisionError, Stack, local_sdk, local_sdk_from_env, provision,
};
