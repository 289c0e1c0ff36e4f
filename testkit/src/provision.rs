//! Creates pixpipe's AWS resources from `template.yaml` itself, for
//! development and tests against a local AWS-protocol server (moto): every
//! `AWS::DynamoDB::Table`, `AWS::SQS::Queue`, `AWS::SQS::QueuePolicy`,
//! `AWS::S3::Bucket` and `AWS::S3::BucketPolicy` the template declares, with
//! the properties it gives them (intrinsics evaluated by [`crate::template`]),
//! in dependency order. Functions, the HTTP API and alarms are skipped by type;
//! any other type, or a property not understood, is an error. The returned
//! [`Stack`] holds the [`AwsConfig`] made from the template's own function
//! environment (`Globals.Function.Environment.Variables`).
//! In real AWS accounts deploy the SAM template instead.

mod buckets;
mod local;
mod props;
mod queues;
mod table;

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use serde_json::Value as Json;
use thiserror::Error;

use pixpipe_aws::{AwsConfig, CallError};

use crate::template::{Evaluator, Resolve, Template, TemplateError, pseudo_parameters};
pub use local::{LocalEndpointError, local_sdk, local_sdk_from_env};
use props::Props;
use table::create_table;
pub use table::{TABLE_READY_TIMEOUT, TableNotReady};

/// Resource types the template declares that a local set-up does not make.
pub const SKIPPED_TYPES: &[&str] = &[
    "AWS::Serverless::Function",
    "AWS::Serverless::HttpApi",
    "AWS::CloudWatch::Alarm",
];

/// The account of a local server (moto's default).
pub const LOCAL_ACCOUNT: &str = "123456789012";

/// One set of resources: a stack name and template parameters.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `AWS::StackName` and the prefix of every generated name (lowercase
    /// letters, digits, `-`; short enough for 63-character bucket names).
    pub prefix: String,
    /// Template parameters to override (`MaxAttempts`, `WorkerTimeout`, …);
    /// the rest keep their defaults.
    pub parameters: BTreeMap<String, String>,
    /// `AWS::AccountId`.
    pub account_id: String,
}

impl Plan {
    pub fn new(prefix: impl Into<String>) -> Self {
        Plan {
            prefix: prefix.into(),
            parameters: BTreeMap::new(),
            account_id: LOCAL_ACCOUNT.to_owned(),
        }
    }

    /// A plan whose prefix no other one has: `pxp-{tag}-{20 hex}`, short
    /// enough for the template's bucket names (for tests sharing one server).
    pub fn unique(tag: &str) -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string();
        Self::new(format!("pxp-{tag}-{}", &id[id.len() - 20..]))
    }

    /// Sets template parameter `name`.
    pub fn parameter(mut self, name: &str, value: impl Into<String>) -> Self {
        self.parameters.insert(name.to_owned(), value.into());
        self
    }
}

/// One failed AWS call (`CallError::new` is the adapters' own).
fn call_error(
    service: &'static str,
    operation: &'static str,
    source: impl Into<pixpipe_core::BoxError>,
) -> CallError {
    CallError {
        service,
        operation,
        source: source.into(),
    }
}

/// Why provisioning stopped.
#[derive(Debug, Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("the template's function environment does not set {0}")]
    Config(&'static str),
}

impl ProvisionError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            ProvisionError::Template(e) => e.code(),
            ProvisionError::Call(_) => "aws_call_failed",
            ProvisionError::Config(_) => "invalid_environment",
        }
    }
}

/// One created resource: its `Ref` value and the attributes `Fn::GetAtt` reads.
#[derive(Debug, Clone)]
pub struct Created {
    pub kind: String,
    pub reference: String,
    pub attributes: BTreeMap<String, String>,
}

/// What [`provision`] made.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The settings the template hands its functions, pointing at what was made.
    pub config: AwsConfig,
    /// `Globals.Function.Environment.Variables`, evaluated.
    pub environment: BTreeMap<String, String>,
    /// By logical id.
    pub created: BTreeMap<String, Created>,
    /// Logical ids not made (skipped type or false `Condition`), with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Stack {
    /// `Fn::GetAtt` of a created resource.
    pub fn attribute(&self, resource: &str, attribute: &str) -> Option<&str> {
        let created = self.created.get(resource)?;
        created.attributes.get(attribute).map(String::as_str)
    }

    /// `Ref` of a created resource.
    pub fn reference(&self, resource: &str) -> Option<&str> {
        self.created.get(resource).map(|c| c.reference.as_str())
    }
}

