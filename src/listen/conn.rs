//! One accepted connection as the listener sees it: waiting (for its first
//! request head, or idle between requests) or busy (a request's head has
//! arrived and its response is not yet fully written), and the watchdog that
//! closes it when it waits too long.
//!
//! Busy is counted from the service being called (hyper has parsed a head)
//! to the response body being dropped (hyper has written it), so the same
//! rule holds for HTTP/1 and HTTP/2 and for the protocol sniffing before
//! either: hyper's own `header_read_timeout` covers none of a connection
//! that sends nothing, nor HTTP/2 or the sniffing.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;
use tracing::debug;

/// How long a connection may wait, in each of its waiting states.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From accept to the first complete request head, and from the first
    /// byte of any later head to its end.
    pub header: Duration,
    /// Between requests on a kept-alive connection, with no byte received.
    pub idle: Duration,
}

/// "No time": `head_started` when no byte of a head has arrived.
const NONE: u64 = u64::MAX;

/// The start of the listener's clock, so that times fit in atomics.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Milliseconds since [`base`].
fn now_ms() -> u64 {
    u64::try_from(base().elapsed().as_millis()).unwrap_or(NONE - 1)
}

/// The shared state of one connection.
#[derive(Debug)]
pub struct Conn {
    /// Requests whose head has arrived and whose response is not yet written.
    in_flight: AtomicUsize,
    /// Requests begun on this connection.
    served: AtomicU64,
    /// When the connection last became waiting (accepted, or a response written).
    waiting_since: AtomicU64,
    /// When the first byte arrived since then, or [`NONE`].
    head_started: AtomicU64,
    /// Wakes the watchdog when the deadline may have moved.
    changed: Notify,
    /// Tells the connection to close at once (to make room for another).
    evict: Notify,
    evicted: AtomicBool,
}

impl Conn {
    pub fn new() -> Arc<Conn> {
        Arc::new(Conn {
            in_flight: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            waiting_since: AtomicU64::new(now_ms()),
            head_started: AtomicU64::new(NONE),
            changed: Notify::new(),
            evict: Notify::new(),
            evicted: AtomicBool::new(false),
        })
    }

    /// Since when the connection has been waiting for a request (in the
    /// listener's milliseconds), or `None` while it serves one.
    pub fn waiting_since(&self) -> Option<u64> {
        (self.in_flight.load(SeqCst) == 0).then(|| self.waiting_since.load(SeqCst))
    }

    /// When the connection is to be closed unless a request head arrives;
    /// `None` while a request is in flight.
    fn deadline(&self, t: Timeouts) -> Option<Instant> {
        let since = self.waiting_since()?;
        let head = self.head_started.load(SeqCst);
        let ms = if self.served.load(SeqCst) == 0 {
            since.saturating_add(millis(t.header))
        } else if head != NONE {
            head.saturating_add(millis(t.header))
        } else {
            since.saturating_add(millis(t.idle))
        };
        base().checked_add(Duration::from_millis(ms))
    }

    /// Closes the connection soon, whatever it is doing; `false` if it was
    /// already told to.
    pub fn evict(&self) -> bool {
        let first = !self.evicted.swap(true, SeqCst);
        if first {
            self.evict.notify_one();
        }
        first
    }

    pub fn is_evicted(&self) -> bool {
        self.evicted.load(SeqCst)
    }

    fn bytes_read(&self) {
        if self.in_flight.load(SeqCst) == 0
            && self
                .head_started
                .compare_exchange(NONE, now_ms(), SeqCst, SeqCst)
                .is_ok()
        {
            self.changed.notify_one();
        }
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, SeqCst);
        self.served.fetch_add(1, SeqCst);
        self.head_started.store(NONE, SeqCst);
        InFlight(Arc::clone(self))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(NONE - 1)
}

/// A request in flight; dropped with its response body.
#[derive(Debug)]
struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let conn = &self.0;
        conn.waiting_since.store(now_ms(), SeqCst);
        conn.head_started.store(NONE, SeqCst);
        if conn.in_flight.fetch_sub(1, SeqCst) == 1 {
            conn.changed.notify_one();
        }
    }
}

/// The socket, noting when bytes arrive.
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The app, counting each request in flight until its response body is dropped.
#[derive(Clone)]
struct Tracked {
    app: Router,
    conn: Arc<Conn>,
}

type Responding = Pin<Box<dyn Future<Output = Result<Response<TrackedBody>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Tracked {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = Responding;

    fn call(&self, request: Request<Incoming>) -> Responding {
        let in_flight = self.conn.request_started();
        let app = self.app.clone();
        Box::pin(async move {
            let response = app.oneshot(request.map(Body::new)).await?;
            Ok(response.map(|body| TrackedBody {
                body,
                _in_flight: in_flight,
            }))
        })
    }
}

/// A response body holding its request's [`InFlight`].
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The signals of a listener that is stopping.
#[derive(Clone)]
pub struct Stopping {
    /// Finish the requests in flight, take no more, then close.
    pub drain: watch::Receiver<bool>,
    /// Close now.
    pub close: watch::Receiver<bool>,
}

/// Serves `stream` until the client or the server ends it, the connection
/// waits longer than `timeouts` allow, it is evicted, or the listener stops.
pub async fn serve(
    builder: &auto::Builder<TokioExecutor>,
    stream: TcpStream,
    app: Router,
    conn: Arc<Conn>,
    timeouts: Timeouts,
    mut stopping: Stopping,
) {
    let io = TokioIo::new(Watched {
        stream,
        conn: Arc::clone(&conn),
    });
    let service = Tracked {
        app,
        conn: Arc::clone(&conn),
    };
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        let deadline = conn.deadline(timeouts);
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(e) = served {
                    debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = sleep_until(deadline) => {
                if conn.deadline(timeouts).is_some_and(|d| d <= Instant::now()) {
                    debug!("closing a connection that sent no request in time");
                    return;
                }
            }
            () = conn.changed.notified() => {}
            () = conn.evict.notified() => {
                debug!("closing a waiting connection to make room");
                return;
            }
            _ = stopping.drain.wait_for(|d| *d), if !draining => {
                draining = true;
                // Nothing was ever answered here: nothing to finish.
                if conn.served.load(SeqCst) == 0 && conn.waiting_since().is_some() {
                    return;
                }
                // Hyper closes an idle connection now, a busy one after its
                // response (HTTP/2: GOAWAY, then the open streams).
                connection.as_mut().graceful_shutdown();
            }
            _ = stopping.close.wait_for(|c| *c) => return,
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
