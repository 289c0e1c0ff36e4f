//! The worker Lambda: SQS batches of S3 upload notifications through
//! `pixpipe_lambda::handle_batch`, answering with the partial batch failures.
//! Environment: `pixpipe_aws::AwsConfig` and `pixpipe_lambda::WorkerEnv`.

use std::convert::Infallible;

use anyhow::Context as _;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use pixpipe_aws::{AwsConfig, connect};
use pixpipe_lambda::{WorkerDeps, WorkerEnv, handle_batch, telemetry};
use tracing::error;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let result = run().await;
    if let Err(e) = &result {
        error!(error.cause_chain = ?e, "worker function stopped");
    }
    result
}

async fn run() -> anyhow::Result<()> {
    let cfg = AwsConfig::from_env().context("reading the AWS resource names")?;
    let env = WorkerEnv::from_env().context("reading the worker settings")?;
    let aws = connect(&cfg).await;
    let deps = WorkerDeps::new(&aws, &cfg, env.limits);
    let deps = &deps;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Infallible>(handle_batch(event.payload, deps).await)
    }))
    .await
    .map_err(anyhow::Error::from_boxed)
    .context("Lambda runtime failed")
}
