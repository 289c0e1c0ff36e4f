//! Creates pixpipe's AWS resources the way `template.yaml` declares them,
//! for development and tests against a local AWS-protocol server (moto):
//! the private source bucket whose `uploads/` ObjectCreated events go to the
//! queue, the queue with its dead-letter queue and redrive, the public-read
//! results bucket (no notifications), and the jobs table.
//! In real AWS accounts deploy the SAM template instead.

use aws_config::SdkConfig;
use aws_sdk_s3::types::{
    CorsConfiguration, CorsRule, Event, FilterRule, FilterRuleName, NotificationConfiguration,
    NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::config::AwsConfig;
use crate::dynamo::create_table;
use crate::error::CallError;

const S3: &str = "S3";
const SQS: &str = "SQS";

/// SDK settings for a local AWS-protocol server at `endpoint`: the region
/// from `AWS_REGION` (default `us-east-1`) and, unless the environment has
/// credentials, dummy ones (a local server does not check them).
pub async fn local_sdk(endpoint: &str) -> SdkConfig {
    let region = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty());
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(crate::config::http_client())
        .region(aws_config::Region::new(
            region.unwrap_or_else(|| "us-east-1".to_owned()),
        ))
        .endpoint_url(endpoint);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "pixpipe-local-endpoint",
        ));
    }
    loader.load().await
}

/// Names and settings of one set of resources.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Prefix of every resource name (lowercase letters, digits, `-`).
    pub prefix: String,
    /// Deliveries before a transient failure fails a job; the redrive allows one more.
    pub max_attempts: u32,
    /// Worker timeout in seconds; the queue hides a message for six times this.
    pub worker_timeout_secs: u32,
    /// Where results are served; default: the results bucket's path-style URL.
    pub public_base_url: Option<String>,
}

/// Creates everything and returns the configuration that points at it.
pub async fn provision(sdk: &SdkConfig, plan: &Plan) -> Result<AwsConfig, CallError> {
    let endpoint = sdk.endpoint_url().map(str::to_owned);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(endpoint.is_some())
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let source = format!("{}-uploads", plan.prefix);
    let results = format!("{}-results", plan.prefix);
    let table = format!("{}-jobs", plan.prefix);

    let dlq_url = create_queue(&sqs, &format!("{}-dlq", plan.prefix), &[]).await?;
    let dlq_arn = queue_arn(&sqs, &dlq_url).await?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": (plan.max_attempts + 1).to_string(),
    });
    let queue_url = create_queue(
        &sqs,
        &format!("{}-uploads", plan.prefix),
        &[
            (
                QueueAttributeName::VisibilityTimeout,
                (plan.worker_timeout_secs * 6).to_string(),
            ),
            (
                QueueAttributeName::ReceiveMessageWaitTimeSeconds,
                "20".to_owned(),
            ),
            (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        ],
    )
    .await?;
    let queue_arn = queue_arn(&sqs, &queue_url).await?;
    let only_source = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{source}")}},
        }],
    });
    sqs.set_queue_attributes()
        .queue_url(&queue_url)
        .attributes(QueueAttributeName::Policy, only_source.to_string())
        .send()
        .await
        .map_err(|e| CallError::new(SQS, "SetQueueAttributes", e))?;

    for bucket in [&source, &results] {
        s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| CallError::new(S3, "CreateBucket", e))?;
    }
    let put_cors = CorsRule::builder()
        .allowed_methods("PUT")
        .allowed_origins("*")
        .allowed_headers("content-type")
        .max_age_seconds(3000)
        .build()
        .map_err(|e| CallError::new(S3, "PutBucketCors", e))?;
    s3.put_bucket_cors()
        .bucket(&source)
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(put_cors)
                .build()
                .map_err(|e| CallError::new(S3, "PutBucketCors", e))?,
        )
        .send()
        .await
        .map_err(|e| CallError::new(S3, "PutBucketCors", e))?;
    let uploads_only = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value("uploads/")
                        .build(),
                )
                .build(),
        )
        .build();
    let to_queue = QueueConfiguration::builder()
        .queue_arn(&queue_arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .filter(uploads_only)
        .build()
        .map_err(|e| CallError::new(S3, "PutBucketNotificationConfiguration", e))?;
    s3.put_bucket_notification_configuration()
        .bucket(&source)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(to_queue)
                .build(),
        )
        .send()
        .await
        .map_err(|e| CallError::new(S3, "PutBucketNotificationConfiguration", e))?;
    let public_read = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicReadResults",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{results}/results/*"),
        }],
    });
    s3.put_bucket_policy()
        .bucket(&results)
        .policy(public_read.to_string())
        .send()
        .await
        .map_err(|e| CallError::new(S3, "PutBucketPolicy", e))?;

    create_table(&aws_sdk_dynamodb::Client::new(sdk), &table).await?;

    let public_base_url = plan
        .public_base_url
        .clone()
        .unwrap_or_else(|| match &endpoint {
            Some(endpoint) => format!("{}/{results}", endpoint.trim_end_matches('/')),
            None => format!("https://{results}.s3.amazonaws.com"),
        });
    Ok(AwsConfig {
        source_bucket: source,
        results_bucket: results,
        jobs_table: table,
        queue_url,
        public_base_url,
        max_attempts: plan.max_attempts,
        endpoint_url: endpoint,
    })
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> Result<String, CallError> {
    let mut request = sqs.create_queue().queue_name(name);
    for (k, v) in attributes {
        request = request.attributes(k.clone(), v);
    }
    let out = request
        .send()
        .await
        .map_err(|e| CallError::new(SQS, "CreateQueue", e))?;
    out.queue_url
        .ok_or_else(|| CallError::new(SQS, "CreateQueue", "no queue URL in the answer"))
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, CallError> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| CallError::new(SQS, "GetQueueAttributes", e))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| CallError::new(SQS, "GetQueueAttributes", "no QueueArn in the answer"))
}
