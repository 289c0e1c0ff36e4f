//! The worker Lambda: SQS batches of S3 upload notifications through
//! `pixpipe_lambda::handle_batch`, answering with the partial batch failures.
//! Environment: `pixpipe_aws::AwsConfig` and `pixpipe_lambda::WorkerEnv`.
//! Callbacks of the jobs a batch finished are sent before the invocation
//! returns, within its deadline.

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use pixpipe_aws::{AwsConfig, connect};
use pixpipe_lambda::{WorkerDeps, WorkerEnv, handle_batch, telemetry};
use pixpipe_worker::Notifier;
use tracing::{error, warn};

fn main() -> anyhow::Result<()> {
    // Before the runtime's threads exist (see the function's docs).
    pixpipe_worker::memory::reuse_freed_memory();
    tokio::runtime::Runtime::new()
        .context("starting the async runtime")?
        .block_on(serve())
}

async fn serve() -> anyhow::Result<()> {
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
    if env.callbacks.secret.is_none() {
        warn!("PIXPIPE_CALLBACK_SECRET is unset: jobs' callbacks will not be sent");
    }
    let callbacks = Notifier::new(env.callbacks.clone(), pixpipe_core::view::job_json);
    let mut deps = WorkerDeps::new(&aws, &cfg, env.limits);
    deps.pipeline.callbacks = Some(callbacks.clone());
    let (deps, callbacks) = (&deps, &callbacks);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let deadline = event.context.deadline;
        let response = handle_batch(event.payload, deps).await;
        // A frozen function sends nothing: finish this batch's callbacks
        // (retries included) while the invocation lasts.
        let left = callbacks.drain(time_left(deadline)).await;
        if left > 0 {
            warn!(
                left,
                "callbacks unfinished when the invocation ran out of time"
            );
        }
        Ok::<_, Infallible>(response)
    }))
    .await
    .map_err(anyhow::Error::from_boxed)
    .context("Lambda runtime failed")
}

/// Time until `deadline` (ms since the epoch) less a margin for answering.
fn time_left(deadline_ms: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_millis(deadline_ms)
        .saturating_sub(now)
        .saturating_sub(Duration::from_secs(2))
}
