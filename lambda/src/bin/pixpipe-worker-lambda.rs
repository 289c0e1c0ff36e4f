//! The worker Lambda: SQS batches of S3 upload notifications through
//! `pixpipe_lambda::handle_batch`, answering with the partial batch failures.
//! Settings: `pixpipe_lambda::WorkerFunction`, from the environment.
//! Callbacks of the jobs a batch finished are sent before the invocation
//! returns, within its deadline.

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use pixpipe_config::telemetry::{self, Output};
use pixpipe_config::{Warning, startup};
use pixpipe_lambda::{WorkerDeps, WorkerFunction, handle_batch};
use tracing::{error, warn};

fn main() -> anyhow::Result<()> {
    // Before the runtime's threads exist (see the function's docs).
    pixpipe_worker::memory::reuse_freed_memory();
    tokio::runtime::Runtime::new()
        .context("starting the async runtime")?
        .block_on(serve())
}

async fn serve() -> anyhow::Result<()> {
    telemetry::init(Output::Lambda);
    let result = run().await;
    if let Err(e) = &result {
        error!(error.cause_chain = ?e, "worker function stopped");
    }
    result
}

async fn run() -> anyhow::Result<()> {
    let settings = WorkerFunction::from_env().context("reading the settings")?;
    let (cfg, aws) = startup::connect_aws(&settings.aws, &settings.job)
        .await
        .context("reading the AWS resource names")?;
    if settings.worker.callback_secret.is_none() {
        Warning::NoCallbackSecret.log();
    }
    let deps = WorkerDeps::new(&aws, &cfg, &settings);
    let callbacks = deps.pipeline.callbacks.clone();
    let (deps, callbacks) = (&deps, &callbacks);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let deadline = event.context.deadline;
        let response = handle_batch(event.payload, deps).await;
        // A frozen function sends nothing: finish this batch's callbacks
        // (retries included) while the invocation lasts.
        let left = match callbacks {
            Some(callbacks) => callbacks.drain(time_left(deadline)).await,
            None => 0,
        };
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
