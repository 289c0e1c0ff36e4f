//! Callbacks: a finished job (`succeeded` or `failed`) that carries a
//! `callback_url` is POSTed there as JSON, signed, retried with backoff.
//!
//! Headers: `Content-Type: application/json`, `Pixpipe-Event: job.succeeded |
//! job.failed`, `Pixpipe-Delivery: <uuid>` (the same on every attempt of one
//! delivery) and `Pixpipe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">`. Before every attempt the host is resolved and, unless
//! private callbacks are allowed, refused if any of its addresses is internal
//! (see [`pixpipe_core::callback`]); the request then goes only to the
//! addresses checked. No proxy, no redirects, a timeout per attempt.
//! Connection errors, timeouts, 429 and 5xx are retried; 2xx is delivered; any
//! other status ends the delivery. Sending never changes the job.
//!
//! Deliveries run in the background, at most `max_concurrent` at once and
//! [`MAX_QUEUED`] waiting; [`Notifier::drain`] waits for them (Lambda does so
//! before its invocation ends). Logs carry the job id, the event and the
//! status; never the URL's path or query, the secret or a signature.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use pixpipe_core::callback::{self as rules, CallbackUrlError};
use pixpipe_core::{Job, JobId, JobStatus};
use reqwest::StatusCode;
use sha2::Sha256;
use tokio::sync::{Semaphore, watch};
use tracing::{info, warn};
use url::{Host, Url};

/// Deliveries waiting for a sending slot beyond which new ones are dropped.
pub const MAX_QUEUED: usize = 1024;
/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// Renders a job as the JSON body of its callback (the API's job view).
pub type RenderJob = fn(&Job) -> Vec<u8>;

/// The HMAC key of callback signatures. Its `Debug` never shows it.
#[derive(Clone)]
pub struct CallbackSecret(Arc<str>);

impl CallbackSecret {
    /// `None` when `secret` is shorter than [`MIN_SECRET_LEN`] bytes.
    pub fn new(secret: &str) -> Option<Self> {
        (secret.len() >= MIN_SECRET_LEN).then(|| CallbackSecret(secret.into()))
    }
}

impl std::fmt::Debug for CallbackSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackSecret(<redacted>)")
    }
}

/// How callbacks are sent.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// Signing key; without one no callback is sent (and each is logged).
    pub secret: Option<CallbackSecret>,
    /// Send to loopback, private and link-local addresses too.
    pub allow_private: bool,
    /// Attempts per delivery, at least 1.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each later one (±25 % jitter).
    pub first_retry: Duration,
    /// Limit of one attempt: resolving, connecting, sending, the response head.
    pub attempt_timeout: Duration,
    /// Deliveries sending at once.
    pub max_concurrent: usize,
}

impl Default for CallbackConfig {
    fn default() -> Self {
        CallbackConfig {
            secret: None,
            allow_private: false,
            max_attempts: 5,
            first_retry: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(10),
            max_concurrent: 16,
        }
    }
}

/// The `Pixpipe-Signature` value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &CallbackSecret, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Wait after failed attempt number `attempt` (1-based): `first_retry · 2^(attempt-1)`, ±25 %.
pub fn backoff(first_retry: Duration, attempt: u32) -> Duration {
    let base = first_retry.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    base.mul_f64(rand::random_range(0.75..=1.25))
}

/// How one delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A 2xx answer.
    Delivered { attempts: u32, status: u16 },
    /// A status that retrying cannot fix (3xx, or 4xx other than 429).
    Rejected { attempts: u32, status: u16 },
    /// The destination is not allowed (an internal address).
    Refused { attempts: u32, reason: String },
    /// Every attempt failed with a retryable error.
    Exhausted { attempts: u32, last: String },
}

/// One attempt's result.
enum Attempt {
    Answered(StatusCode),
    Refused(String),
    Failed(String),
}

/// Sends callbacks for finished jobs. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    config: CallbackConfig,
    render: RenderJob,
    slots: Semaphore,
    in_flight: watch::Sender<usize>,
}

/// Counts a background delivery until dropped.
struct InFlight(Arc<Inner>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n -= 1);
    }
}

impl Notifier {
    pub fn new(config: CallbackConfig, render: RenderJob) -> Self {
        let slots = Semaphore::new(config.max_concurrent.max(1));
        Notifier {
            inner: Arc::new(Inner {
                config,
                render,
                slots,
                in_flight: watch::Sender::new(0),
            }),
        }
    }

    /// Starts the delivery of `job`'s callback in the background, if it has
    /// one and is `succeeded` or `failed`. Returns at once.
    pub fn job_finished(&self, job: &Job) {
        let Some(event) = event_of(job.status) else {
            return;
        };
        let Some(raw) = job.callback_url.as_deref() else {
            return;
        };
        if self.inner.config.secret.is_none() {
            warn!(job_id = %job.id, event, "no callback secret is configured; callback not sent");
            return;
        }
        let url = match Url::parse(raw) {
            Ok(url) => url,
            Err(_) => {
                warn!(job_id = %job.id, event, "stored callback_url does not parse; callback not sent");
                return;
            }
        };
        let mut queued = false;
        self.inner.in_flight.send_if_modified(|n| {
            queued = *n < MAX_QUEUED;
            *n += usize::from(queued);
            queued
        });
        if !queued {
            warn!(job_id = %job.id, event, "too many callbacks waiting; callback dropped");
            return;
        }
        let guard = InFlight(self.inner.clone());
        let body = (self.inner.render)(job);
        let (notifier, id) = (self.clone(), job.id);
        tokio::spawn(async move {
            let _guard = guard;
            let Ok(_slot) = notifier.inner.slots.acquire().await else {
                return;
            };
            let outcome = notifier.deliver(id, &url, event, body).await;
            log_outcome(id, event, &url, &outcome);
        });
    }

