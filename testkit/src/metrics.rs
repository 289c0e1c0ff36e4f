//! [`MemoryMetrics`]: an [`EmfWriter`] that keeps the EMF lines a pipeline
//! writes, for tests that read them back.

use std::sync::{Arc, Mutex};

use pixpipe_worker::metrics::{EmfWriter, MetricsSink};

/// EMF lines kept in memory, in the order written.
#[derive(Debug, Default)]
pub struct MemoryMetrics(Mutex<Vec<String>>);

impl MemoryMetrics {
    /// A new empty store and the sink that writes into it.
    pub fn sink() -> (Arc<MemoryMetrics>, MetricsSink) {
        let lines = Arc::new(MemoryMetrics::default());
        (lines.clone(), MetricsSink::To(lines))
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl EmfWriter for MemoryMetrics {
    fn write_line(&self, line: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use pixpipe_core::JobId;
    use pixpipe_worker::{Outcome, RunStats};

    use super::*;

    #[test]
    fn keeps_the_lines_of_finished_jobs() {
        let (lines, sink) = MemoryMetrics::sink();
        let id = JobId::new();
        sink.record(id, &Outcome::Skipped("job already finished"));
        sink.record(id, &Outcome::Succeeded(RunStats::default()));
        let lines = lines.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains(&id.to_string()), "{}", lines[0]);
    }
}
