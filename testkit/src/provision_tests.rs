//! [`provision`] against moto (`AWS_ENDPOINT_URL`, required, never skipped):
//! what it made matches what `template.yaml` declares, read back through the
//! AWS APIs.

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use super::*;
use crate::template::SAM_TEMPLATE;

/// The SDK config for moto at `AWS_ENDPOINT_URL`; panics with how to start it.
async fn sdk() -> SdkConfig {
    local_sdk_from_env().await.unwrap_or_else(|e| {
        panic!(
            "{e}: these tests need a moto server; start it with `scripts/moto-server` and run \
             `AWS_ENDPOINT_URL=http://127.0.0.1:5055 cargo test -p pixpipe-testkit`"
        )
    })
}

#[tokio::test]
async fn provisioned_resources_match_the_template() {
    let sdk = sdk().await;
    let plan = Plan::unique("pv")
        .parameter("MaxAttempts", "3")
        .parameter("WorkerTimeout", "30");
    let stack = provision(&sdk, &plan).await.expect("provisioned");
    let cfg = &stack.config;
    assert_eq!(
        cfg.max_attempts, 3,
        "PIXPIPE_MAX_ATTEMPTS from the template"
    );
    assert_eq!(
        cfg.source_bucket,
        format!("{}-uploads-123456789012", plan.prefix)
    );
    for skipped in [
        "ApiFunction",
        "WorkerFunction",
        "HttpApi",
        "DeadLetterAlarm",
    ] {
        assert!(
            stack.skipped.iter().any(|(name, _)| name == skipped),
            "{skipped}"
        );
    }

    // Queue: visibility 6 × WorkerTimeout, long polling, redrive after MaxAttempts + 1.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&cfg.queue_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs[&QueueAttributeName::VisibilityTimeout], "180");
    assert_eq!(
        attrs[&QueueAttributeName::ReceiveMessageWaitTimeSeconds],
        "20"
    );
    let redrive: Value = serde_json::from_str(&attrs[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "4"
    );
    assert_eq!(
        redrive["deadLetterTargetArn"],
        stack.attribute("UploadsDeadLetterQueue", "Arn").unwrap()
    );
    let policy: Value = serde_json::from_str(&attrs[&QueueAttributeName::Policy]).unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "s3.amazonaws.com");
    assert_eq!(
        statement["Condition"]["ArnLike"]["aws:SourceArn"],
        format!("arn:aws:s3:::{}", cfg.source_bucket)
    );
    let dlq = stack.reference("UploadsDeadLetterQueue").unwrap();
    let retention = sqs
        .get_queue_attributes()
        .queue_url(dlq)
        .attribute_names(QueueAttributeName::MessageRetentionPeriod)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(
        retention[&QueueAttributeName::MessageRetentionPeriod],
        "1209600"
    );

    // Source bucket: ObjectCreated under uploads/ to the queue; CORS PUT; expiring uploads.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let notification = s3
        .get_bucket_notification_configuration()
        .bucket(&cfg.source_bucket)
        .send()
        .await
        .unwrap();
    let queues = notification.queue_configurations();
    assert_eq!(queues.len(), 1);
    assert_eq!(
        queues[0].queue_arn(),
        stack.attribute("UploadsQueue", "Arn").unwrap()
    );
    assert_eq!(queues[0].events()[0].as_str(), "s3:ObjectCreated:*");
    let rules = queues[0].filter().unwrap().key().unwrap().filter_rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].name().unwrap().as_str().to_lowercase(), "prefix");
    assert_eq!(rules[0].value(), Some("uploads/"));
    let cors = s3
        .get_bucket_cors()
        .bucket(&cfg.source_bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(cors.cors_rules()[0].allowed_methods(), ["PUT"]);
    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(&cfg.source_bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(lifecycle.rules()[0].expiration().unwrap().days(), Some(7));

    // Results bucket: no notification of any kind (no self-triggering loop), public-read policy.
    match s3
        .get_bucket_notification_configuration()
        .bucket(&cfg.results_bucket)
        .send()
        .await
    {
        Ok(results) => {
            assert!(results.queue_configurations().is_empty());
            assert!(results.topic_configurations().is_empty());
            assert!(results.lambda_function_configurations().is_empty());
        }
        // moto answers an empty configuration with a root element the SDK
        // does not decode; read the body itself.
        Err(e) => {
            let raw = e.raw_response().expect("an HTTP answer");
            assert!(raw.status().is_success(), "{e:?}");
            let body = std::str::from_utf8(raw.body().bytes().expect("body")).unwrap();
            assert!(!body.contains("Configuration>"), "{body}");
        }
    }
    let policy = s3
        .get_bucket_policy()
        .bucket(&cfg.results_bucket)
        .send()
        .await
        .unwrap();
    assert!(policy.policy().unwrap().contains("PublicReadResults"));

    // Table: key id, index by_owner (owner + id), TTL on expires_at, on demand.
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = dynamodb
        .describe_table()
        .table_name(&cfg.jobs_table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let index = &table.global_secondary_indexes()[0];
    assert_eq!(index.index_name(), Some("by_owner"));
    let keys: Vec<_> = index
        .key_schema()
        .iter()
        .map(|k| k.attribute_name())
        .collect();
    assert_eq!(keys, ["owner", "id"]);
    assert_eq!(
        table
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|b| b.as_str()),
        Some("PAY_PER_REQUEST")
    );
    let ttl = dynamodb
        .describe_time_to_live()
        .table_name(&cfg.jobs_table)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
}

#[tokio::test]
async fn bad_plans_and_templates_are_refused_before_anything_is_made() {
    let sdk = sdk().await;
    let err = provision(&sdk, &Plan::unique("bad").parameter("MaxAttempts", "4"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_parameter");
    let err = provision(&sdk, &Plan::unique("bad").parameter("Nope", "1"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_parameter");

    // A property the provisioner does not understand is an error, not ignored.
    let text = SAM_TEMPLATE.replace(
        "      ReceiveMessageWaitTimeSeconds: 20\n",
        "      ReceiveMessageWaitTimeSeconds: 20\n      FifoQueue: true\n",
    );
    assert_ne!(text, SAM_TEMPLATE);
    let template = Template::parse(&text).unwrap();
    let err = provision_template(&sdk, &template, &Plan::unique("bad"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unsupported_property", "{err}");

    // So is a resource type it neither makes nor skips.
    let text = SAM_TEMPLATE.replace(
        "\nOutputs:",
        "\n  Extra:\n    Type: AWS::SNS::Topic\n\nOutputs:",
    );
    let template = Template::parse(&text).unwrap();
    let err = provision_template(&sdk, &template, &Plan::unique("bad"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ProvisionError::Template(TemplateError::UnsupportedResourceType { .. })
    ));
}