/// The resources made so far, by logical id.
type Made = BTreeMap<String, Created>;

impl Resolve for Made {
    fn reference(&self, resource: &str) -> Option<String> {
        self.get(resource).map(|c| c.reference.clone())
    }
    fn attribute(&self, resource: &str, attribute: &str) -> Option<String> {
        self.get(resource)?.attributes.get(attribute).cloned()
    }
}

/// [`provision_template`] of pixpipe's own `template.yaml`.
pub async fn provision(sdk: &SdkConfig, plan: &Plan) -> Result<Stack, ProvisionError> {
    provision_template(sdk, &Template::pixpipe()?, plan).await
}

/// Creates what `template` declares, as [`Plan`] names and parameterises it.
/// With an endpoint override and no `PublicBaseUrl` parameter, results are
/// served path-style from the endpoint (`{endpoint}/{results bucket}`).
pub async fn provision_template(
    sdk: &SdkConfig,
    template: &Template,
    plan: &Plan,
) -> Result<Stack, ProvisionError> {
    let endpoint = sdk.endpoint_url().map(str::to_owned);
    let region = sdk.region().map_or("us-east-1", |r| r.as_ref()).to_owned();
    let parameters = template.parameter_values(&plan.parameters)?;
    let pseudo = pseudo_parameters(&plan.prefix, &region, &plan.account_id);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(endpoint.is_some())
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);

    let mut created: Made = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut pending = Vec::new();
    for resource in &template.resources {
        if SKIPPED_TYPES.contains(&resource.kind.as_str()) {
            skipped.push((resource.name.clone(), format!("type {}", resource.kind)));
            continue;
        }
        if !SUPPORTED_TYPES.contains(&resource.kind.as_str()) {
            return Err(TemplateError::UnsupportedResourceType {
                name: resource.name.clone(),
                kind: resource.kind.clone(),
            }
            .into());
        }
        if let Some(condition) = &resource.condition {
            let eval = evaluator(template, &parameters, &pseudo, &created);
            if !eval.condition(condition, &resource.name, 0)? {
                skipped.push((resource.name.clone(), format!("condition {condition}")));
                continue;
            }
        }
        pending.push(resource);
    }

    // Make whatever has its references and DependsOn satisfied, until done.
    while !pending.is_empty() {
        let mut progressed = false;
        let mut waiting = Vec::new();
        for resource in pending {
            let blocked = resource
                .depends_on
                .iter()
                .any(|d| !created.contains_key(d) && !skipped.iter().any(|(s, _)| s == d));
            let at = format!("Resources.{}.Properties", resource.name);
            let props = if blocked {
                None
            } else {
                let eval = evaluator(template, &parameters, &pseudo, &created);
                match eval.eval_some(&resource.properties, &at) {
                    Ok(props) => Some(props),
                    Err(TemplateError::NotYetCreated { .. }) => None,
                    Err(e) => return Err(e.into()),
                }
            };
            let Some(props) = props else {
                waiting.push(resource);
                continue;
            };
            let name = physical_name(&plan.prefix, &resource.name, &resource.kind, &props);
            let props = Props::new(props, &at)?;
            let made = make(
                &resource.kind,
                &name,
                props,
                &region,
                (&s3, &sqs, &dynamodb),
            )
            .await?;
            created.insert(resource.name.clone(), made);
            progressed = true;
        }
        if !progressed {
            let names = waiting.iter().map(|r| r.name.clone()).collect();
            return Err(TemplateError::Unordered(names).into());
        }
        pending = waiting;
    }

    let eval = evaluator(template, &parameters, &pseudo, &created);
    let mut environment = BTreeMap::new();
    if let Some(vars) = template.function_environment() {
        let at = "Globals.Function.Environment.Variables";
        if let Json::Object(vars) = eval.eval_some(vars, at)? {
            for (name, value) in vars {
                environment.insert(name, props::text(&value, at)?);
            }
        }
    }
    let var = |name: &'static str| {
        environment
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .ok_or(ProvisionError::Config(name))
    };
    let mut config = AwsConfig {
        source_bucket: var("PIXPIPE_SOURCE_BUCKET")?,
        results_bucket: var("PIXPIPE_RESULTS_BUCKET")?,
        jobs_table: var("PIXPIPE_JOBS_TABLE")?,
        queue_url: var("PIXPIPE_QUEUE_URL")?,
        dead_letter_queue_url: var("PIXPIPE_DEAD_LETTER_QUEUE_URL").ok(),
        public_base_url: var("PIXPIPE_PUBLIC_BASE_URL")?,
        max_attempts: match var("PIXPIPE_MAX_ATTEMPTS") {
            Ok(n) => n
                .trim()
                .parse()
                .map_err(|_| ProvisionError::Config("PIXPIPE_MAX_ATTEMPTS"))?,
            Err(_) => 5,
        },
        endpoint_url: endpoint.clone(),
    };
    if let Some(endpoint) = &endpoint
        && !plan.parameters.contains_key("PublicBaseUrl")
    {
        config.public_base_url = format!(
            "{}/{}",
            endpoint.trim_end_matches('/'),
            config.results_bucket
        );
    }
    Ok(Stack {
        config,
        environment,
        created,
        skipped,
    })
}

