//! [`JobArgs`]: what every process checks a job against — upload size and
//! lifetime, pixels, attempts, callback addresses, the AVIF budget — read by `serve` and by
//! both Lambda functions, so each promise has one default and one range.

use std::time::Duration;

use pixpipe_core::Settings;
use pixpipe_imaging::Limits;

/// Longest lifetime of an upload URL: S3's limit for a presigned URL (7
/// days), applied on both backends so that `upload_expires_at` is never later
/// than the URL's own expiry.
pub const MAX_UPLOAD_TTL_SECS: u64 = 7 * 24 * 3600;

/// Limits of a job (flags, or the environment variables named).
#[derive(Debug, Clone, clap::Args)]
pub struct JobArgs {
    /// Largest accepted upload, in bytes (also the largest source a worker reads).
    #[arg(long, env = "PIXPIPE_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_upload_bytes: u64,
    /// Largest accepted source and output, in pixels (width × height); a job's
    /// outputs together may have 4 times as many.
    #[arg(long, env = "PIXPIPE_MAX_PIXELS", default_value_t = 50_000_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pixels: u64,
    /// Seconds an upload URL stays valid, 1 to 604800 (7 days, S3's limit for
    /// a presigned URL).
    #[arg(long, env = "PIXPIPE_UPLOAD_TTL_SECS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(1..=MAX_UPLOAD_TTL_SECS))]
    pub upload_ttl_secs: u64,
    /// Deliveries of a job before a transient error fails it for good (on
    /// AWS, give the queue's redrive `maxReceiveCount` at least one more).
    #[arg(long, env = "PIXPIPE_MAX_ATTEMPTS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_attempts: u32,
    /// Accept and send callbacks to loopback, private and link-local addresses
    /// (environment: true/false, 1/0, yes/no, on/off).
    #[arg(
        long,
        env = "PIXPIPE_ALLOW_PRIVATE_CALLBACKS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_private_callbacks: bool,
    /// CPU seconds one job may spend encoding AVIF, all its AVIF variants
    /// together (0 to 600; 0 skips every AVIF variant). It picks their
    /// encoder speed, or skips those it cannot afford (`skipped: budget`);
    /// see the README's "AVIF and its budget" for the cost model.
    #[arg(long, env = "PIXPIPE_AVIF_BUDGET_SECS",
          default_value_t = pixpipe_imaging::DEFAULT_AVIF_BUDGET.as_secs(),
          value_parser = clap::value_parser!(u64).range(0..=600))]
    pub avif_budget_secs: u64,
}

impl Default for JobArgs {
    fn default() -> Self {
        let settings = Settings::default();
        JobArgs {
            max_upload_bytes: settings.max_upload_bytes,
            max_pixels: settings.max_pixels,
            upload_ttl_secs: settings.upload_ttl.as_secs(),
            max_attempts: 5,
            allow_private_callbacks: false,
            avif_budget_secs: pixpipe_imaging::DEFAULT_AVIF_BUDGET.as_secs(),
        }
    }
}

impl JobArgs {
    /// The API's settings; `watermark_configured` says whether the workers
    /// have a watermark to draw.
    pub fn settings(&self, watermark_configured: bool) -> Settings {
        Settings {
            max_upload_bytes: self.max_upload_bytes,
            upload_ttl: Duration::from_secs(self.upload_ttl_secs),
            allow_private_callbacks: self.allow_private_callbacks,
            watermark_configured,
            max_pixels: self.max_pixels,
        }
    }

    /// The decoder's limits: these sizes, the rest as `Limits::default()`.
    pub fn limits(&self) -> Limits {
        Limits {
            max_input_bytes: usize::try_from(self.max_upload_bytes).unwrap_or(usize::MAX),
            max_pixels: self.max_pixels,
            avif_budget: Duration::from_secs(self.avif_budget_secs),
            ..Limits::default()
        }
    }
}
