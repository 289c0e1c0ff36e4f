//! The HTTP listener of `pixpipe serve`: its own accept loop over hyper's
//! HTTP/1 + HTTP/2 connection builder, so that connections that never
//! complete a request cannot hold the server.
//!
//! - A connection must send a full request head within the header-read
//!   timeout of being accepted (and of the first byte of any later head),
//!   and is closed when idle between requests longer than the idle timeout.
//! - At most `--max-connections` are open. When full, the connection that has
//!   waited longest for a request (half-open or idle) is closed to make room;
//!   when every one is busy with a request, accepting waits for one to end.
//!   Failed accepts (no file descriptors left) close a waiting connection
//!   and pause briefly instead of spinning.
//! - On stop: accepting ends, waiting connections close at once, requests in
//!   flight get up to `--shutdown-drain-secs`, then every connection left is closed.

mod conn;

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tracing::{info, warn};

use conn::{Conn, Stopping, Timeouts};

/// Connection limits of the HTTP listener and of the upload route (flags,
/// or the environment variables named).
#[derive(Debug, Clone, clap::Args)]
pub struct ConnArgs {
    /// Seconds a connection has to send a complete request head (from its
    /// accept, or from the first byte of a later request); then it is closed.
    #[arg(long, env = "PIXPIPE_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Seconds a kept-alive connection may stay idle between requests.
    #[arg(long, env = "PIXPIPE_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// Most connections open at once (the longest-waiting one is closed to
    /// admit another; when all are busy, new ones wait).
    #[arg(long, env = "PIXPIPE_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: u32,
    /// Local backend: an upload body that gets fewer than
    /// --min-upload-bytes-per-sec in any window of this many seconds is
    /// abandoned (408 `request_timeout`), and its job's upload may be retried.
    #[arg(long, env = "PIXPIPE_BODY_READ_TIMEOUT_SECS", default_value_t = 30)]
    pub body_read_timeout_secs: u64,
    /// Local backend: the slowest upload accepted, averaged over each
    /// --body-read-timeout-secs window (0: only a body that stalls is abandoned).
    #[arg(long, env = "PIXPIPE_MIN_UPLOAD_BYTES_PER_SEC", default_value_t = 1024)]
    pub min_upload_bytes_per_sec: u64,
    /// Seconds requests in flight may take to finish once the server is told
    /// to stop; then every connection left is closed.
    #[arg(long, env = "PIXPIPE_SHUTDOWN_DRAIN_SECS", default_value_t = 10)]
    pub shutdown_drain_secs: u64,
}

impl ConnArgs {
    pub fn validate(&self) -> anyhow::Result<()> {
        for (value, flag) in [
            (self.header_read_timeout_secs, "--header-read-timeout-secs"),
            (self.idle_timeout_secs, "--idle-timeout-secs"),
            (self.body_read_timeout_secs, "--body-read-timeout-secs"),
        ] {
            anyhow::ensure!(value >= 1, "{flag} must be at least 1");
        }
        anyhow::ensure!(
            (1..=1_000_000).contains(&self.max_connections),
            "--max-connections must be 1 to 1000000"
        );
        Ok(())
    }

    fn timeouts(&self) -> Timeouts {
        Timeouts {
            header: Duration::from_secs(self.header_read_timeout_secs),
            idle: Duration::from_secs(self.idle_timeout_secs),
        }
    }
}

/// The open connections, to pick one to close when full.
#[derive(Default)]
struct Open {
    next: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Open {
    fn add(&self, conn: Arc<Conn>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, conn);
        id
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the connection that has waited longest for a request; `false`
    /// when every connection is busy (or already closing).
    fn evict_longest_waiting(&self) -> bool {
        let conns = self.lock();
        let longest = conns
            .values()
            .filter_map(|c| Some((c.waiting_since()?, c)))
            .filter(|(_, c)| !c.is_evicted())
            .min_by_key(|(since, _)| *since);
        longest.is_some_and(|(_, c)| c.evict())
    }
}

/// Serves `app` on `listener` until `stop` turns true (or its sender is
/// dropped), then drains as [`ConnArgs::shutdown_drain_secs`] says.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &ConnArgs,
    mut stop: watch::Receiver<bool>,
) {
    warn_if_over_file_limit(limits.max_connections);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The watchdog in `conn` times heads; hyper's own timer stays unset.
    builder.http1().header_read_timeout(None);
    let builder = Arc::new(builder);
    let timeouts = limits.timeouts();
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let open = Arc::new(Open::default());
    let (drain, drain_rx) = watch::channel(false);
    let (close, close_rx) = watch::channel(false);
    let stopping = Stopping {
        drain: drain_rx,
        close: close_rx,
    };
    let mut last_warning: Option<Instant> = None;
    loop {
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                open.evict_longest_waiting();
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors (or memory): make room and pause,
                // as the pending connection would fail again at once.
                if last_warning.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                    warn!(error = %e, "cannot accept connections; closing a waiting one and retrying");
                    last_warning = Some(Instant::now());
                }
                open.evict_longest_waiting();
                drop(slot);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        };
        let conn = Conn::new();
        let id = open.add(Arc::clone(&conn));
        let (builder, app, open, stopping) = (
            Arc::clone(&builder),
            app.clone(),
            Arc::clone(&open),
            stopping.clone(),
        );
        tokio::spawn(async move {
            conn::serve(&builder, stream, app, conn, timeouts, stopping).await;
            open.remove(id);
            drop(slot);
        });
    }
    drop(listener);
    let _ = drain.send(true);
    let all = Arc::clone(&slots).acquire_many_owned(limits.max_connections);
    let drain_time = Duration::from_secs(limits.shutdown_drain_secs);
    let left = open.len();
    if left > 0 {
        info!(connections = left, "draining connections");
    }
    if tokio::time::timeout(drain_time, all).await.is_err() {
        warn!(
            connections = open.len(),
            "closing connections still open after the drain time"
        );
        let _ = close.send(true);
        let _ = slots.acquire_many(limits.max_connections).await;
    }
}

/// Warns when `--max-connections` leaves too few of the process's file
/// descriptors for its database, files and outgoing connections.
fn warn_if_over_file_limit(max_connections: u32) {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes the struct it is given, nothing else.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        let wanted = libc::rlim_t::from(max_connections) + 256;
        if rc == 0 && limit.rlim_cur != libc::RLIM_INFINITY && wanted > limit.rlim_cur {
            warn!(
                max_connections,
                open_files = limit.rlim_cur,
                "--max-connections is near the open-file limit (ulimit -n): accepting may fail before the cap"
            );
        }
    }
}

/// Errors of one connection that should not stop accepting.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
