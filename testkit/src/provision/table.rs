//! [`create_table`]: a DynamoDB table from the evaluated properties of an
//! `AWS::DynamoDB::Table` in the template (key schema, attribute definitions,
//! global secondary indexes, billing mode, server-side encryption, TTL and
//! point-in-time recovery), waiting until it and its indexes are active.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType,
    SseSpecification, TableStatus, TimeToLiveSpecification,
};
use pixpipe_aws::CallError;
use thiserror::Error;

use super::props::{Props, invalid};
use super::{ProvisionError, call_error};

const DYNAMODB: &str = "DynamoDB";

/// How long provisioning waits for a new table to become active.
pub const TABLE_READY_TIMEOUT: Duration = Duration::from_secs(120);

/// The table (or its index) was not active in time.
#[derive(Debug, Error)]
#[error("table {0:?} did not become active in time")]
pub struct TableNotReady(pub String);

fn call(operation: &'static str) -> impl Fn(aws_sdk_dynamodb::error::BuildError) -> CallError {
    move |e| call_error(DYNAMODB, operation, e)
}

fn keys(list: Vec<Props>) -> Result<Vec<KeySchemaElement>, ProvisionError> {
    let mut out = Vec::with_capacity(list.len());
    for mut key in list {
        let name = key.required_string("AttributeName")?;
        let kind = key.required_string("KeyType")?;
        if !matches!(kind.as_str(), "HASH" | "RANGE") {
            return Err(invalid(&key.at, "KeyType is HASH or RANGE").into());
        }
        key.finish()?;
        out.push(
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind.as_str()))
                .build()
                .map_err(call("CreateTable"))?,
        );
    }
    Ok(out)
}

/// Creates table `name` as `props` declares; returns its ARN.
pub async fn create_table(
    client: &Client,
    name: &str,
    mut props: Props,
) -> Result<String, ProvisionError> {
    let mut request = client.create_table().table_name(name);
    for mut attribute in props.objects("AttributeDefinitions")? {
        let attribute_name = attribute.required_string("AttributeName")?;
        let kind = attribute.required_string("AttributeType")?;
        if !matches!(kind.as_str(), "S" | "N" | "B") {
            return Err(invalid(&attribute.at, "AttributeType is S, N or B").into());
        }
        attribute.finish()?;
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute_name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(call("CreateTable"))?,
        );
    }
    request = request.set_key_schema(Some(keys(props.objects("KeySchema")?)?));
    for mut index in props.objects("GlobalSecondaryIndexes")? {
        let index_name = index.required_string("IndexName")?;
        let key_schema = keys(index.objects("KeySchema")?)?;
        let mut projection = index
            .object("Projection")?
            .ok_or_else(|| invalid(&index.at, "Projection is required"))?;
        let kind = projection.required_string("ProjectionType")?;
        let non_key = projection.strings("NonKeyAttributes")?;
        projection.finish()?;
        index.finish()?;
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(kind.as_str()))
            .set_non_key_attributes((!non_key.is_empty()).then_some(non_key))
            .build();
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index_name)
                .set_key_schema(Some(key_schema))
                .projection(projection)
                .build()
                .map_err(call("CreateTable"))?,
        );
    }
    match props.string("BillingMode")?.as_deref() {
        Some("PAY_PER_REQUEST") => request = request.billing_mode(BillingMode::PayPerRequest),
        other => {
            let at = format!("{}.BillingMode", props.at);
            let reason = format!("{other:?}: only PAY_PER_REQUEST is provisioned");
            return Err(invalid(&at, &reason).into());
        }
    }
    if let Some(mut sse) = props.object("SSESpecification")? {
        let enabled = sse.bool("SSEEnabled")?.unwrap_or(false);
        sse.finish()?;
        request = request.sse_specification(SseSpecification::builder().enabled(enabled).build());
    }
    let ttl = match props.object("TimeToLiveSpecification")? {
        None => None,
        Some(mut ttl) => {
            let attribute = ttl.required_string("AttributeName")?;
            let enabled = ttl.bool("Enabled")?.unwrap_or(false);
            ttl.finish()?;
            Some((attribute, enabled))
        }
    };
    let recovery = match props.object("PointInTimeRecoverySpecification")? {
        None => None,
        Some(mut pitr) => {
            let enabled = pitr.bool("PointInTimeRecoveryEnabled")?.unwrap_or(false);
            pitr.finish()?;
            Some(enabled)
        }
    };
    props.accept("TableName");
    props.finish()?;

    let created = request
        .send()
        .await
        .map_err(|e| call_error(DYNAMODB, "CreateTable", e))?;
    let arn = created
        .table_description()
        .and_then(|t| t.table_arn())
        .ok_or_else(|| call_error(DYNAMODB, "CreateTable", "no table ARN in the answer"))?
        .to_owned();
    wait_until_active(client, name).await?;

    if let Some((attribute, enabled)) = ttl {
        let spec = TimeToLiveSpecification::builder()
            .enabled(enabled)
            .attribute_name(attribute)
            .build()
            .map_err(call("UpdateTimeToLive"))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| call_error(DYNAMODB, "UpdateTimeToLive", e))?;
    }
    if let Some(enabled) = recovery {
        let spec = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(enabled)
            .build()
            .map_err(call("UpdateContinuousBackups"))?;
        client
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(spec)
            .send()
            .await
            .map_err(|e| call_error(DYNAMODB, "UpdateContinuousBackups", e))?;
    }
    Ok(arn)
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), CallError> {
    let started = Instant::now();
    loop {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| call_error(DYNAMODB, "DescribeTable", e))?;
        let ready = out.table().is_some_and(|t| {
            t.table_status() == Some(&TableStatus::Active)
                && t.global_secondary_indexes()
                    .iter()
                    .all(|i| i.index_status() == Some(&IndexStatus::Active))
        });
        if ready {
            return Ok(());
        }
        if started.elapsed() > TABLE_READY_TIMEOUT {
            return Err(call_error(
                DYNAMODB,
                "DescribeTable",
                TableNotReady(table.to_owned()),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
