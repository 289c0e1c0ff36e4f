//! `pixpipe serve`: the API, the signed-upload endpoint, the result server and
//! the workers in one process over the embedded (SQLite + files) adapters.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use pixpipe_api::{ApiKeys, AppState};
use pixpipe_core::{JobStore, Service, Settings, lifecycle};
use pixpipe_imaging::Limits;
use pixpipe_local::{LocalConfig, LocalHttp, LocalStore};
use pixpipe_worker::{Pipeline, RunnerConfig};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::{info, warn};

/// Longest any request may take, uploads included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Settings of the local server (flags, or the environment variables named).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PIXPIPE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Where jobs, the queue and blobs are kept.
    #[arg(long, env = "PIXPIPE_DATA_DIR", default_value = "./pixpipe-data")]
    pub data_dir: PathBuf,
    /// Base of the URLs handed to clients (default: http://<addr>).
    #[arg(long, env = "PIXPIPE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Concurrent processing jobs (default: the number of cores; 0 = accept uploads only).
    #[arg(long, env = "PIXPIPE_WORKERS")]
    pub workers: Option<usize>,
    /// Comma-separated API keys; when empty, the API needs no key.
    #[arg(
        long,
        env = "PIXPIPE_API_KEYS",
        default_value = "",
        hide_env_values = true
    )]
    pub api_keys: String,
    /// Secret for signing upload URLs (default: generated once into the data dir).
    #[arg(long, env = "PIXPIPE_UPLOAD_SECRET", hide_env_values = true)]
    pub upload_secret: Option<String>,
    /// Largest accepted upload, in bytes.
    #[arg(long, env = "PIXPIPE_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_upload_bytes: u64,
    /// Largest accepted source, in pixels (width × height).
    #[arg(long, env = "PIXPIPE_MAX_PIXELS", default_value_t = 50_000_000)]
    pub max_pixels: u64,
    /// Seconds an upload URL stays valid.
    #[arg(long, env = "PIXPIPE_UPLOAD_TTL_SECS", default_value_t = 900)]
    pub upload_ttl_secs: u64,
    /// Deliveries of a job before it fails for good.
    #[arg(long, env = "PIXPIPE_MAX_ATTEMPTS", default_value_t = 5)]
    pub max_attempts: u32,
}

impl ServeArgs {
    pub fn into_config(self) -> anyhow::Result<ServeArgs> {
        anyhow::ensure!(self.max_attempts >= 1, "--max-attempts must be at least 1");
        anyhow::ensure!(
            self.upload_ttl_secs >= 1,
            "--upload-ttl-secs must be at least 1"
        );
        Ok(self)
    }

    /// Defaults for a server on `addr` with its data in `data_dir` (used by tests).
    pub fn new(addr: SocketAddr, data_dir: PathBuf) -> Self {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: ServeArgs,
        }
        let mut args = Wrapper::parse_from(["pixpipe"]).args;
        args.addr = addr;
        args.data_dir = data_dir;
        args
    }
}

/// A started server.
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// Base of the URLs it hands out.
    pub public_url: String,
    pub store: Arc<LocalStore>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting, lets workers finish their current job, and waits.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("server task panicked")?
    }
}

/// Binds, opens the data dir and starts serving in the background.
pub async fn start(args: ServeArgs) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let addr = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let local = pixpipe_local::open(LocalConfig {
        data_dir: args.data_dir.clone(),
        public_base: public_url.clone(),
        upload_secret: args.upload_secret.clone(),
        max_receives: args.max_attempts,
    })
    .await
    .with_context(|| format!("opening data dir {}", args.data_dir.display()))?;

    let keys = ApiKeys::from_csv(&args.api_keys);
    if !keys.is_enabled() {
        warn!("PIXPIPE_API_KEYS is empty: the API accepts every request without a key");
    }
    let settings = Settings {
        max_upload_bytes: args.max_upload_bytes,
        upload_ttl: Duration::from_secs(args.upload_ttl_secs),
    };
    let service = Service::new(local.store.clone(), local.blobs.clone(), settings);
    let limits = Limits {
        max_input_bytes: usize::try_from(args.max_upload_bytes).unwrap_or(usize::MAX),
        max_pixels: args.max_pixels,
        ..Limits::default()
    };
    let app = app(AppState { service, keys }, &local, args.max_upload_bytes);

    let (shutdown, shutdown_rx) = watch::channel(false);
    let pipeline = Pipeline {
        jobs: local.store.clone(),
        blobs: local.blobs.clone(),
        limits,
    };
    let runner = RunnerConfig {
        workers: args.workers.unwrap_or(RunnerConfig::default().workers),
        ..RunnerConfig::default()
    };
    let store = local.store.clone();
    let task = tokio::spawn(run_all(
        listener,
        app,
        store.clone(),
        pipeline,
        runner,
        shutdown_rx,
    ));
    info!(%addr, %public_url, workers = runner.workers, "pixpipe listening");
    Ok(Running {
        addr,
        public_url,
        store,
        shutdown,
        task,
    })
}

fn app(state: AppState, local: &pixpipe_local::Local, max_upload_bytes: u64) -> Router {
    let uploads = pixpipe_local::router(LocalHttp {
        max_upload_bytes,
        ..LocalHttp::new(local)
    });
    pixpipe_api::router(state)
        .merge(uploads)
        .fallback(pixpipe_api::not_found)
        .method_not_allowed_fallback(pixpipe_api::method_not_allowed)
        // Bounds slow clients (an upload of the largest size on a slow link fits).
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        // Spans carry the path only: upload URLs hold their signature in the query.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
}

async fn run_all(
    listener: tokio::net::TcpListener,
    app: Router,
    store: Arc<LocalStore>,
    pipeline: Pipeline,
    runner: RunnerConfig,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut stop_http = shutdown.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop_http.wait_for(|s| *s).await;
    });
    let workers = pixpipe_worker::run(store.clone(), pipeline.clone(), runner, shutdown.clone());
    let sweeper = housekeeping(store, shutdown);
    let (served, (), ()) = tokio::join!(server, workers, sweeper);
    served.context("HTTP server failed")
}

/// Every second: expires jobs whose upload never came, and fails jobs whose
/// queue item was dead-lettered (a worker died on their last delivery).
async fn housekeeping(store: Arc<LocalStore>, mut shutdown: watch::Receiver<bool>) {
    let jobs: &dyn JobStore = store.as_ref();
    loop {
        match store.expire_stale(Utc::now()).await {
            Ok(ids) => {
                for id in ids {
                    if let Err(e) = lifecycle::expire_if_stale(jobs, id, Utc::now()).await {
                        warn!(error = ?e, job_id = %id, "could not expire job");
                    }
                }
            }
            Err(e) => warn!(error = ?e, "expiry sweep failed"),
        }
        match store.dead_unfinished_jobs(100).await {
            Ok(ids) => {
                for id in ids {
                    let message = "the last delivery of this job was lost; it will not be retried";
                    if let Err(e) = lifecycle::fail(jobs, id, "processing_failed", message).await {
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

/// Runs until Ctrl-C / SIGTERM, then shuts down gracefully.
pub async fn run_until_signal(args: ServeArgs) -> anyhow::Result<()> {
    let running = start(args).await?;
    println!(
        "pixpipe listening on {} (public URL {})",
        running.addr, running.public_url
    );
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
