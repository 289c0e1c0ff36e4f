//! The long-running consumer: N workers pulling deliveries from a
//! [`WorkQueue`] and handing each to the [`Pipeline`].

use std::sync::Arc;
use std::time::Duration;

use pixpipe_core::{Delivery, WorkQueue};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, error, info_span, warn};

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

/// Longest pause between receives that keep failing (a full disk, a store
/// that is down): the pause doubles from the poll wait up to this.
const MAX_RECEIVE_PAUSE: Duration = Duration::from_secs(30);

/// First pause before trying again to settle a delivery.
const FIRST_SETTLE_PAUSE: Duration = Duration::from_millis(250);

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
                let mut pause = config.poll_wait;
                while !*shutdown.borrow() {
                    let received = tokio::select! {
                        r = queue.receive(1, config.visibility, config.poll_wait) => r,
                        _ = shutdown.changed() => break,
                    };
                    match received {
                        Ok(batch) => {
                            pause = config.poll_wait;
                            for delivery in batch {
                                handle_within(
                                    queue.as_ref(),
                                    &pipeline,
                                    &delivery,
                                    config.visibility,
                                )
                                .await;
                            }
                        }
                        Err(e) => {
                            error!(error = ?e, retry_in = ?pause, "receive failed");
                            tokio::select! {
                                () = tokio::time::sleep(pause) => {}
                                _ = shutdown.changed() => break,
                            }
                            pause = (pause * 2).min(MAX_RECEIVE_PAUSE.max(config.poll_wait));
                        }
                    }
                }
            }
            .instrument(info_span!("worker", n)),
        );
    }
    while tasks.join_next().await.is_some() {}
}

/// Runs one delivery and settles it with the queue, received with the
/// default visibility timeout.
pub async fn handle(queue: &dyn WorkQueue, pipeline: &Pipeline, delivery: &Delivery) -> Outcome {
    let visibility = RunnerConfig::default().visibility;
    handle_within(queue, pipeline, delivery, visibility).await
}

/// Runs one delivery, received just now hidden for `visibility`, and settles
/// it with the queue. A settle that fails (the store is full or down) is
/// tried again with growing pauses while the delivery is hidden, so that
/// the job comes back after its backoff as soon as the store recovers,
/// not only when the visibility timeout ends.
async fn handle_within(
    queue: &dyn WorkQueue,
    pipeline: &Pipeline,
    delivery: &Delivery,
    visibility: Duration,
) -> Outcome {
    let hidden_until = Instant::now() + visibility;
    let last = delivery.receive_count >= queue.max_receives();
    let outcome = pipeline
        .run(delivery.job_id, delivery.receive_count, last)
        .await;
    let mut pause = FIRST_SETTLE_PAUSE;
    loop {
        let settled = if outcome.is_final() {
            queue.ack(delivery).await
        } else {
            queue
                .release(delivery, backoff(delivery.receive_count))
                .await
        };
        let Err(e) = settled else { break };
        if Instant::now() + pause >= hidden_until {
            // The delivery comes back after its visibility timeout; the claim rules make that safe.
            error!(error = ?e, job_id = %delivery.job_id, "could not settle delivery");
            break;
        }
        warn!(error = ?e, job_id = %delivery.job_id, retry_in = ?pause, "could not settle delivery; trying again");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_RECEIVE_PAUSE);
    }
    outcome
}
