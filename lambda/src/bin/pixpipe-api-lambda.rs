//! The API Lambda: API Gateway HTTP API events (payload 2.0) through
//! lambda_http into the same axum router as local mode, over DynamoDB and S3.
//! Environment: `pixpipe_aws::AwsConfig` and `pixpipe_lambda::ApiEnv`.

use anyhow::Context as _;
use pixpipe_aws::{AwsConfig, connect};
use pixpipe_lambda::{ApiEnv, api_app, api_state, telemetry};
use tracing::{error, warn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let result = run().await;
    if let Err(e) = &result {
        error!(error.cause_chain = ?e, "API function stopped");
    }
    result
}

async fn run() -> anyhow::Result<()> {
    let cfg = AwsConfig::from_env().context("reading the AWS resource names")?;
    let env = ApiEnv::from_env().context("reading the API settings")?;
    if !env.keys.is_enabled() {
        warn!("PIXPIPE_API_KEYS is empty: the API accepts every request without a key");
    }
    let aws = connect(&cfg).await;
    lambda_http::run(api_app(api_state(&aws, env)))
        .await
        .map_err(anyhow::Error::from_boxed)
        .context("Lambda runtime failed")
}
