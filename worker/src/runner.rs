//! The long-running consumer: N workers pulling deliveries from a
//! [`WorkQueue`] and handing each to the [`Pipeline`].

use std::sync::Arc;
use std::time::Duration;

use pixpipe_core::{Delivery, WorkQueue};
use tokio::sync::watch;
use tracing::{Instrument, error, info_span};

use crate::pipeline::{Outcome, Pipeline};

/// How workers use the queue.
#[derive(Debug, Clone, Copy)]
pub struct RunnerConfig {
    /// Concurrent jobs.
    pub workers: usize,
    /// How long a delivery stays hidden while a worker runs it.
    pub visibility: Duration,
    /// Longest wait for a delivery in one receive call.
    pub poll_wait: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            visibility: Duration::from_secs(300),
            poll_wait: Duration::from_secs(1),
        }
    }
}

/// Delay before delivery `n + 1` after a transient failure of delivery `n`.
pub fn backoff(receive_count: u32) -> Duration {
    Duration::from_secs(1u64 << receive_count.min(6))
}

/// Runs the workers until `shutdown` turns true; each finishes its current job first.
pub async fn run(
    queue: Arc<dyn WorkQueue>,
    pipeline: Pipeline,
    config: RunnerConfig,
    shutdown: watch::Receiver<bool>,
) {
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..config.workers {
        let (queue, pipeline, mut shutdown) = (queue.clone(), pipeline.clone(), shutdown.clone());
        tasks.spawn(
            async move {
                while !*shutdown.borrow() {
                    let received = tokio::select! {
                        r = queue.receive(1, config.visibility, config.poll_wait) => r,
                        _ = shutdown.changed() => break,
                    };
                    match received {
                        Ok(batch) => {
                            for delivery in batch {
                                handle(queue.as_ref(), &pipeline, &delivery).await;
                            }
                        }
                        Err(e) => {
                            error!(error = ?e, "receive failed");
                            tokio::time::sleep(config.poll_wait).await;
                        }
                    }
                }
            }
            .instrument(info_span!("worker", n)),
        );
    }
    while tasks.join_next().await.is_some() {}
}

/// Runs one delivery and settles it with the queue.
pub async fn handle(queue: &dyn WorkQueue, pipeline: &Pipeline, delivery: &Delivery) -> Outcome {
    let last = delivery.receive_count >= queue.max_receives();
    let outcome = pipeline
        .run(delivery.job_id, delivery.receive_count, last)
        .await;
    let settled = if outcome.is_final() {
        queue.ack(delivery).await
    } else {
        queue
            .release(delivery, backoff(delivery.receive_count))
            .await
    };
    if let Err(e) = settled {
        // The delivery comes back after its visibility timeout; the claim rules make that safe.
        error!(error = ?e, job_id = %delivery.job_id, "could not settle delivery");
    }
    outcome
}
