//! The two sets of adapters behind `pixpipe serve`: embedded (SQLite + files)
//! and AWS (DynamoDB + S3 + SQS), each turned into the same [`Parts`].

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use pixpipe_config::{Warning, startup};
use pixpipe_core::{BlobStore, JobStore, Service, lifecycle};
use pixpipe_local::{CALLBACK_SECRET_FILE, LocalConfig, LocalHttp, LocalStore};
use pixpipe_worker::{Notifier, Pipeline, dead_letter};
use tokio::sync::watch;
use tracing::warn;

use crate::serve::{Parts, Role, ServeArgs};

/// The embedded backend over `--data-dir`.
pub async fn local(args: &ServeArgs, public_url: &str) -> anyhow::Result<Parts> {
    let local = pixpipe_local::open(LocalConfig {
        data_dir: args.data_dir.clone(),
        public_base: public_url.to_owned(),
        upload_secret: args.upload_secret.clone(),
        max_receives: args.job.max_attempts,
    })
    .await
    .with_context(|| format!("opening data dir {}", args.data_dir.display()))?;
    let callback_secret = match args.worker.callback_secret.clone() {
        Some(secret) => secret,
        None => {
            let dir = args.data_dir.clone();
            tokio::task::spawn_blocking(move || {
                pixpipe_local::load_or_create_secret_file(&dir, CALLBACK_SECRET_FILE)
            })
            .await?
            .context("preparing the callback signing secret")?
        }
    };
    let routes = pixpipe_local::router(LocalHttp {
        max_upload_bytes: args.job.max_upload_bytes,
        clock: args.clock(),
        upload_time_limit: Duration::from_secs(args.request_timeout_secs),
        body_read_window: Duration::from_secs(args.conn.body_read_timeout_secs),
        min_upload_bytes_per_sec: args.conn.min_upload_bytes_per_sec,
        ..LocalHttp::new(&local)
    });
    Ok(Parts {
        service: service(args, local.store.clone(), local.blobs.clone()),
        queue: local.store.clone(),
        pipeline: pipeline(
            args,
            local.store.clone(),
            local.blobs.clone(),
            Some(&callback_secret),
        ),
        routes,
        poll_wait: Duration::from_secs(1),
        local: Some(local.store),
        dead_letters: None,
    })
}

/// The AWS backend, configured by `PIXPIPE_*` and the standard `AWS_*` environment.
pub async fn aws(args: &ServeArgs) -> anyhow::Result<Parts> {
    let (_, aws) = startup::connect_aws(&args.aws, &args.job)
        .await
        .context("reading the AWS backend settings")?;
    if args.worker.callback_secret.is_none() && args.role != Role::Api {
        Warning::NoCallbackSecret.log();
    }
    Ok(Parts {
        service: service(args, aws.jobs.clone(), aws.blobs.clone()),
        queue: aws.queue.clone(),
        pipeline: pipeline(
            args,
            aws.jobs.clone(),
            aws.blobs.clone(),
            args.worker.callback_secret.as_deref(),
        ),
        routes: Router::new(),
        poll_wait: Duration::from_secs(20),
        local: None,
        dead_letters: aws
            .dead_letters
            .clone()
            .map(|q| q as Arc<dyn pixpipe_core::WorkQueue>),
    })
}

fn service(args: &ServeArgs, jobs: Arc<dyn JobStore>, blobs: Arc<dyn BlobStore>) -> Service {
    startup::service(
        jobs,
        blobs,
        &args.job,
        args.watermark.is_some(),
        args.clock(),
    )
}

fn pipeline(
    args: &ServeArgs,
    jobs: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    callback_secret: Option<&str>,
) -> Pipeline {
    startup::pipeline(
        jobs,
        blobs,
        &args.job,
        &args.worker,
        callback_secret,
        args.watermark.as_ref().map(|w| w.image.clone()),
    )
}

/// Local backend chores, every second: expire jobs whose upload never came,
/// and fail jobs whose queue item was dead-lettered (a worker died on their
/// last delivery). Jobs failed here get their callbacks too.
pub async fn housekeeping(
    store: Arc<LocalStore>,
    callbacks: Option<Notifier>,
    clock: pixpipe_core::SharedClock,
    mut shutdown: watch::Receiver<bool>,
) {
    let jobs: &dyn JobStore = store.as_ref();
    loop {
        match store.expire_stale(clock.now()).await {
            Ok(ids) => {
                for id in ids {
                    if let Err(e) = lifecycle::expire_if_stale(jobs, id, clock.now()).await {
                        warn!(error = ?e, job_id = %id, "could not expire job");
                    }
                }
            }
            Err(e) => warn!(error = ?e, "expiry sweep failed"),
        }
        match store.dead_unfinished_jobs(100).await {
            Ok(ids) => {
                for id in ids {
                    if let Err(e) = dead_letter::fail_job(jobs, id, callbacks.as_ref()).await {
                        warn!(error = ?e, job_id = %id, "could not fail dead-lettered job");
                    }
                }
            }
            Err(e) => warn!(error = ?e, "dead-letter sweep failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}
