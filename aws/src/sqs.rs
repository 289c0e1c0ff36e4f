//! [`SqsQueue`]: the `WorkQueue` over the SQS queue that the source bucket's
//! `ObjectCreated` notifications feed.
//!
//! Each message is read by [`crate::messages::plan`], as the worker Lambda
//! reads it. S3 test events, and objects whose key is not `uploads/{uuid}`
//! (or, when [`SqsQueue::only_bucket`] is set, that come from another bucket)
//! are logged by message id and deleted at once; a body that is not an S3
//! event is logged and left alone, so that its receives run out and the
//! queue's redrive policy keeps it in the dead-letter queue for inspection.
//!
//! Every created-object record becomes one [`Delivery`] with the message's
//! receipt handle. S3 puts one record in each message, but should a message
//! carry several, their deliveries share the receipt: acking any of them
//! deletes the message for all, and releasing one delays all. Each record's
//! job still runs once (all its deliveries are in the batch), but once a
//! sibling is acked the message is gone: a later `release` of another record
//! fails, so that job gets no retry and stays `processing`.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use pixpipe_core::{Delivery, QueueError, WorkQueue};
use tracing::{info_span, warn};

use crate::error::CallError;
use crate::messages::{self, Plan};

/// Longest long-poll wait SQS allows.
pub const MAX_WAIT: Duration = Duration::from_secs(20);
/// Longest visibility timeout SQS allows.
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);
/// Most messages one ReceiveMessage returns.
const MAX_BATCH: usize = 10;

const SQS: &str = "SQS";

/// A queue of S3 `ObjectCreated` notifications for `uploads/{job id}`.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    max_receives: u32,
    only_bucket: Option<String>,
    poison_hidden_for: Option<Duration>,
}

fn queue_error(operation: &'static str, source: impl Into<pixpipe_core::BoxError>) -> QueueError {
    QueueError(CallError::boxed(SQS, operation, source))
}

/// Whole seconds for an SQS duration parameter, rounded up, at most `max`.
fn seconds(d: Duration, max: Duration) -> i32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.min(max.as_secs()) as i32
}

impl SqsQueue {
    /// `max_receives` should match the queue's redrive policy (see the crate docs).
    pub fn new(client: Client, queue_url: impl Into<String>, max_receives: u32) -> Self {
        SqsQueue {
            client,
            queue_url: queue_url.into(),
            max_receives,
            only_bucket: None,
            poison_hidden_for: None,
        }
    }

    /// Ignores (logs and deletes) records of any bucket but `bucket`.
    pub fn only_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.only_bucket = Some(bucket.into());
        self
    }

    /// Hides a message that is not an S3 event for `hidden` when it is
    /// received (for a dead-letter queue, which keeps such messages for
    /// inspection and has no redrive of its own), instead of for the
    /// receive's visibility timeout.
    pub fn keep_poison_hidden(mut self, hidden: Duration) -> Self {
        self.poison_hidden_for = Some(hidden);
        self
    }

    /// The underlying SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    async fn change_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds(timeout, MAX_VISIBILITY))
            .send()
            .await
            .map_err(|e| queue_error("ChangeMessageVisibility", e))?;
        Ok(())
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| queue_error("DeleteMessage", e))?;
        Ok(())
    }

    /// What to do with one message: run its deliveries, delete it, or leave
    /// it (poison: its receives run out and the queue dead-letters it).
    fn read(&self, message: &Message, receipt: &str) -> Read {
        let raw_count = message
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
            .map(String::as_str);
        let span = info_span!(
            "sqs_message",
            message_id = message.message_id().unwrap_or("?")
        );
        let _entered = span.enter();
        let plan = messages::plan(
            message.body(),
            raw_count,
            self.only_bucket.as_deref(),
            self.max_receives,
        );
        messages::log_plan(&plan, raw_count, message.body().map_or(0, str::len));
        match plan {
            Plan::Poison => Read::Leave,
            Plan::TestEvent => Read::Delete,
            Plan::Jobs {
                jobs,
                receive_count,
                ..
            } if !jobs.is_empty() => Read::Run(
                jobs.into_iter()
                    .map(|job_id| Delivery {
                        job_id,
                        receipt: receipt.to_owned(),
                        receive_count,
                    })
                    .collect(),
            ),
            Plan::Jobs { .. } => Read::Delete,
        }
    }
}

/// What [`SqsQueue::read`] decided for one message.
enum Read {
    Run(Vec<Delivery>),
    Delete,
    Leave,
}

#[async_trait]
impl WorkQueue for SqsQueue {
    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max.min(MAX_BATCH) as i32)
            .visibility_timeout(seconds(visibility, MAX_VISIBILITY))
            .wait_time_seconds(seconds(wait, MAX_WAIT))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| queue_error("ReceiveMessage", e))?;
        let mut deliveries = Vec::new();
        for message in out.messages.unwrap_or_default() {
            let Some(receipt) = message.receipt_handle() else {
                continue;
            };
            match self.read(&message, receipt) {
                Read::Run(found) => deliveries.extend(found),
                Read::Leave => {
                    if let Some(hidden) = self.poison_hidden_for
                        && let Err(e) = self.change_visibility(receipt, hidden).await
                    {
                        warn!(error = ?e, message_id = message.message_id().unwrap_or("?"), "could not hide a kept message");
                    }
                }
                // Nothing to run: delete now. If that fails the message comes
                // back after its visibility timeout and is dropped again.
                Read::Delete => {
                    if let Err(e) = self.delete(receipt).await {
                        warn!(error = ?e, message_id = message.message_id().unwrap_or("?"), "could not delete a dropped message");
                    }
                }
            }
        }
        Ok(deliveries)
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        self.delete(&delivery.receipt).await
    }

    async fn release(&self, delivery: &Delivery, delay: Duration) -> Result<(), QueueError> {
        self.change_visibility(&delivery.receipt, delay).await
    }

    async fn extend(&self, delivery: &Delivery, visibility: Duration) -> Result<(), QueueError> {
        self.change_visibility(&delivery.receipt, visibility).await
    }

    fn max_receives(&self) -> u32 {
        self.max_receives
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_up_and_clamp() {
        assert_eq!(seconds(Duration::ZERO, MAX_WAIT), 0);
        assert_eq!(seconds(Duration::from_millis(1), MAX_WAIT), 1);
        assert_eq!(seconds(Duration::from_millis(1500), MAX_WAIT), 2);
        assert_eq!(seconds(Duration::from_secs(300), MAX_WAIT), 20);
        assert_eq!(seconds(Duration::from_secs(300), MAX_VISIBILITY), 300);
        assert_eq!(
            seconds(Duration::from_secs(u64::MAX), MAX_VISIBILITY),
            43_200
        );
    }
}
