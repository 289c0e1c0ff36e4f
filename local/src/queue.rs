//! The work queue of [`LocalStore`]: the `queue` table of the same SQLite
//! file, at-least-once with visibility timeouts and a dead-letter state.
//!
//! A row is `ready` (visible at `visible_at`; while a delivery is outstanding
//! it also holds that delivery's `receipt`) or `dead`. Receiving picks the
//! visible rows oldest first, bumps `receive_count`, gives each a fresh random
//! receipt and hides it for the visibility timeout. A visible row already
//! received `max_receives` times is moved to `dead` instead: kept for
//! inspection, counted, never delivered again. Rows are enqueued by
//! [`LocalStore::accept_upload`].
//!
//! A worker renews its lease ([`WorkQueue::extend`]) while it works, so the
//! visibility timeout only bounds how long a dead worker's item stays hidden.
//! Only one process opens a data directory at a time (its lock file), so at
//! start-up every outstanding delivery belongs to a process that is gone:
//! [`release_orphans`] makes those items visible at once.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use pixpipe_core::{Delivery, JobId, QueueError, WorkQueue};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use tokio::time::Instant;

use crate::db::DbError;
use crate::store::LocalStore;

/// Longest a waiting `receive` sleeps between looks at the table. Enqueues
/// and releases wake it at once; this only bounds how late it notices a
/// change it was not told about.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Cap on a single `wait`, so deadline arithmetic never overflows.
const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// How many work items are in each state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QueueCounts {
    /// Waiting to be received: visible now or after a release delay.
    pub ready: u64,
    /// Received and still hidden by their visibility timeout.
    pub in_flight: u64,
    /// Received `max_receives` times without an ack; never delivered again.
    pub dead: u64,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Makes every item a previous process was working on visible again now,
/// keeping its receive count (a job that kills its worker every time still
/// reaches the dead-letter state). Called at open, before any receive.
pub(crate) fn release_orphans(conn: &rusqlite::Connection) -> Result<usize, rusqlite::Error> {
    conn.execute(
        "UPDATE queue SET receipt = NULL, visible_at = MIN(visible_at, ?1)
         WHERE state = 'ready' AND receipt IS NOT NULL",
        [Utc::now().timestamp_millis()],
    )
}

impl LocalStore {
    /// Counts of the queue's items by state. Visible items that have used up
    /// their receives count as dead even before a `receive` moves them.
    pub async fn queue_counts(&self) -> Result<QueueCounts, QueueError> {
        let max = i64::from(self.max_receives);
        let counts = self
            .read(move |conn| {
                let now = Utc::now().timestamp_millis();
                let row = conn
                    .prepare_cached(
                        "SELECT
                           COALESCE(SUM(in_flight), 0),
                           COALESCE(SUM(NOT in_flight AND (dead OR receive_count >= ?2)), 0),
                           COUNT(*)
                         FROM (SELECT state = 'dead' AS dead, receive_count,
                                      state = 'ready' AND receipt IS NOT NULL
                                        AND visible_at > ?1 AS in_flight
                               FROM queue)",
                    )?
                    .query_row(params![now, max], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, i64>(1)?,
                            row.get::<_, i64>(2)?,
                        ))
                    })?;
                Ok(row)
            })
            .await?;
        let (in_flight, dead, total) = counts;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(QueueCounts {
            ready: n(total - in_flight - dead),
            in_flight: n(in_flight),
            dead: n(dead),
        })
    }

    /// Jobs whose queue item went to the dead-letter state while the job was
    /// still unfinished (a worker died on the last delivery), at most `limit`.
    /// The caller fails them, after which they no longer show up here.
    pub async fn dead_unfinished_jobs(&self, limit: usize) -> Result<Vec<JobId>, QueueError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let ids = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT DISTINCT q.job_id FROM queue q JOIN jobs j ON j.id = q.job_id
                     WHERE q.state = 'dead' AND j.status IN ('queued', 'processing')
                     LIMIT ?1",
                )?;
                let rows = stmt.query_map(params![limit], |row| row.get::<_, String>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        Ok(ids.iter().filter_map(|id| id.parse().ok()).collect())
    }

    /// One non-blocking receive; also returns when the next hidden item
    /// becomes visible (unix ms) if nothing was receivable.
    async fn receive_now(
        &self,
        max: usize,
        visibility: Duration,
    ) -> Result<(Vec<Delivery>, Option<i64>), DbError> {
        let max_receives = i64::from(self.max_receives);
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        self.write_freeing(move |tx| {
            let now = Utc::now().timestamp_millis();
            {
                let mut dead = tx.prepare_cached(
                    "UPDATE queue SET state = 'dead', dead_at = ?1, receipt = NULL
                     WHERE state = 'ready' AND visible_at <= ?1 AND receive_count >= ?2
                     RETURNING job_id, receive_count",
                )?;
                let rows = dead.query_map(params![now, max_receives], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })?;
                for row in rows {
                    let (job_id, receives) = row?;
                    tracing::warn!(job_id, receives, "work item moved to the dead-letter state");
                }
            }
            let picked = tx
                .prepare_cached(
                    "SELECT seq, job_id, receive_count FROM queue
                     WHERE state = 'ready' AND visible_at <= ?1
                     ORDER BY seq LIMIT ?2",
                )?
                .query_map(params![now, limit], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let hidden_until = now.saturating_add(millis(visibility));
            let mut deliveries = Vec::with_capacity(picked.len());
            for (seq, job_id, count) in picked {
                let receipt = hex::encode(rand::random::<[u8; 16]>());
                tx.prepare_cached(
                    "UPDATE queue SET receive_count = receive_count + 1, receipt = ?2, visible_at = ?3
                     WHERE seq = ?1",
                )?
                .execute(params![seq, receipt, hidden_until])?;
                deliveries.push(Delivery {
                    job_id: job_id.parse().map_err(|_| DbError::BadValue(job_id.clone()))?,
                    receipt,
                    receive_count: u32::try_from(count + 1).unwrap_or(u32::MAX),
                });
            }
            let next_visible = if deliveries.is_empty() {
                tx.query_row(
                    "SELECT MIN(visible_at) FROM queue WHERE state = 'ready' AND visible_at > ?1",
                    [now],
                    |row| row.get::<_, Option<i64>>(0),
                )
                .optional()?
                .flatten()
                .map(|at| at - now)
            } else {
                None
            };
            Ok((deliveries, next_visible))
        })
        .await
    }
}

