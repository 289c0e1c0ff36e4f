//! S3 from the template: `AWS::S3::Bucket` (public access block, default
//! encryption, CORS, lifecycle rules, queue notifications with key filters,
//! ownership controls) and `AWS::S3::BucketPolicy`.

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, CorsConfiguration, CorsRule,
    CreateBucketConfiguration, Event, ExpirationStatus, FilterRule, FilterRuleName,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NotificationConfiguration,
    NotificationConfigurationFilter, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, QueueConfiguration, S3KeyFilter, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use pixpipe_aws::CallError;

use super::props::{Props, invalid};
use super::queues::policy_document;
use super::{ProvisionError, call_error};

const S3: &str = "S3";

fn call<E: Into<pixpipe_core::BoxError>>(operation: &'static str) -> impl Fn(E) -> CallError {
    move |e| call_error(S3, operation, e)
}

/// Creates bucket `name` in `region` and applies each configuration `props` declares.
pub async fn create_bucket(
    s3: &Client,
    name: &str,
    region: &str,
    mut props: Props,
) -> Result<(), ProvisionError> {
    if name.len() > 63 {
        return Err(invalid(
            &props.at,
            &format!("bucket name {name:?} is longer than 63 characters"),
        )
        .into());
    }
    let mut create = s3.create_bucket().bucket(name);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    // Evaluate and check every property before anything is created.
    let block = public_access_block(&mut props)?;
    let encryption = encryption(&mut props)?;
    let cors = cors(&mut props)?;
    let lifecycle = lifecycle(&mut props)?;
    let notification = notification(&mut props)?;
    let ownership = ownership(&mut props)?;
    props.accept("BucketName");
    props.finish()?;

    create.send().await.map_err(call("CreateBucket"))?;
    if let Some(block) = block {
        s3.put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(block)
            .send()
            .await
            .map_err(call("PutPublicAccessBlock"))?;
    }
    if let Some(encryption) = encryption {
        s3.put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
            .map_err(call("PutBucketEncryption"))?;
    }
    if let Some(cors) = cors {
        s3.put_bucket_cors()
            .bucket(name)
            .cors_configuration(cors)
            .send()
            .await
            .map_err(call("PutBucketCors"))?;
    }
    if let Some(lifecycle) = lifecycle {
        s3.put_bucket_lifecycle_configuration()
            .bucket(name)
            .lifecycle_configuration(lifecycle)
            .send()
            .await
            .map_err(call("PutBucketLifecycleConfiguration"))?;
    }
    if let Some(notification) = notification {
        s3.put_bucket_notification_configuration()
            .bucket(name)
            .notification_configuration(notification)
            .send()
            .await
            .map_err(call("PutBucketNotificationConfiguration"))?;
    }
    if let Some(ownership) = ownership {
        s3.put_bucket_ownership_controls()
            .bucket(name)
            .ownership_controls(ownership)
            .send()
            .await
            .map_err(call("PutBucketOwnershipControls"))?;
    }
    Ok(())
}

/// Puts the `PolicyDocument` on `Bucket`.
pub async fn put_bucket_policy(s3: &Client, mut props: Props) -> Result<(), ProvisionError> {
    let bucket = props.required_string("Bucket")?;
    let policy = policy_document(&mut props)?;
    props.finish()?;
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .map_err(call("PutBucketPolicy"))?;
    Ok(())
}

fn public_access_block(
    props: &mut Props,
) -> Result<Option<PublicAccessBlockConfiguration>, ProvisionError> {
    let Some(mut block) = props.object("PublicAccessBlockConfiguration")? else {
        return Ok(None);
    };
    let config = PublicAccessBlockConfiguration::builder()
        .set_block_public_acls(block.bool("BlockPublicAcls")?)
        .set_ignore_public_acls(block.bool("IgnorePublicAcls")?)
        .set_block_public_policy(block.bool("BlockPublicPolicy")?)
        .set_restrict_public_buckets(block.bool("RestrictPublicBuckets")?)
        .build();
    block.finish()?;
    Ok(Some(config))
}

fn encryption(
    props: &mut Props,
) -> Result<Option<ServerSideEncryptionConfiguration>, ProvisionError> {
    let Some(mut config) = props.object("BucketEncryption")? else {
        return Ok(None);
    };
    let mut out = ServerSideEncryptionConfiguration::builder();
    for mut rule in config.objects("ServerSideEncryptionConfiguration")? {
        let mut default = rule
            .object("ServerSideEncryptionByDefault")?
            .ok_or_else(|| invalid(&rule.at, "ServerSideEncryptionByDefault is required"))?;
        let algorithm = default.required_string("SSEAlgorithm")?;
        let key = default.string("KMSMasterKeyID")?;
        default.finish()?;
        let bucket_key = rule.bool("BucketKeyEnabled")?;
        rule.finish()?;
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(algorithm.as_str()))
            .set_kms_master_key_id(key)
            .build()
            .map_err(call("PutBucketEncryption"))?;
        out = out.rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .set_bucket_key_enabled(bucket_key)
                .build(),
        );
    }
    config.finish()?;
    Ok(Some(out.build().map_err(call("PutBucketEncryption"))?))
}

