//! The long-running consumer: N workers pulling deliveries from a
//! [`WorkQueue`] and handing each to the [`Pipeline`].
//!
//! A delivery is a lease: hidden from other workers for the visibility
//! timeout, which the worker renews every third of it while the job runs. A
//! job may so take as long as it needs while a worker that dies (crash, kill,
//! power cut) gives its item back within one visibility timeout.
//!
//! When a receive finds no work and no worker is busy, the first such worker
//! returns the memory freed since the last job to the kernel
//! ([`crate::memory::return_free_memory`]).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use pixpipe_core::{Delivery, WorkQueue};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tracing::{Instrument, error, info_span, warn};

use crate::pipeline::{Outcome, Pipeline};

/// How workers use the queue.
#[derive(Debug, Clone, Copy)]
pub struct RunnerConfig {
    /// Concurrent jobs.
    pub workers: usize,
    /// How long a delivery stays hidden without a renewal of its lease;
    /// renewed every third of it while the job runs.
    pub visibility: Duration,
    /// Longest wait for a delivery in one receive call.
    pub poll_wait: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            visibility: DEFAULT_VISIBILITY,
            poll_wait: Duration::from_secs(1),
        }
    }
}

/// The default visibility timeout: how soon a dead worker's item comes back.
pub const DEFAULT_VISIBILITY: Duration = Duration::from_secs(30);

/// Shortest visibility timeout the runner accepts (renewals every second).
pub const MIN_VISIBILITY: Duration = Duration::from_secs(3);

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
    let idle = Arc::new(Idle::default());
    for n in 0..config.workers {
        let (queue, pipeline, mut shutdown) = (queue.clone(), pipeline.clone(), shutdown.clone());
        let idle = idle.clone();
        tasks.spawn(
            async move {
                let mut pause = config.poll_wait;
                while !*shutdown.borrow() {
                    let received = tokio::select! {
                        r = queue.receive(1, config.visibility, config.poll_wait) => r,
                        _ = shutdown.changed() => break,
                    };
                    match received {
                        Ok(batch) if batch.is_empty() => {
                            pause = config.poll_wait;
                            idle.trim_if_idle().await;
                        }
                        Ok(batch) => {
                            pause = config.poll_wait;
                            idle.busy.fetch_add(1, Ordering::SeqCst);
                            for delivery in batch {
                                handle(queue.as_ref(), &pipeline, &delivery, config.visibility)
                                    .await;
                            }
                            idle.dirty.store(true, Ordering::SeqCst);
                            idle.busy.fetch_sub(1, Ordering::SeqCst);
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

/// What the workers share to notice that they have all gone idle.
#[derive(Default)]
struct Idle {
    /// Workers running a batch now.
    busy: AtomicUsize,
    /// A job finished since memory was last returned.
    dirty: AtomicBool,
}

impl Idle {
    async fn trim_if_idle(&self) {
        if self.busy.load(Ordering::SeqCst) == 0 && self.dirty.swap(false, Ordering::SeqCst) {
            let started = Instant::now();
            let _ = tokio::task::spawn_blocking(crate::memory::return_free_memory).await;
            tracing::debug!(took = ?started.elapsed(), "workers idle: free memory returned");
        }
    }
}

/// Runs one delivery, renewing its lease for `visibility` as it goes, and
/// settles it with the queue. A settle that fails (the store is full or
/// down) is tried again with growing pauses while the delivery is still
/// hidden, so that the job comes back after its backoff as soon as the store
/// recovers, not only when the visibility timeout ends.
pub async fn handle(
    queue: &dyn WorkQueue,
    pipeline: &Pipeline,
    delivery: &Delivery,
    visibility: Duration,
) -> Outcome {
    let last = delivery.receive_count >= queue.max_receives();
    let work = pipeline.run(delivery.job_id, delivery.receive_count, last);
    let outcome = with_lease(queue, delivery, visibility, work).await;
    // The lease was last renewed at most a third of `visibility` ago.
    let hidden_until = Instant::now() + visibility * 2 / 3;
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

/// Drives `work` to its end, renewing the delivery's lease every third of
/// `visibility`. A failed renewal is logged and tried again at the next tick:
/// if the lease lapses, another worker may start the job, and the job's
/// compare-and-swap claim keeps the two from both finishing it.
pub async fn with_lease<F: Future>(
    queue: &dyn WorkQueue,
    delivery: &Delivery,
    visibility: Duration,
    work: F,
) -> F::Output {
    let every = (visibility / 3).max(Duration::from_secs(1));
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = ticks.tick() => {
                if let Err(e) = queue.extend(delivery, visibility).await {
                    warn!(error = ?e, job_id = %delivery.job_id, "could not renew the lease");
                }
            }
        }
    }
}
