//! SQS from the template: `AWS::SQS::Queue` (timeouts, retention, redrive to a
//! dead-letter queue, managed encryption) and `AWS::SQS::QueuePolicy`.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Value as Json, json};

use super::props::{Props, invalid};
use super::{ProvisionError, call_error};

const SQS: &str = "SQS";

/// A created queue: URL (its `Ref`) and ARN.
pub struct Queue {
    pub url: String,
    pub arn: String,
}

/// Creates queue `name` as `props` declares.
pub async fn create_queue(
    sqs: &Client,
    name: &str,
    mut props: Props,
) -> Result<Queue, ProvisionError> {
    let mut request = sqs.create_queue().queue_name(name);
    for (key, attribute) in [
        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
        (
            "ReceiveMessageWaitTimeSeconds",
            QueueAttributeName::ReceiveMessageWaitTimeSeconds,
        ),
        (
            "MessageRetentionPeriod",
            QueueAttributeName::MessageRetentionPeriod,
        ),
        ("DelaySeconds", QueueAttributeName::DelaySeconds),
        ("MaximumMessageSize", QueueAttributeName::MaximumMessageSize),
    ] {
        if let Some(n) = props.int(key)? {
            request = request.attributes(attribute, n.to_string());
        }
    }
    if let Some(enabled) = props.bool("SqsManagedSseEnabled")? {
        request = request.attributes(
            QueueAttributeName::SqsManagedSseEnabled,
            enabled.to_string(),
        );
    }
    if let Some(mut redrive) = props.object("RedrivePolicy")? {
        let target = redrive.required_string("deadLetterTargetArn")?;
        let receives = redrive
            .int("maxReceiveCount")?
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| invalid(&redrive.at, "maxReceiveCount from 1 to 1000 is required"))?;
        redrive.finish()?;
        let policy = json!({"deadLetterTargetArn": target, "maxReceiveCount": receives});
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    props.accept("QueueName");
    props.finish()?;
    let url = request
        .send()
        .await
        .map_err(|e| call_error(SQS, "CreateQueue", e))?
        .queue_url
        .ok_or_else(|| call_error(SQS, "CreateQueue", "no queue URL in the answer"))?;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| call_error(SQS, "GetQueueAttributes", e))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| call_error(SQS, "GetQueueAttributes", "no QueueArn in the answer"))?;
    Ok(Queue { url, arn })
}

/// Sets the policy document on each queue URL of `Queues`.
pub async fn put_queue_policy(sqs: &Client, mut props: Props) -> Result<(), ProvisionError> {
    let queues = props.strings("Queues")?;
    let policy = policy_document(&mut props)?;
    props.finish()?;
    for url in queues {
        sqs.set_queue_attributes()
            .queue_url(url)
            .attributes(QueueAttributeName::Policy, &policy)
            .send()
            .await
            .map_err(|e| call_error(SQS, "SetQueueAttributes", e))?;
    }
    Ok(())
}

/// `PolicyDocument` as JSON text.
pub fn policy_document(props: &mut Props) -> Result<String, ProvisionError> {
    match props.take("PolicyDocument") {
        Some(doc @ Json::Object(_)) => Ok(doc.to_string()),
        Some(Json::String(text)) => Ok(text),
        _ => Err(invalid(&props.at, "PolicyDocument is required").into()),
    }
}
