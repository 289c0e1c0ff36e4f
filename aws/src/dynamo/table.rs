//! [`create_table`]: the jobs table exactly as the SAM template declares it
//! (`PAY_PER_REQUEST`, key `id`, index `by_owner` = `owner` + `id` projecting
//! all attributes, TTL on `expires_at`). Tests and local set-ups use it;
//! production tables come from the template.

use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use thiserror::Error;

use super::{OWNER_INDEX, TABLE_READY_TIMEOUT, TTL_ATTRIBUTE};
use crate::error::CallError;

const DYNAMODB: &str = "DynamoDB";

/// The table (or its index) was not active in time.
#[derive(Debug, Error)]
#[error("table {0:?} did not become active in time")]
pub struct TableNotReady(pub String);

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, CallError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| CallError::new(DYNAMODB, "CreateTable", e))
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, CallError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| CallError::new(DYNAMODB, "CreateTable", e))
}

/// Creates the jobs table `table`, waits until it and its index are active,
/// and turns on TTL.
pub async fn create_table(client: &Client, table: &str) -> Result<(), CallError> {
    let by_owner = GlobalSecondaryIndex::builder()
        .index_name(OWNER_INDEX)
        .key_schema(key("owner", KeyType::Hash)?)
        .key_schema(key("id", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(|e| CallError::new(DYNAMODB, "CreateTable", e))?;
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute("id")?)
        .attribute_definitions(string_attribute("owner")?)
        .key_schema(key("id", KeyType::Hash)?)
        .global_secondary_indexes(by_owner)
        .send()
        .await
        .map_err(|e| CallError::new(DYNAMODB, "CreateTable", e))?;

    let started = Instant::now();
    loop {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| CallError::new(DYNAMODB, "DescribeTable", e))?;
        let ready = out.table().is_some_and(|t| {
            t.table_status() == Some(&TableStatus::Active)
                && t.global_secondary_indexes()
                    .iter()
                    .all(|i| i.index_status() == Some(&IndexStatus::Active))
        });
        if ready {
            break;
        }
        if started.elapsed() > TABLE_READY_TIMEOUT {
            return Err(CallError::new(
                DYNAMODB,
                "DescribeTable",
                TableNotReady(table.to_owned()),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }

    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(TTL_ATTRIBUTE)
        .build()
        .map_err(|e| CallError::new(DYNAMODB, "UpdateTimeToLive", e))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| CallError::new(DYNAMODB, "UpdateTimeToLive", e))?;
    Ok(())
}
