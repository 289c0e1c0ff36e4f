//! `pixpipe serve`: the API and the workers in one process, over the embedded
//! backend (SQLite + files, with the signed-upload and result routes) or the
//! AWS backend (DynamoDB, S3, SQS). `--role` runs only the API or only the
//! workers, to scale them separately.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use pixpipe_api::AppState;
use pixpipe_config::{ApiArgs, AwsArgs, JobArgs, Warning, WorkerArgs};
use pixpipe_core::{Service, WorkQueue};
use pixpipe_local::LocalStore;
use pixpipe_worker::{MIN_VISIBILITY, Pipeline, RunnerConfig, dead_letter};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::backend;
use crate::cors::CorsOrigins;

/// Which adapters the process runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// SQLite and files under --data-dir; uploads and results served by this process.
    Local,
    /// DynamoDB, S3 and SQS, configured by the PIXPIPE_* and AWS_* environment.
    Aws,
}

/// What the process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The HTTP API and the workers.
    All,
    /// Only the HTTP API.
    Api,
    /// Only the workers (no listener).
    Worker,
}

/// Settings of the server (flags, or the environment variables named).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Storage, queue and events: embedded, or AWS.
    #[arg(long, env = "PIXPIPE_BACKEND", value_enum, default_value = "local")]
    pub backend: Backend,
    /// Run the API, the workers, or both.
    #[arg(long, env = "PIXPIPE_ROLE", value_enum, default_value = "all")]
    pub role: Role,
    /// Address to listen on.
    #[arg(long, env = "PIXPIPE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Local backend: where jobs, the queue and blobs are kept.
    #[arg(long, env = "PIXPIPE_DATA_DIR", default_value = "./pixpipe-data")]
    pub data_dir: PathBuf,
    /// Local backend: base of the URLs handed to clients (default: http://<addr>).
    #[arg(long, env = "PIXPIPE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Concurrent processing jobs (default: the number of cores; 0 = no workers).
    #[arg(long, env = "PIXPIPE_WORKERS")]
    pub workers: Option<usize>,
    /// Local backend: secret for signing upload URLs (default: generated once into the data dir).
    #[arg(long, env = "PIXPIPE_UPLOAD_SECRET", hide_env_values = true)]
    pub upload_secret: Option<String>,
    /// Seconds a request may take until its response begins (an upload
    /// included); then it is answered 408 `request_timeout`.
    #[arg(long, env = "PIXPIPE_REQUEST_TIMEOUT_SECS", default_value_t = 300)]
    pub request_timeout_secs: u64,
    /// Seconds a worker's delivery stays hidden from other workers without a
    /// renewal (renewed every third of it while the job runs): how soon the
    /// job of a worker that died is picked up again. 3 to 43200.
    #[arg(long, env = "PIXPIPE_VISIBILITY_TIMEOUT_SECS", default_value_t = 30)]
    pub visibility_timeout_secs: u64,
    /// Comma-separated browser origins (e.g. https://app.example.com) allowed
    /// to call the API, upload and read results through CORS; `*` allows any.
    #[arg(long, env = "PIXPIPE_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// A PNG (at most 1 MiB and 4096x4096) drawn on variants that ask for a
    /// watermark; without one, such variants are refused. Read at start-up.
    #[arg(long, env = "PIXPIPE_WATERMARK", value_parser = crate::watermark::parse)]
    pub watermark: Option<crate::watermark::WatermarkFile>,
    /// Limits of a job.
    #[command(flatten)]
    pub job: JobArgs,
    /// API keys.
    #[command(flatten)]
    pub api: ApiArgs,
    /// Callbacks and metrics of the workers.
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// The AWS backend's resources.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Connection limits of the listener and of the upload route.
    #[command(flatten)]
    pub conn: crate::listen::ConnArgs,
    /// Where "now" comes from for job times, upload windows and expiry; the
    /// system clock unless a program embedding the server gives one.
    #[arg(skip)]
    pub clock: Option<pixpipe_core::SharedClock>,
}

impl ServeArgs {
    pub fn validated(mut self) -> anyhow::Result<ServeArgs> {
        self.worker = self.worker.validate()?;
        anyhow::ensure!(
            (MIN_VISIBILITY.as_secs()..=43_200).contains(&self.visibility_timeout_secs),
            "--visibility-timeout-secs must be {} to 43200",
            MIN_VISIBILITY.as_secs()
        );
        anyhow::ensure!(
            self.request_timeout_secs >= 1,
            "--request-timeout-secs must be at least 1"
        );
        self.conn.validate()?;
        CorsOrigins::parse(&self.cors_origins)?;
        Ok(self)
    }

    /// The clock given, or the system's.
    pub fn clock(&self) -> pixpipe_core::SharedClock {
        self.clock
            .clone()
            .unwrap_or_else(pixpipe_core::clock::system)
    }
}

/// What a backend contributes to the process.
pub struct Parts {
    pub service: Service,
    pub queue: Arc<dyn WorkQueue>,
    pub pipeline: Pipeline,
    /// Backend-specific HTTP routes (the local upload and result routes).
    pub routes: Router,
    /// How long one receive waits for work (SQS long polling allows 20 s).
    pub poll_wait: Duration,
    /// The embedded store, when the backend is local.
    pub local: Option<Arc<LocalStore>>,
    /// The dead-letter queue to watch, when the backend has one to read.
    pub dead_letters: Option<Arc<dyn WorkQueue>>,
}