fn cors(props: &mut Props) -> Result<Option<CorsConfiguration>, ProvisionError> {
    let Some(mut config) = props.object("CorsConfiguration")? else {
        return Ok(None);
    };
    let mut out = CorsConfiguration::builder();
    for mut rule in config.objects("CorsRules")? {
        let built = CorsRule::builder()
            .set_id(rule.string("Id")?)
            .set_allowed_methods(Some(rule.strings("AllowedMethods")?))
            .set_allowed_origins(Some(rule.strings("AllowedOrigins")?))
            .set_allowed_headers(Some(rule.strings("AllowedHeaders")?).filter(|h| !h.is_empty()))
            .set_expose_headers(Some(rule.strings("ExposedHeaders")?).filter(|h| !h.is_empty()))
            .set_max_age_seconds(rule.int("MaxAge")?.map(|n| n as i32))
            .build()
            .map_err(call("PutBucketCors"))?;
        rule.finish()?;
        out = out.cors_rules(built);
    }
    config.finish()?;
    Ok(Some(out.build().map_err(call("PutBucketCors"))?))
}

fn lifecycle(props: &mut Props) -> Result<Option<BucketLifecycleConfiguration>, ProvisionError> {
    let Some(mut config) = props.object("LifecycleConfiguration")? else {
        return Ok(None);
    };
    let mut out = BucketLifecycleConfiguration::builder();
    for mut rule in config.objects("Rules")? {
        let status = rule.required_string("Status")?;
        let prefix = rule.string("Prefix")?.unwrap_or_default();
        let days = rule
            .int("ExpirationInDays")?
            .ok_or_else(|| invalid(&rule.at, "ExpirationInDays is required"))?;
        let built = LifecycleRule::builder()
            .set_id(rule.string("Id")?)
            .status(ExpirationStatus::from(status.as_str()))
            .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
            .expiration(LifecycleExpiration::builder().days(days as i32).build())
            .build()
            .map_err(call("PutBucketLifecycleConfiguration"))?;
        rule.finish()?;
        out = out.rules(built);
    }
    config.finish()?;
    Ok(Some(
        out.build()
            .map_err(call("PutBucketLifecycleConfiguration"))?,
    ))
}

fn notification(props: &mut Props) -> Result<Option<NotificationConfiguration>, ProvisionError> {
    let Some(mut config) = props.object("NotificationConfiguration")? else {
        return Ok(None);
    };
    let mut out = NotificationConfiguration::builder();
    for mut target in config.objects("QueueConfigurations")? {
        let event = target.required_string("Event")?;
        let queue = target.required_string("Queue")?;
        let mut built = QueueConfiguration::builder()
            .queue_arn(queue)
            .events(Event::from(event.as_str()));
        if let Some(mut filter) = target.object("Filter")? {
            let mut key = filter
                .object("S3Key")?
                .ok_or_else(|| invalid(&filter.at, "S3Key is required"))?;
            let mut rules = S3KeyFilter::builder();
            for mut rule in key.objects("Rules")? {
                let name = rule.required_string("Name")?;
                let value = rule.required_string("Value")?;
                rule.finish()?;
                rules = rules.filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::from(name.as_str()))
                        .value(value)
                        .build(),
                );
            }
            key.finish()?;
            filter.finish()?;
            built = built.filter(
                NotificationConfigurationFilter::builder()
                    .key(rules.build())
                    .build(),
            );
        }
        target.finish()?;
        out = out.queue_configurations(
            built
                .build()
                .map_err(call("PutBucketNotificationConfiguration"))?,
        );
    }
    config.finish()?;
    Ok(Some(out.build()))
}

fn ownership(props: &mut Props) -> Result<Option<OwnershipControls>, ProvisionError> {
    let Some(mut config) = props.object("OwnershipControls")? else {
        return Ok(None);
    };
    let mut out = OwnershipControls::builder();
    for mut rule in config.objects("Rules")? {
        let kind = rule.required_string("ObjectOwnership")?;
        rule.finish()?;
        out = out.rules(
            OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::from(kind.as_str()))
                .build()
                .map_err(call("PutBucketOwnershipControls"))?,
        );
    }
    config.finish()?;
    Ok(Some(
        out.build().map_err(call("PutBucketOwnershipControls"))?,
    ))
}
