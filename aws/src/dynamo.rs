//! [`DynamoJobs`]: the `JobStore` over one DynamoDB table.
//!
//! One item per job ([`JobItem`]): the whole `Job` as JSON in `doc`, plus the
//! few fields DynamoDB itself must see as top-level attributes: `id` (partition
//! key), `owner` + `id` (the `by_owner` index), `version` (the compare-and-swap
//! condition), `status` and `created_at` (for people reading the table), and
//! `expires_at` (the TTL attribute). `doc` is the truth; the rest are written
//! from it in the same PutItem and checked against it on read.
//!
//! Reads by id are strongly consistent. [`JobStore::list`] reads the `by_owner`
//! index, which is eventually consistent (a job just created may be missing
//! for a moment). DynamoDB deletes expired items lazily (within days), so a
//! record can outlive `expires_at` a little; nothing here depends on it.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::SecondsFormat;
use pixpipe_core::{Job, JobId, JobStore, StoreError};
use thiserror::Error;

use crate::error::{CallError, ItemError};

/// Name of the owner index: partition `owner`, sort `id`, all attributes.
pub const OWNER_INDEX: &str = "by_owner";
/// The TTL attribute, in epoch seconds.
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// How long a job record is kept after its creation.
pub const RECORD_RETENTION: chrono::Duration = chrono::Duration::days(30);

const DYNAMODB: &str = "DynamoDB";

/// Jobs in the DynamoDB table that `template.yaml` declares.
#[derive(Debug, Clone)]
pub struct DynamoJobs {
    client: Client,
    table: String,
}

impl DynamoJobs {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoJobs {
            client,
            table: table.into(),
        }
    }

    /// The underlying SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

/// A job as a DynamoDB item.
#[derive(Debug, Clone, PartialEq)]
pub struct JobItem(pub HashMap<String, AttributeValue>);

impl TryFrom<&Job> for JobItem {
    type Error = ItemError;

    fn try_from(job: &Job) -> Result<Self, ItemError> {
        let doc = serde_json::to_string(job).map_err(ItemError::Encode)?;
        let expires = (job.created_at + RECORD_RETENTION).timestamp();
        Ok(JobItem(HashMap::from([
            ("id".to_owned(), AttributeValue::S(job.id.to_string())),
            ("owner".to_owned(), AttributeValue::S(job.owner.clone())),
            (
                "status".to_owned(),
                AttributeValue::S(job.status.as_str().to_owned()),
            ),
            (
                "version".to_owned(),
                AttributeValue::N(job.version.to_string()),
            ),
            (
                // Fixed width (micros, `Z`), so strings sort as times do.
                "created_at".to_owned(),
                AttributeValue::S(job.created_at.to_rfc3339_opts(SecondsFormat::Micros, true)),
            ),
            (
                TTL_ATTRIBUTE.to_owned(),
                AttributeValue::N(expires.to_string()),
            ),
            ("doc".to_owned(), AttributeValue::S(doc)),
        ])))
    }
}

impl TryFrom<JobItem> for Job {
    type Error = ItemError;

    fn try_from(item: JobItem) -> Result<Self, ItemError> {
        let string = |name: &'static str| match item.0.get(name) {
            Some(AttributeValue::S(s)) => Ok(s.as_str()),
            _ => Err(ItemError::Missing(name)),
        };
        let job: Job = serde_json::from_str(string("doc")?).map_err(ItemError::Doc)?;
        if string("id")? != job.id.to_string() {
            return Err(ItemError::Inconsistent("id"));
        }
        let version = match item.0.get("version") {
            Some(AttributeValue::N(n)) => n
                .parse::<u64>()
                .map_err(|_| ItemError::Malformed("version"))?,
            _ => return Err(ItemError::Missing("version")),
        };
        if version != job.version {
            return Err(ItemError::Inconsistent("version"));
        }
        Ok(job)
    }
}

/// `insert` found a record with the same id (ids are meant to be fresh).
#[derive(Debug, Error)]
#[error("job {0} already exists")]
pub struct DuplicateId(pub JobId);

fn backend(operation: &'static str, source: impl Into<pixpipe_core::BoxError>) -> StoreError {
    StoreError::Backend(CallError::boxed(DYNAMODB, operation, source))
}

fn id_key(id: JobId) -> AttributeValue {
    AttributeValue::S(id.to_string())
}

fn item_of(job: &Job) -> Result<HashMap<String, AttributeValue>, StoreError> {
    JobItem::try_from(job)
        .map(|i| i.0)
        .map_err(|e| StoreError::Corrupt(Box::new(e)))
}

fn job_of(item: HashMap<String, AttributeValue>) -> Result<Job, StoreError> {
    Job::try_from(JobItem(item)).map_err(|e| StoreError::Corrupt(Box::new(e)))
}

#[async_trait]
impl JobStore for DynamoJobs {
    async fn insert(&self, job: &Job) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_of(job)?))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(backend("PutItem", DuplicateId(job.id))),
            Err(e) => Err(backend("PutItem", e)),
        }
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", id_key(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        out.item.map(job_of).transpose()
    }

    async fn list(
        &self,
        owner: &str,
        before: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let mut jobs = Vec::new();
        let mut start = None;
        while jobs.len() < limit {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(OWNER_INDEX)
                .scan_index_forward(false)
                .limit(i32::try_from(limit - jobs.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":o", AttributeValue::S(owner.to_owned()));
            query = match before {
                Some(before) => query
                    .key_condition_expression("#o = :o AND #id < :before")
                    .expression_attribute_names("#id", "id")
                    .expression_attribute_values(":before", id_key(before)),
                None => query.key_condition_expression("#o = :o"),
            };
            let out = query.send().await.map_err(|e| backend("Query", e))?;
            for item in out.items.unwrap_or_default() {
                jobs.push(job_of(item)?);
            }
            // A page also ends at 1 MB; go on from where it stopped.
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        jobs.truncate(limit);
        Ok(jobs)
    }

    async fn replace(&self, job: &Job, expected_version: u64) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_of(job)?))
            // False for a missing item too: a deleted job is not recreated.
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(expected_version.to_string()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(backend("PutItem", e)),
        }
    }

    async fn delete(&self, id: JobId) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("id", id_key(id))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| backend("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}

fn is_condition_failure<R>(e: &aws_sdk_dynamodb::error::SdkError<PutItemError, R>) -> bool {
    matches!(
        e.as_service_error(),
        Some(PutItemError::ConditionalCheckFailedException(_))
    )
}