const SUPPORTED_TYPES: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
];

fn evaluator<'a>(
    template: &'a Template,
    parameters: &'a BTreeMap<String, Json>,
    pseudo: &'a BTreeMap<String, String>,
    made: &'a Made,
) -> Evaluator<'a> {
    Evaluator {
        template,
        parameters,
        pseudo,
        resources: made,
    }
}

/// The declared name (`BucketName`, `QueueName`, `TableName`), else
/// `{prefix}-{logical id}` (lowercase for buckets), as CloudFormation would generate one.
fn physical_name(prefix: &str, logical: &str, kind: &str, props: &Json) -> String {
    let key = match kind {
        "AWS::S3::Bucket" => "BucketName",
        "AWS::SQS::Queue" => "QueueName",
        "AWS::DynamoDB::Table" => "TableName",
        _ => return format!("{prefix}-{logical}"),
    };
    match props.get(key).and_then(Json::as_str) {
        Some(name) => name.to_owned(),
        None if kind == "AWS::S3::Bucket" => format!("{prefix}-{}", logical.to_lowercase()),
        None => format!("{prefix}-{logical}"),
    }
}

type Clients<'a> = (
    &'a aws_sdk_s3::Client,
    &'a aws_sdk_sqs::Client,
    &'a aws_sdk_dynamodb::Client,
);

async fn make(
    kind: &str,
    name: &str,
    props: Props,
    region: &str,
    (s3, sqs, dynamodb): Clients<'_>,
) -> Result<Created, ProvisionError> {
    let mut attributes = BTreeMap::new();
    let reference = match kind {
        "AWS::DynamoDB::Table" => {
            attributes.insert("Arn".to_owned(), create_table(dynamodb, name, props).await?);
            name.to_owned()
        }
        "AWS::SQS::Queue" => {
            let queue = queues::create_queue(sqs, name, props).await?;
            attributes.insert("Arn".to_owned(), queue.arn);
            attributes.insert("QueueName".to_owned(), name.to_owned());
            attributes.insert("QueueUrl".to_owned(), queue.url.clone());
            queue.url
        }
        "AWS::SQS::QueuePolicy" => {
            queues::put_queue_policy(sqs, props).await?;
            name.to_owned()
        }
        "AWS::S3::Bucket" => {
            buckets::create_bucket(s3, name, region, props).await?;
            for (attribute, value) in [
                ("Arn", format!("arn:aws:s3:::{name}")),
                ("DomainName", format!("{name}.s3.amazonaws.com")),
                (
                    "RegionalDomainName",
                    format!("{name}.s3.{region}.amazonaws.com"),
                ),
            ] {
                attributes.insert(attribute.to_owned(), value);
            }
            name.to_owned()
        }
        "AWS::S3::BucketPolicy" => {
            buckets::put_bucket_policy(s3, props).await?;
            name.to_owned()
        }
        other => {
            return Err(TemplateError::UnsupportedResourceType {
                name: name.to_owned(),
                kind: other.to_owned(),
            }
            .into());
        }
    };
    Ok(Created {
        kind: kind.to_owned(),
        reference,
        attributes,
    })
}

#[cfg(test)]
#[path = "provision_tests.rs"]
mod tests;