/// Longest wait at shutdown for callbacks still being sent or retried.
const CALLBACK_DRAIN: Duration = Duration::from_secs(5);

/// A started server.
pub struct Running {
    /// The bound address (useful with port 0); `None` for `--role worker`.
    pub addr: Option<SocketAddr>,
    /// Base of the upload and result URLs it hands out (local backend).
    pub public_url: String,
    /// The embedded store (local backend), for inspection.
    pub local: Option<Arc<LocalStore>>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish within the drain
    /// time and workers finish their current job, and waits.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("server task panicked")?
    }
}

/// Binds, opens the backend named by `--backend` and starts serving in the background.
pub async fn start(args: ServeArgs) -> anyhow::Result<Running> {
    let listener = bind(&args).await?;
    let public_url = public_url(&args, listener.as_ref())?;
    let parts = match args.backend {
        Backend::Local => backend::local(&args, &public_url).await?,
        Backend::Aws => backend::aws(&args).await?,
    };
    launch(args, listener, public_url, parts)
}

async fn bind(args: &ServeArgs) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    Ok(match args.role {
        Role::Worker => None,
        Role::All | Role::Api => Some(
            tokio::net::TcpListener::bind(args.addr)
                .await
                .with_context(|| format!("binding {}", args.addr))?,
        ),
    })
}

fn public_url(
    args: &ServeArgs,
    listener: Option<&tokio::net::TcpListener>,
) -> anyhow::Result<String> {
    let addr = listener
        .map(|l| l.local_addr())
        .transpose()?
        .unwrap_or(args.addr);
    Ok(args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned())
}

fn launch(
    args: ServeArgs,
    listener: Option<tokio::net::TcpListener>,
    public_url: String,
    parts: Parts,
) -> anyhow::Result<Running> {
    let addr = listener.as_ref().map(|l| l.local_addr()).transpose()?;
    let keys = args.api.keys();
    if listener.is_some() && !keys.is_enabled() {
        Warning::OpenApi.log();
    }
    let workers = match args.role {
        Role::Api => 0,
        Role::All | Role::Worker => args.workers.unwrap_or(RunnerConfig::default().workers),
    };
    let runner = RunnerConfig {
        workers,
        poll_wait: parts.poll_wait,
        visibility: Duration::from_secs(args.visibility_timeout_secs),
    };
    // The upload page is served where uploads are: by the local backend.
    let routes = if parts.local.is_some() {
        parts.routes.merge(crate::web::router())
    } else {
        parts.routes
    };
    let app = pixpipe_api::app_with(
        AppState {
            service: parts.service,
            keys,
        },
        routes,
        pixpipe_api::HttpLimits {
            request_timeout: Duration::from_secs(args.request_timeout_secs),
        },
    );
    let app = CorsOrigins::parse(&args.cors_origins)?.apply(app);

    let (shutdown, stop) = watch::channel(false);
    let local = parts.local.clone();
    let conn = args.conn.clone();
    let clock = args.clock();
    let task = tokio::spawn(async move {
        let http = async {
            let Some(listener) = listener else {
                return Ok(());
            };
            crate::listen::serve(listener, app, &conn, stop.clone()).await;
            Ok(())
        };
        let callbacks = parts.pipeline.callbacks.clone();
        let jobs = parts.pipeline.jobs.clone();
        let dead_letters = parts.dead_letters.filter(|_| workers > 0);
        let work = pixpipe_worker::run(parts.queue, parts.pipeline, runner, stop.clone());
        let chores = async {
            if let Some(store) = parts.local {
                backend::housekeeping(store, callbacks.clone(), clock, stop.clone()).await;
            }
        };
        let poll_wait = parts.poll_wait;
        let dead_letters = async {
            if let Some(queue) = dead_letters {
                let callbacks = callbacks.clone();
                dead_letter::watch_queue(queue, jobs, callbacks, poll_wait, stop.clone()).await;
            }
        };
        let (served, (), (), ()) = tokio::join!(http, work, chores, dead_letters);
        if let Some(callbacks) = callbacks {
            let left = callbacks.drain(CALLBACK_DRAIN).await;
            if left > 0 {
                warn!(
                    left,
                    "callbacks still in progress at shutdown were abandoned"
                );
            }
        }
        served
    });
    info!(addr = ?addr, %public_url, workers, backend = ?args.backend, "pixpipe started");
    Ok(Running {
        addr,
        public_url,
        local,
        shutdown,
        task,
    })
}

/// Runs until Ctrl-C / SIGTERM, then shuts down gracefully.
pub async fn run_until_signal(args: ServeArgs) -> anyhow::Result<()> {
    let running = start(args).await?;
    match running.addr {
        Some(addr) => println!(
            "pixpipe listening on http://{addr} (public URL {})",
            running.public_url
        ),
        None => println!("pixpipe workers running (no HTTP listener)"),
    }
    shutdown_signal().await;
    info!("shutting down: finishing jobs in progress");
    running.stop().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