#[async_trait]
impl WorkQueue for LocalStore {
    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let deadline = Instant::now() + wait.min(MAX_WAIT);
        loop {
            // Register for wake-ups before looking, so an enqueue between the
            // look and the sleep is not missed.
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (deliveries, next_visible_in) = self.receive_now(max, visibility).await?;
            if !deliveries.is_empty() {
                return Ok(deliveries);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(deliveries);
            }
            let mut nap = (deadline - now).min(POLL_INTERVAL);
            if let Some(ms) = next_visible_in.and_then(|ms| u64::try_from(ms).ok()) {
                nap = nap.min(Duration::from_millis(ms.max(1)));
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(nap) => {}
            }
        }
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let (receipt, job_id) = (delivery.receipt.clone(), delivery.job_id.to_string());
        let deleted = self
            .write_freeing(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "DELETE FROM queue WHERE receipt = ?1 AND job_id = ?2 AND state = 'ready'",
                    )?
                    .execute(params![receipt, job_id])?)
            })
            .await?;
        if deleted == 0 {
            tracing::debug!(job_id = %delivery.job_id, "ack with a stale receipt ignored");
        }
        Ok(())
    }

    async fn release(&self, delivery: &Delivery, delay: Duration) -> Result<(), QueueError> {
        let (receipt, job_id) = (delivery.receipt.clone(), delivery.job_id.to_string());
        let visible_at = Utc::now().timestamp_millis().saturating_add(millis(delay));
        let updated = self
            .write_freeing(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "UPDATE queue SET receipt = NULL, visible_at = ?3
                         WHERE receipt = ?1 AND job_id = ?2 AND state = 'ready'",
                    )?
                    .execute(params![receipt, job_id, visible_at])?)
            })
            .await?;
        if updated == 0 {
            tracing::debug!(job_id = %delivery.job_id, "release with a stale receipt ignored");
        } else {
            // Waiters recompute when the next item becomes visible.
            self.notify.notify_waiters();
        }
        Ok(())
    }

    async fn extend(&self, delivery: &Delivery, visibility: Duration) -> Result<(), QueueError> {
        let (receipt, job_id) = (delivery.receipt.clone(), delivery.job_id.to_string());
        let visible_at = Utc::now()
            .timestamp_millis()
            .saturating_add(millis(visibility));
        let updated = self
            .write_freeing(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "UPDATE queue SET visible_at = ?3
                         WHERE receipt = ?1 AND job_id = ?2 AND state = 'ready'",
                    )?
                    .execute(params![receipt, job_id, visible_at])?)
            })
            .await?;
        if updated == 0 {
            tracing::debug!(job_id = %delivery.job_id, "lease renewal with a stale receipt ignored");
        }
        Ok(())
    }

    fn max_receives(&self) -> u32 {
        self.max_receives
    }
}
