//! The API function's app: the router local mode serves, with the same
//! fallbacks (problem+json 404 and 405) and the same request logging, whose
//! spans carry the method and path only: never the query string or a header,
//! where signatures and API keys travel.
//!
//! There is no timeout layer: the function's own timeout (and API Gateway's
//! 30 s integration limit) bounds every request, and uploads never pass
//! through this function (clients send them straight to S3).
//!
//! lambda_http prefixes the path with the stage name unless the stage is
//! `$default` (or `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set), so deploy the
//! HTTP API on its `$default` stage.

use axum::Router;
use axum::http::Request;
use pixpipe_api::AppState;
use pixpipe_aws::Aws;
use pixpipe_core::Service;
use tower_http::trace::TraceLayer;

use crate::config::ApiEnv;

/// The API as served on Lambda: `pixpipe_api::router` plus fallbacks and tracing.
pub fn api_app(state: AppState) -> Router {
    pixpipe_api::router(state)
        .fallback(pixpipe_api::not_found)
        .method_not_allowed_fallback(pixpipe_api::method_not_allowed)
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            }),
        )
}

/// The handlers' state over the DynamoDB jobs table and the S3 buckets.
pub fn api_state(aws: &Aws, env: ApiEnv) -> AppState {
    AppState {
        service: Service::new(aws.jobs.clone(), aws.blobs.clone(), env.settings),
        keys: env.keys,
    }
}
