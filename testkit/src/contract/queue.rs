//! `WorkQueue`'s promises: a waiting receive takes an item as it arrives,
//! and at most `max` at a time; a delivery stays hidden for its visibility
//! timeout and then comes back with `receive_count` one higher; `extend`
//! keeps it hidden; `release(delay)` brings it back after the delay; `ack`
//! removes it for good; after `max_receives()` receives without an ack the
//! item goes to the dead-letter state and is never delivered again.
//!
//! Items get in through [`Backend::enqueue`], dead letters are seen through
//! [`Backend::dead_lettered`]. Visibility timeouts are whole seconds (SQS
//! counts in seconds) and short, so each test takes seconds.

use std::time::Duration;

use pixpipe_core::{Delivery, JobId, WorkQueue};
use tokio::time::Instant;

use super::Backend;

/// The visibility timeout of the tests that wait for it to pass.
const VISIBILITY: Duration = Duration::from_secs(2);
/// A visibility timeout no test waits for.
const LONG: Duration = Duration::from_secs(60);
/// How long a delivery may be late: the first arrival through a backend's
/// producer, or a redelivery after its time.
const LATE: Duration = Duration::from_secs(8);
/// How much earlier than its time a redelivery may be seen: the backends
/// count time in milliseconds, the test in nanoseconds.
const EARLY: Duration = Duration::from_millis(100);

/// Receives until a delivery arrives, at most `within`; exactly one item
/// may be in the queue. Also returns when the receive that delivered it
/// began: the delivery is hidden from then on for (at least) `visibility`.
async fn next_delivery(
    queue: &dyn WorkQueue,
    visibility: Duration,
    within: Duration,
) -> (Delivery, Instant) {
    let deadline = Instant::now() + within;
    loop {
        let now = Instant::now();
        assert!(now < deadline, "nothing delivered within {within:?}");
        let wait = (deadline - now).min(Duration::from_secs(1));
        let mut got = queue.receive(10, visibility, wait).await.expect("receive");
        assert!(got.len() <= 1, "one item in the queue, {got:?} delivered");
        if let Some(delivery) = got.pop() {
            return (delivery, now);
        }
    }
}

/// Receives for `period`, failing on any delivery.
async fn nothing_for(queue: &dyn WorkQueue, period: Duration, why: &str) {
    let deadline = Instant::now() + period;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let wait = (deadline - now).min(Duration::from_secs(1));
        let got = queue.receive(10, LONG, wait).await.expect("receive");
        assert!(got.is_empty(), "{why}: delivered {got:?}");
    }
}

async fn hidden_now(queue: &dyn WorkQueue, why: &str) {
    let got = queue
        .receive(10, LONG, Duration::ZERO)
        .await
        .expect("receive");
    assert!(got.is_empty(), "{why}: delivered {got:?}");
}

fn assert_delivery(delivery: &Delivery, job: JobId, receive_count: u32) {
    assert_eq!(
        (delivery.job_id, delivery.receive_count),
        (job, receive_count),
        "{delivery:?}"
    );
}

/// Enqueues a new item and receives it for the first time (see
/// [`next_delivery`]).
async fn first_delivery(backend: &dyn Backend, visibility: Duration) -> (JobId, Delivery, Instant) {
    let job = JobId::new();
    backend.enqueue(job).await;
    let (first, received_at) = next_delivery(backend.queue(), visibility, LATE).await;
    assert_delivery(&first, job, 1);
    (job, first, received_at)
}

/// A waiting `receive` returns an item that arrives during its wait, without
/// waiting the rest out; `receive(max, ..)` gives at most `max` deliveries,
/// and each of several items is delivered once.
pub async fn receive_waits_for_items_and_gives_at_most_max(backend: &dyn Backend) {
    let queue = backend.queue();
    let wait = Duration::from_secs(10);
    let job = JobId::new();
    let started = Instant::now();
    let mut calls = 0;
    let (got, ()) = tokio::join!(
        async {
            // SqsQueue drops a message that is no work item (the S3 test
            // event) and returns at once with nothing: a few receives are
            // allowed, not a busy loop.
            loop {
                calls += 1;
                let got = queue.receive(10, LONG, wait).await.expect("receive");
                if !got.is_empty() || calls == 3 {
                    break got;
                }
            }
        },
        async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            backend.enqueue(job).await;
        },
    );
    let after = started.elapsed();
    assert_eq!(got.len(), 1, "after {calls} receives: {got:?}");
    assert_delivery(&got[0], job, 1);
    assert!(
        after < wait - Duration::from_secs(3),
        "an item arriving after 1 s was delivered after {after:?}"
    );
    queue.ack(&got[0]).await.expect("ack");

    let jobs = [JobId::new(), JobId::new(), JobId::new()];
    for job in jobs {
        backend.enqueue(job).await;
    }
    let mut delivered = Vec::new();
    let deadline = Instant::now() + LATE;
    while delivered.len() < jobs.len() && Instant::now() < deadline {
        let batch = queue
            .receive(2, LONG, Duration::from_secs(1))
            .await
            .expect("receive");
        assert!(batch.len() <= 2, "receive(2, ..) gave {batch:?}");
        for delivery in batch {
            assert_eq!(delivery.receive_count, 1, "{delivery:?}");
            queue.ack(&delivery).await.expect("ack");
            delivered.push(delivery.job_id);
        }
    }
    delivered.sort_unstable();
    let mut want = jobs.to_vec();
    want.sort_unstable();
    assert_eq!(delivered, want, "each item delivered once");
}