    /// Waits up to `within` for background deliveries; returns how many are still running.
    pub async fn drain(&self, within: Duration) -> usize {
        let mut count = self.inner.in_flight.subscribe();
        let _ = tokio::time::timeout(within, count.wait_for(|n| *n == 0)).await;
        *count.borrow()
    }

    /// Delivers `body` to `url`, retrying as configured.
    pub async fn deliver(&self, id: JobId, url: &Url, event: &str, body: Vec<u8>) -> Delivery {
        let config = &self.inner.config;
        let Some(secret) = &config.secret else {
            return Delivery::Refused {
                attempts: 0,
                reason: "no callback secret is configured".into(),
            };
        };
        let delivery_id = uuid::Uuid::now_v7().to_string();
        let max_attempts = config.max_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=max_attempts {
            match self.attempt(url, event, &delivery_id, secret, &body).await {
                Attempt::Answered(status) if status.is_success() => {
                    return Delivery::Delivered {
                        attempts: attempt,
                        status: status.as_u16(),
                    };
                }
                Attempt::Answered(status)
                    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() =>
                {
                    last = format!("status {}", status.as_u16());
                }
                Attempt::Answered(status) => {
                    return Delivery::Rejected {
                        attempts: attempt,
                        status: status.as_u16(),
                    };
                }
                Attempt::Refused(reason) => {
                    return Delivery::Refused {
                        attempts: attempt,
                        reason,
                    };
                }
                Attempt::Failed(reason) => last = reason,
            }
            if attempt < max_attempts {
                info!(job_id = %id, event, attempt, error = %last, "callback attempt failed; retrying");
                tokio::time::sleep(backoff(config.first_retry, attempt)).await;
            }
        }
        Delivery::Exhausted {
            attempts: max_attempts,
            last,
        }
    }

    async fn attempt(
        &self,
        url: &Url,
        event: &str,
        delivery_id: &str,
        secret: &CallbackSecret,
        body: &[u8],
    ) -> Attempt {
        let timeout = self.inner.config.attempt_timeout;
        let started = tokio::time::Instant::now();
        let client = match self.client_for(url).await {
            Ok(client) => client,
            Err(attempt) => return attempt,
        };
        let timestamp = chrono::Utc::now().timestamp();
        let request = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Pixpipe-Event", event)
            .header("Pixpipe-Delivery", delivery_id)
            .header("Pixpipe-Signature", signature(secret, timestamp, body))
            .timeout(timeout.saturating_sub(started.elapsed()))
            .body(body.to_vec());
        // The answer's body is never read: only its status counts.
        match request.send().await {
            Ok(response) => Attempt::Answered(response.status()),
            Err(e) if e.is_timeout() => Attempt::Failed("timed out".into()),
            Err(e) if e.is_connect() => Attempt::Failed("could not connect".into()),
            Err(_) => Attempt::Failed("request failed".into()),
        }
    }

    /// A client that connects only to the checked addresses of `url`'s host.
    async fn client_for(&self, url: &Url) -> Result<reqwest::Client, Attempt> {
        let config = &self.inner.config;
        let refused = |e: CallbackUrlError| Attempt::Refused(e.to_string());
        let host = url
            .host()
            .ok_or_else(|| Attempt::Refused("callback_url has no host".into()))?;
        if !config.allow_private {
            rules::check_host(&host).map_err(refused)?;
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(config.attempt_timeout)
            .user_agent(concat!("pixpipe/", env!("CARGO_PKG_VERSION")));
        if let Host::Domain(name) = host {
            let port = url.port_or_known_default().unwrap_or(80);
            let lookup = tokio::net::lookup_host((name, port));
            let addrs: Vec<SocketAddr> =
                match tokio::time::timeout(config.attempt_timeout, lookup).await {
                    Ok(Ok(addrs)) => addrs.collect(),
                    Ok(Err(_)) => return Err(Attempt::Failed("could not resolve the host".into())),
                    Err(_) => return Err(Attempt::Failed("resolving the host timed out".into())),
                };
            if addrs.is_empty() {
                return Err(Attempt::Failed("the host has no address".into()));
            }
            if !config.allow_private {
                for addr in &addrs {
                    rules::check_ip(addr.ip()).map_err(refused)?;
                }
            }
            builder = builder.resolve_to_addrs(name, &addrs);
        }
        builder
            .build()
            .map_err(|_| Attempt::Failed("could not build an HTTP client".into()))
    }
}

/// The `Pixpipe-Event` of a finished job; `None` for other states.
pub fn event_of(status: JobStatus) -> Option<&'static str> {
    match status {
        JobStatus::Succeeded => Some("job.succeeded"),
        JobStatus::Failed => Some("job.failed"),
        _ => None,
    }
}

fn log_outcome(id: JobId, event: &str, url: &Url, outcome: &Delivery) {
    let host = url.host_str().unwrap_or("");
    match outcome {
        Delivery::Delivered { attempts, status } => {
            info!(job_id = %id, event, host, status, attempts, "callback delivered");
        }
        Delivery::Rejected { attempts, status } => {
            warn!(job_id = %id, event, host, status, attempts, "callback rejected by the receiver; not retried");
        }
        Delivery::Refused { attempts, reason } => {
            warn!(job_id = %id, event, host, attempts, reason = %reason, "callback refused");
        }
        Delivery::Exhausted { attempts, last } => {
            warn!(job_id = %id, event, host, attempts, error = %last, "callback not delivered; attempts spent");
        }
    }
}

#[cfg(test)]
#[path = "callback_tests.rs"]
mod tests;
