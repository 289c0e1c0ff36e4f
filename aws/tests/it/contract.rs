//! The ports' contract (`pixpipe_testkit::contract`) on the AWS adapters
//! against moto: `DynamoJobs`, `S3Blobs` and `SqsQueue` over a fresh set of
//! `template.yaml`'s resources per test.
//!
//! Work items arrive as in production: an object put at `uploads/{job id}`
//! in the source bucket, whose `ObjectCreated` notification (made by the
//! provisioning from the template) lands in the queue. A dead letter is a
//! message about that object in the dead-letter queue the redrive policy
//! names.
//!
//! The queue adapter is made as `SqsQueue::new` asks: `max_receives` the
//! redrive policy's `maxReceiveCount`. `pixpipe_aws::clients` instead gives
//! it `PIXPIPE_MAX_ATTEMPTS`, which the template's redrive exceeds by one (a
//! receive kept for a crash during the last attempt), so wired that way an
//! item is delivered `max_receives() + 1` times before SQS parks it.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sqs::types::QueueAttributeName;
use pixpipe_aws::{Aws, S3Message, SqsQueue, clients};
use pixpipe_core::{BlobStore, JobId, JobStore, WorkQueue};
use pixpipe_testkit::Plan;
use pixpipe_testkit::contract::Backend;

use crate::common::sdk;

/// DynamoDB, S3 and SQS adapters over one test's resources.
pub struct AwsBackend {
    aws: Aws,
    queue: SqsQueue,
    source_bucket: String,
    dead_letter_url: String,
}

/// `maxReceiveCount` of the queue's redrive policy (a number or a string).
async fn max_receive_count(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> u32 {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes
        .unwrap_or_default();
    let policy = attrs
        .get(&QueueAttributeName::RedrivePolicy)
        .expect("the queue has a redrive policy");
    let policy: serde_json::Value = serde_json::from_str(policy).expect("redrive policy JSON");
    let count = &policy["maxReceiveCount"];
    count
        .as_u64()
        .or_else(|| count.as_str().and_then(|s| s.parse().ok()))
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_else(|| panic!("maxReceiveCount in {policy}"))
}

pub async fn open() -> AwsBackend {
    let sdk = sdk().await;
    let plan = Plan::unique("ct").parameter("MaxAttempts", "3");
    let stack = pixpipe_testkit::provision(&sdk, &plan)
        .await
        .expect("resources from template.yaml");
    let aws = clients(&stack.config, &sdk);
    let sqs = aws.queue.client().clone();
    let max_receives = max_receive_count(&sqs, &stack.config.queue_url).await;
    let queue = SqsQueue::new(sqs, &stack.config.queue_url, max_receives)
        .only_bucket(&stack.config.source_bucket);
    let dead_letter_url = stack
        .reference("UploadsDeadLetterQueue")
        .expect("the dead-letter queue")
        .to_owned();
    AwsBackend {
        source_bucket: stack.config.source_bucket.clone(),
        aws,
        queue,
        dead_letter_url,
    }
}

#[async_trait]
impl Backend for AwsBackend {
    fn jobs(&self) -> &dyn JobStore {
        self.aws.jobs.as_ref()
    }

    fn blobs(&self) -> &dyn BlobStore {
        self.aws.blobs.as_ref()
    }

    fn queue(&self) -> &dyn WorkQueue {
        &self.queue
    }

    /// The job's source arrives in the source bucket.
    async fn enqueue(&self, job: JobId) {
        self.aws
            .blobs
            .client()
            .put_object()
            .bucket(&self.source_bucket)
            .key(job.source_key())
            .content_type("image/jpeg")
            .body(ByteStream::from_static(b"\xff\xd8\xff\xe0"))
            .send()
            .await
            .expect("PutObject");
    }

    /// A notification of the job's source is in the dead-letter queue (read
    /// with no visibility timeout, so it stays there for the next look).
    async fn dead_lettered(&self, job: JobId) -> bool {
        let out = self
            .queue
            .client()
            .receive_message()
            .queue_url(&self.dead_letter_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("ReceiveMessage of the dead-letter queue");
        out.messages().iter().any(|message| {
            match pixpipe_aws::events::parse(message.body().unwrap_or("")) {
                S3Message::Objects(objects) => objects
                    .iter()
                    .any(|o| o.bucket == self.source_bucket && o.key == job.source_key()),
                _ => false,
            }
        })
    }
}

pixpipe_testkit::contract_tests!(open);
