//! The API Lambda: API Gateway HTTP API events (payload 2.0) through
//! lambda_http into the same axum router as local mode, over DynamoDB and S3.
//! Settings: `pixpipe_lambda::ApiFunction`, from the environment.

use anyhow::Context as _;
use pixpipe_config::telemetry::{self, Output};
use pixpipe_config::{Warning, startup};
use pixpipe_lambda::{ApiFunction, api_app, api_state};
use tracing::error;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init(Output::Lambda);
    let result = run().await;
    if let Err(e) = &result {
        error!(error.cause_chain = ?e, "API function stopped");
    }
    result
}

async fn run() -> anyhow::Result<()> {
    let settings = ApiFunction::from_env().context("reading the settings")?;
    let (_, aws) = startup::connect_aws(&settings.aws, &settings.job)
        .await
        .context("reading the AWS resource names")?;
    if !settings.api.keys().is_enabled() {
        Warning::OpenApi.log();
    }
    lambda_http::run(api_app(api_state(&aws, &settings)))
        .await
        .map_err(anyhow::Error::from_boxed)
        .context("Lambda runtime failed")
}
