//! The time source of the use cases: job timestamps, upload windows and
//! their expiry all read [`Clock::now`], so a process (or a test) can run on
//! a clock of its own instead of the system's.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// Where "now" comes from.
pub trait Clock: Debug + Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A clock shared by everything one process runs.
pub type SharedClock = Arc<dyn Clock>;

/// The system's wall clock (UTC).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock, shared.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}
