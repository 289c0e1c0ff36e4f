//! The API function's app: `pixpipe_api::app`, exactly what local mode
//! serves (problem+json fallbacks, request spans that carry the method and
//! path only), with no backend-specific routes: uploads go straight to S3.
//!
//! lambda_http prefixes the path with the stage name unless the stage is
//! `$default` (or `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set), so deploy the
//! HTTP API on its `$default` stage.

use axum::Router;
use pixpipe_api::AppState;
use pixpipe_aws::Aws;

use crate::config::ApiFunction;

/// The API as served on Lambda.
pub fn api_app(state: AppState) -> Router {
    pixpipe_api::app(state, Router::new())
}

/// The handlers' state over the DynamoDB jobs table and the S3 buckets.
/// The functions have no watermark (see the README).
pub fn api_state(aws: &Aws, settings: &ApiFunction) -> AppState {
    AppState {
        service: pixpipe_config::startup::service(
            aws.jobs.clone(),
            aws.blobs.clone(),
            &settings.job,
            false,
            pixpipe_core::clock::system(),
        ),
        keys: settings.api.keys(),
    }
}
