//! Per-job metrics in CloudWatch Embedded Metric Format (EMF): one JSON line
//! for each job a worker finishes (succeeded or failed), which CloudWatch Logs
//! turns into metrics in namespace `pixpipe` with dimension `outcome`:
//! `DurationMs` (Milliseconds), `MegapixelsIn` (None), `BytesOut` (Bytes);
//! `job_id` and `error_code` ride along as properties for Logs Insights.
//!
//! Written to stdout when the setting `PIXPIPE_METRICS` is `emf`
//! (`pixpipe_config::WorkerArgs`; `template.yaml` sets it for the Lambda
//! functions). [`MetricsSink`] hands each line to an [`EmfWriter`]
//! ([`Stdout`] here; any other destination implements the trait).

use std::fmt;
use std::io::Write as _;
use std::sync::Arc;

use pixpipe_core::JobId;
use serde_json::{Value, json};

use crate::pipeline::{Outcome, RunStats};

/// The EMF line of a finished job; `None` for a skipped or retried delivery.
pub fn emf_line(job_id: JobId, outcome: &Outcome, timestamp_ms: i64) -> Option<String> {
    let (name, code, stats): (&str, Option<&str>, &RunStats) = match outcome {
        Outcome::Succeeded(stats) => ("succeeded", None, stats),
        Outcome::Failed { code, stats } => ("failed", Some(code.as_str()), stats),
        Outcome::Skipped(_) | Outcome::Retry(_) => return None,
    };
    let line = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "pixpipe",
                "Dimensions": [["outcome"]],
                "Metrics": [
                    {"Name": "DurationMs", "Unit": "Milliseconds"},
                    {"Name": "MegapixelsIn", "Unit": "None"},
                    {"Name": "BytesOut", "Unit": "Bytes"},
                ],
            }],
        },
        "outcome": name,
        "job_id": job_id.to_string(),
        "error_code": code.map_or(Value::Null, Value::from),
        "DurationMs": stats.duration.as_secs_f64() * 1000.0,
        "MegapixelsIn": stats.source_pixels as f64 / 1_000_000.0,
        "BytesOut": stats.bytes_out,
    });
    Some(line.to_string())
}

/// Somewhere EMF lines are written: each call is one whole line (no newline),
/// written at once, so lines of concurrent jobs never interleave.
pub trait EmfWriter: Send + Sync {
    fn write_line(&self, line: &str);
}

/// Standard output, where CloudWatch Logs picks the lines up on Lambda.
#[derive(Debug, Clone, Copy)]
pub struct Stdout;

impl EmfWriter for Stdout {
    fn write_line(&self, line: &str) {
        // One write of the whole line, so concurrent jobs never interleave.
        let _ = std::io::stdout()
            .lock()
            .write_all(format!("{line}\n").as_bytes());
    }
}

/// Where EMF lines go.
#[derive(Clone, Default)]
pub enum MetricsSink {
    /// Nowhere.
    #[default]
    Off,
    /// To a writer (e.g. [`Stdout`]).
    To(Arc<dyn EmfWriter>),
}

impl fmt::Debug for MetricsSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricsSink::Off => f.write_str("Off"),
            MetricsSink::To(_) => f.write_str("To(..)"),
        }
    }
}

impl MetricsSink {
    /// One line each on stdout (CloudWatch Logs on Lambda).
    pub fn stdout() -> Self {
        MetricsSink::To(Arc::new(Stdout))
    }

    /// Writes the line of `outcome`, if it finished the job.
    pub fn record(&self, job_id: JobId, outcome: &Outcome) {
        let MetricsSink::To(writer) = self else {
            return;
        };
        if let Some(line) = emf_line(job_id, outcome, chrono::Utc::now().timestamp_millis()) {
            writer.write_line(&line);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use std::sync::Mutex;

    use super::*;
    use crate::pipeline::PipelineError;

    /// The lines written, kept.
    #[derive(Default)]
    struct Lines(Mutex<Vec<String>>);

    impl EmfWriter for Lines {
        fn write_line(&self, line: &str) {
            self.0.lock().unwrap().push(line.to_owned());
        }
    }

    #[test]
    fn finished_jobs_give_emf_lines() {
        let id = JobId::new();
        let stats = RunStats {
            duration: Duration::from_millis(1500),
            source_pixels: 12_000_000,
            bytes_out: 4096,
        };
        let line = emf_line(id, &Outcome::Succeeded(stats), 1_700_000_000_000).unwrap();
        let doc: Value = serde_json::from_str(&line).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "pixpipe");
        assert_eq!(directive["Dimensions"], json!([["outcome"]]));
        // Every dimension and metric named by the directive is a member of the line.
        for dimension in directive["Dimensions"][0].as_array().unwrap() {
            assert!(doc[dimension.as_str().unwrap()].is_string());
        }
        let units: Vec<(&str, &str)> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["Name"].as_str().unwrap(), m["Unit"].as_str().unwrap()))
            .collect();
        assert_eq!(
            units,
            [
                ("DurationMs", "Milliseconds"),
                ("MegapixelsIn", "None"),
                ("BytesOut", "Bytes")
            ]
        );
        for (name, _) in units {
            assert!(doc[name].is_number(), "{name}");
        }
        assert_eq!(doc["outcome"], "succeeded");
        assert_eq!(doc["job_id"], id.to_string());
        assert_eq!(doc["DurationMs"], 1500.0);
        assert_eq!(doc["MegapixelsIn"], 12.0);
        assert_eq!(doc["BytesOut"], 4096);
        assert!(doc["error_code"].is_null());

        let failed = Outcome::Failed {
            code: pixpipe_core::FailureCode::UnsupportedFormat,
            stats: RunStats::default(),
        };
        let doc: Value = serde_json::from_str(&emf_line(id, &failed, 0).unwrap()).unwrap();
        assert_eq!(doc["outcome"], "failed");
        assert_eq!(doc["error_code"], "unsupported_format");
    }

    #[test]
    fn unfinished_deliveries_give_none() {
        let id = JobId::new();
        assert!(emf_line(id, &Outcome::Skipped("job already finished"), 0).is_none());
        assert!(emf_line(id, &Outcome::Retry(PipelineError::Panicked), 0).is_none());
        let lines = Arc::new(Lines::default());
        let sink = MetricsSink::To(lines.clone());
        sink.record(id, &Outcome::Skipped("x"));
        sink.record(id, &Outcome::Succeeded(RunStats::default()));
        assert_eq!(lines.0.lock().unwrap().len(), 1);
    }
}
