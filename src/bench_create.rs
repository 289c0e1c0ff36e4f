//! `pixpipe bench-create`: job creation under load, measured from the client.
//!
//! `--clients` tasks share one HTTP client (one keep-alive connection each)
//! and send `POST /v1/jobs` back to back until `--jobs` requests have been
//! answered, so that `--clients` creations are in flight at every moment.
//! The first `--warmup` answers are not counted. Each request is timed from
//! just before it is sent to its whole answer read, on a monotonic clock;
//! an answer other than `201 Created` counts as an error and is not in the
//! latencies. The run prints one line of figures (p50, p90, p99, max in
//! milliseconds, throughput in jobs per second over the counted span) and,
//! with `--json`, one JSON line instead.
//!
//! The client runs on a single-threaded runtime, so that it takes as little
//! of the machine from the server as it can; `bench/create-latency.sh` starts
//! a server on a temporary data directory and runs this against it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::json;

/// Arguments of `pixpipe bench-create`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchCreateArgs {
    /// Base URL of a running pixpipe API.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Creations kept in flight at once (one connection each).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub clients: u16,
    /// Counted creations.
    #[arg(long, default_value_t = 2000)]
    pub jobs: usize,
    /// Creations sent first and not counted.
    #[arg(long, default_value_t = 200)]
    pub warmup: usize,
    /// API key, sent as `Authorization: Bearer KEY` (none by default).
    #[arg(long, env = "PIXPIPE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Print one JSON line instead of the text line.
    #[arg(long)]
    pub json: bool,
}

/// The figures of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub clients: u16,
    /// Counted creations answered 201.
    pub ok: usize,
    /// Counted creations answered otherwise, or not at all.
    pub errors: usize,
    /// Latency quantiles of the successful counted creations.
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Counted answers per second, over the span from the first counted
    /// request's start to the last counted answer.
    pub per_sec: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "create: {} clients, {} ok, {} errors; p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.0} jobs/s",
            self.clients,
            self.ok,
            self.errors,
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
            self.per_sec
        )
    }
}

/// Runs the benchmark and prints its figures.
pub fn run(args: &BenchCreateArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(measure(args))?;
    if args.json {
        let ms = |d: Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
        println!(
            "{}",
            json!({
                "clients": report.clients,
                "ok": report.ok,
                "errors": report.errors,
                "p50_ms": ms(report.p50),
                "p90_ms": ms(report.p90),
                "p99_ms": ms(report.p99),
                "max_ms": ms(report.max),
                "jobs_per_sec": (report.per_sec * 10.0).round() / 10.0,
            })
        );
    } else {
        println!("{report}");
    }
    ensure!(report.ok > 0, "no creation succeeded");
    Ok(())
}

/// One timed creation: when it started and how it went.
struct Sample {
    index: usize,
    started: Instant,
    finished: Instant,
    ok: bool,
}

/// Sends the creations and gathers the figures.
pub async fn measure(args: &BenchCreateArgs) -> anyhow::Result<Report> {
    let clients = usize::from(args.clients);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(60))
        .build()
        .context("building the HTTP client")?;
    let endpoint = format!("{}/v1/jobs", args.url.trim_end_matches('/'));
    let body = json!({
        "content_type": "image/jpeg",
        "content_length": 1_000_000,
        "filename": "photo.jpg",
        "preset": "standard",
    });
    let total = args.warmup + args.jobs;
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (http, endpoint, body, next) =
            (http.clone(), endpoint.clone(), body.clone(), next.clone());
        let key = args.api_key.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= total {
                    return samples;
                }
                let mut request = http.post(&endpoint).json(&body);
                if let Some(key) = &key {
                    request = request.bearer_auth(key);
                }
                let started = Instant::now();
                let ok = match request.send().await {
                    Ok(res) => {
                        let created = res.status() == reqwest::StatusCode::CREATED;
                        res.bytes().await.is_ok() && created
                    }
                    Err(_) => false,
                };
                samples.push(Sample {
                    index,
                    started,
                    finished: Instant::now(),
                    ok,
                });
            }
        }));
    }
    let mut samples = Vec::with_capacity(total);
    for task in tasks {
        samples.extend(task.await.context("a client task failed")?);
    }
    Ok(summarise(args.clients, args.warmup, &samples))
}

fn summarise(clients: u16, warmup: usize, samples: &[Sample]) -> Report {
    let counted: Vec<&Sample> = samples.iter().filter(|s| s.index >= warmup).collect();
    let mut latencies: Vec<Duration> = counted
        .iter()
        .filter(|s| s.ok)
        .map(|s| s.finished - s.started)
        .collect();
    latencies.sort_unstable();
    let span = match (
        counted.iter().map(|s| s.started).min(),
        counted.iter().map(|s| s.finished).max(),
    ) {
        (Some(first), Some(last)) => (last - first).as_secs_f64(),
        _ => 0.0,
    };
    Report {
        clients,
        ok: latencies.len(),
        errors: counted.len() - latencies.len(),
        p50: quantile(&latencies, 0.50),
        p90: quantile(&latencies, 0.90),
        p99: quantile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or_default(),
        per_sec: if span > 0.0 {
            counted.len() as f64 / span
        } else {
            0.0
        },
    }
}

/// The nearest-rank quantile of sorted values (zero when there are none).
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(quantile(&sorted, 0.50), ms(50));
        assert_eq!(quantile(&sorted, 0.99), ms(99));
        assert_eq!(quantile(&sorted, 1.0), ms(100));
        assert_eq!(quantile(&[ms(7)], 0.99), ms(7));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn warmup_and_failures_are_not_latencies() {
        let t0 = Instant::now();
        let sample = |index, start, end, ok| Sample {
            index,
            started: t0 + ms(start),
            finished: t0 + ms(end),
            ok,
        };
        let samples = [
            sample(0, 0, 900, true), // warm-up: neither counted nor timed
            sample(1, 1000, 1010, true),
            sample(2, 1000, 1030, true),
            sample(3, 1010, 2000, false),
        ];
        let report = summarise(2, 1, &samples);
        assert_eq!((report.ok, report.errors), (2, 1));
        assert_eq!(report.p50, ms(10));
        assert_eq!(report.max, ms(30));
        assert!((report.per_sec - 3.0).abs() < 1e-9, "{}", report.per_sec);
    }
}