/// A received item is hidden from every receive until its visibility
/// timeout passes, then delivered again with `receive_count` 2 and a new
/// receipt.
pub async fn delivery_is_hidden_until_its_visibility_passes(backend: &dyn Backend) {
    let queue = backend.queue();
    let (job, first, received_at) = first_delivery(backend, VISIBILITY).await;
    hidden_now(queue, "while its visibility timeout runs").await;

    let (again, _) = next_delivery(queue, VISIBILITY, VISIBILITY + LATE).await;
    let after = received_at.elapsed();
    assert_delivery(&again, job, 2);
    assert!(
        after + EARLY >= VISIBILITY,
        "delivered again after {after:?}, before its visibility timeout"
    );
    assert_ne!(
        again.receipt, first.receipt,
        "a new delivery, a new receipt"
    );
    queue.ack(&again).await.expect("ack");
}

/// `extend` renews the lease: renewed every second, a delivery stays hidden
/// twice as long as its visibility timeout, and comes back only a
/// visibility timeout after the last renewal.
pub async fn extend_keeps_a_delivery_hidden(backend: &dyn Backend) {
    let queue = backend.queue();
    let (job, first, _) = first_delivery(backend, VISIBILITY).await;
    let mut renewed_at = Instant::now();
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        hidden_now(queue, "between renewals").await;
        renewed_at = Instant::now();
        queue.extend(&first, VISIBILITY).await.expect("extend");
        hidden_now(queue, "renewed").await;
    }
    let (again, _) = next_delivery(queue, VISIBILITY, VISIBILITY + LATE).await;
    let after = renewed_at.elapsed();
    assert_delivery(&again, job, 2);
    assert!(
        after + EARLY >= VISIBILITY,
        "delivered again {after:?} after the last renewal"
    );
    queue.ack(&again).await.expect("ack");
}

/// `release(delay)` hands a delivery back: hidden until the delay passes
/// (however long its visibility timeout), then delivered with
/// `receive_count` one higher; `release` with no delay makes it receivable
/// at once.
pub async fn release_redelivers_after_the_delay(backend: &dyn Backend) {
    let queue = backend.queue();
    let (job, first, _) = first_delivery(backend, LONG).await;
    let delay = Duration::from_secs(2);
    let released_at = Instant::now();
    queue.release(&first, delay).await.expect("release");
    hidden_now(queue, "released with a delay").await;

    let (again, _) = next_delivery(queue, LONG, delay + LATE).await;
    let after = released_at.elapsed();
    assert_delivery(&again, job, 2);
    assert!(
        after + EARLY >= delay,
        "delivered {after:?} after a release with a delay of {delay:?}"
    );

    let released_at = Instant::now();
    queue
        .release(&again, Duration::ZERO)
        .await
        .expect("release");
    let (third, _) = next_delivery(queue, LONG, LATE).await;
    let after = released_at.elapsed();
    assert_delivery(&third, job, 3);
    assert!(
        after < delay,
        "released with no delay, delivered only after {after:?}"
    );
    queue.ack(&third).await.expect("ack");
}

/// An acked item is never delivered again, not even after its visibility
/// timeout, and is no dead letter; an item enqueued after it still is.
pub async fn ack_removes_the_item_for_good(backend: &dyn Backend) {
    let queue = backend.queue();
    let (job, first, _) = first_delivery(backend, VISIBILITY).await;
    queue.ack(&first).await.expect("ack");
    nothing_for(queue, VISIBILITY * 2, "acked").await;
    assert!(
        !backend.dead_lettered(job).await,
        "an acked item is a dead letter"
    );

    let (_, next, _) = first_delivery(backend, VISIBILITY).await;
    queue.ack(&next).await.expect("ack");
}

/// An item received `max_receives()` times without an ack goes to the
/// dead-letter state once its last visibility timeout passes: never
/// delivered again. The queue goes on delivering other items.
pub async fn item_is_dead_lettered_after_max_receives(backend: &dyn Backend) {
    let queue = backend.queue();
    let max = queue.max_receives();
    assert!(
        (1..=6).contains(&max),
        "max_receives {max}: give the test backend 1 to 6"
    );
    let visibility = Duration::from_secs(1);
    let (job, mut last, _) = first_delivery(backend, visibility).await;
    for count in 2..=max {
        assert!(
            !backend.dead_lettered(job).await,
            "a dead letter after {} receives",
            count - 1
        );
        last = next_delivery(queue, visibility, visibility + LATE).await.0;
        assert_delivery(&last, job, count);
    }
    nothing_for(
        queue,
        visibility * 3,
        &format!("received {max} times ({last:?})"),
    )
    .await;
    assert!(
        backend.dead_lettered(job).await,
        "not a dead letter after max_receives ({max}) receives"
    );
    nothing_for(queue, visibility, "a dead letter").await;

    let (_, other, _) = first_delivery(backend, visibility).await;
    queue.ack(&other).await.expect("ack");
}
