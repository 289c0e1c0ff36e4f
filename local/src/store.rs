//! [`LocalStore`]: jobs in one SQLite file, behind [`JobStore`], plus the
//! upload-acceptance and expiry queries the local server needs. The work
//! queue in the same file is in [`crate::queue`].
//!
//! rusqlite is blocking. Writes go to the writer thread ([`crate::writer`]),
//! which commits those that arrive together in one transaction with one
//! fsync, each in its own savepoint; reads run on the blocking pool against
//! read-only connections ([`crate::readers`]). A dropped caller never leaves
//! a transaction half done. Writes that keep jobs moving or free space go
//! through [`LocalStore::write_freeing`], so that they succeed on a full
//! disk; a new job is refused when there is no room for it (see
//! [`crate::space`]).

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pixpipe_core::{Job, JobId, JobStatus, JobStore, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::Notify;

use crate::db::{self, DbError, SchemaError};
use crate::readers::Readers;
use crate::space::Space;
use crate::writer::{WriteStats, Writer};

/// Jobs and the work queue in one SQLite file (WAL).
pub struct LocalStore {
    writer: Writer,
    readers: Readers,
    /// Poked whenever an item may have become receivable.
    pub(crate) notify: Notify,
    pub(crate) max_receives: u32,
    /// The data directory's lock, held while the store lives.
    _lock: std::fs::File,
    /// Free space and the reserve (see [`crate::space`]).
    pub(crate) space: Arc<Space>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("max_receives", &self.max_receives)
            .finish()
    }
}

/// Outcome of [`LocalStore::begin_upload`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UploadBegun {
    /// The job awaits an upload and is held open until the given time.
    Held(DateTime<Utc>),
    /// The job no longer awaits an upload (this is its status); nothing changed.
    NotAwaiting(JobStatus),
    /// The job's upload window closed at or before `now`; nothing changed.
    Closed,
    /// No such job.
    Missing,
}

/// Outcome of [`LocalStore::accept_upload`].
#[derive(Debug, Clone, PartialEq)]
pub enum UploadAccepted {
    /// The job moved `awaiting_upload → queued` and one work item was enqueued.
    Queued(Box<Job>),
    /// The job no longer awaits an upload (this is its status); nothing changed.
    NotAwaiting(JobStatus),
    /// No such job.
    Missing,
}

impl LocalStore {
    /// Opens (creating if needed) the database file. Blocking.
    /// `lock` is the data directory's held lock: no other process can be
    /// working on the queue, so deliveries left outstanding are released.
    pub(crate) fn open(
        path: &Path,
        max_receives: u32,
        lock: std::fs::File,
        space: Arc<Space>,
    ) -> Result<Self, SchemaError> {
        let conn = db::open(path)?;
        let released = crate::queue::release_orphans(&conn)?;
        if released > 0 {
            tracing::info!(
                released,
                "work items held by a process that stopped are visible again"
            );
        }
        let readers = Readers::open(path)?;
        Ok(LocalStore {
            writer: Writer::start(conn)?,
            readers,
            notify: Notify::new(),
            max_receives: max_receives.max(1),
            _lock: lock,
            space,
        })
    }

    /// Writes committed so far and the commits that held them: their ratio
    /// is the mean batch size of the group commit.
    pub fn write_stats(&self) -> WriteStats {
        self.writer.stats()
    }

    /// Runs `f` with the writer's connection, alone: between two batches,
    /// in autocommit mode, so `f` opens and commits its own transaction
    /// (and pays its own fsync). Prefer [`write`](Self::write), which shares
    /// a commit with the writes that arrive at the same time.
    #[allow(
        dead_code,
        reason = "for closures that run their own transaction; none in this crate at the moment"
    )]
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        self.writer.alone(f).await
    }

    /// Runs `f` atomically in the writer's next batch (in a savepoint of its
    /// own, no transaction to open or commit); answers once the batch is
    /// committed and fsynced. If `f` fails, its writes alone are undone.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        self.writer.write(f).await
    }

    /// Runs `f` on a read-only connection; it sees every write answered
    /// before it started.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        self.readers.read(f).await
    }

    /// Atomically: `awaiting_upload → queued` (version bumped,
    /// `updated_at` now) and a work item for the job. Anything else changes nothing.
    pub async fn accept_upload(&self, id: JobId) -> Result<UploadAccepted, StoreError> {
        let outcome = self
            .write_freeing(move |tx| {
                let Some(mut job) = select_job(tx, id)? else {
                    return Ok(UploadAccepted::Missing);
                };
                if job.status != JobStatus::AwaitingUpload {
                    return Ok(UploadAccepted::NotAwaiting(job.status));
                }
                let expected = job.version;
                let now = Utc::now();
                job.status = JobStatus::Queued;
                job.version += 1;
                job.updated_at = now.max(job.updated_at);
                if !update_job(tx, &job, expected)? {
                    return Err(DbError::BadValue(format!(
                        "job {id} changed inside a transaction"
                    )));
                }
                tx.execute(
                    "INSERT INTO queue (job_id, state, visible_at, enqueued_at)
                     VALUES (?1, 'ready', ?2, ?2)",
                    params![id.to_string(), now.timestamp_millis()],
                )?;
                Ok(UploadAccepted::Queued(Box::new(job)))
            })
            .await?;
        if matches!(outcome, UploadAccepted::Queued(_)) {
            self.notify.notify_waiters();
        }
        Ok(outcome)
    }

    /// Marks an upload, accepted at `now`, as arriving: a job awaiting an
    /// upload whose window is still open is kept from expiring until
    /// `hold_until` (the upload's own time bound), so that it may finish
    /// after the URL's expiry. Anything else changes nothing.
    pub async fn begin_upload(
        &self,
        id: JobId,
        now: DateTime<Utc>,
        hold_until: DateTime<Utc>,
    ) -> Result<UploadBegun, StoreError> {
        let outcome = self
            .write(move |tx| {
                let Some(mut job) = select_job(tx, id)? else {
                    return Ok(UploadBegun::Missing);
                };
                if job.status != JobStatus::AwaitingUpload {
                    return Ok(UploadBegun::NotAwaiting(job.status));
                }
                if job.upload_window_closed(now) {
                    return Ok(UploadBegun::Closed);
                }
                let held = job.expires_unless_uploaded_at().max(hold_until);
                let expected = job.version;
                job.upload_held_until = Some(held);
                job.version += 1;
                job.updated_at = Utc::now().max(job.updated_at);
                if !update_job(tx, &job, expected)? {
                    return Err(DbError::BadValue(format!(
                        "job {id} changed inside a transaction"
                    )));
                }
                Ok(UploadBegun::Held(held))
            })
            .await?;
        Ok(outcome)
    }

    /// Jobs still awaiting an upload whose window closed at or before `now`,
    /// oldest deadline first. Expire them with `lifecycle::expire_if_stale`.
    pub async fn expire_stale(&self, now: DateTime<Utc>) -> Result<Vec<JobId>, StoreError> {
        let ids = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id FROM jobs
                     WHERE status = 'awaiting_upload' AND upload_expires_at <= ?1
                     ORDER BY upload_expires_at, id",
                )?;
                let rows =
                    stmt.query_map([now.timestamp_millis()], |row| row.get::<_, String>(0))?;
                rows.map(|id| parse_id(&id?)).collect::<Result<Vec<_>, _>>()
            })
            .await?;
        Ok(ids)
    }
}

fn parse_id(text: &str) -> Result<JobId, DbError> {
    text.parse().map_err(|_| DbError::BadValue(text.to_owned()))
}

fn parse_doc(doc: &str) -> Result<Job, DbError> {
    serde_json::from_str(doc).map_err(DbError::Corrupt)
}

fn version_param(version: u64) -> Result<i64, DbError> {
    i64::try_from(version).map_err(|_| DbError::BadValue(version.to_string()))
}

pub(crate) fn select_job(conn: &Connection, id: JobId) -> Result<Option<Job>, DbError> {
    let doc: Option<String> = conn
        .prepare_cached("SELECT doc FROM jobs WHERE id = ?1")?
        .query_row([id.to_string()], |row| row.get(0))
        .optional()?;
    doc.as_deref().map(parse_doc).transpose()
}

/// `UPDATE … WHERE id AND version`; true iff the row was there at `expected`.
fn update_job(conn: &Connection, job: &Job, expected: u64) -> Result<bool, DbError> {
    let doc = serde_json::to_string(job).map_err(DbError::Encode)?;
    update_job_doc(conn, job, &doc, expected)
}

/// [`update_job`] with the job already encoded as `doc`.
fn update_job_doc(conn: &Connection, job: &Job, doc: &str, expected: u64) -> Result<bool, DbError> {
    let changed = conn.prepare_cached(
        "UPDATE jobs SET owner = ?3, status = ?4, version = ?5, upload_expires_at = ?6, doc = ?7
         WHERE id = ?1 AND version = ?2",
    )?
    .execute(params![
        job.id.to_string(),
        version_param(expected)?,
        job.owner,
        job.status.as_str(),
        version_param(job.version)?,
        job.expires_unless_uploaded_at().timestamp_millis(),
        doc,
    ])?;
    Ok(changed == 1)
}

#[async_trait]
impl JobStore for LocalStore {
    async fn insert(&self, job: &Job) -> Result<(), StoreError> {
        // Encoded here, so that the writer thread only writes.
        let doc = serde_json::to_string(job).map_err(DbError::Encode)?;
        let job = job.clone();
        // A job that could not be uploaded now is refused at once.
        self.space
            .ensure_room(job.content_length)
            .await
            .map_err(DbError::from)?;
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO jobs (id, owner, status, version, upload_expires_at, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                job.id.to_string(),
                job.owner,
                job.status.as_str(),
                version_param(job.version)?,
                job.expires_unless_uploaded_at().timestamp_millis(),
                doc,
            ])?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        Ok(self.read(move |conn| select_job(conn, id)).await?)
    }

    async fn list(
        &self,
        owner: &str,
        before: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let owner = owner.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let jobs = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT doc FROM jobs
                     WHERE owner = ?1 AND (?2 IS NULL OR id < ?2)
                     ORDER BY id DESC LIMIT ?3",
                )?;
                let before = before.map(|id| id.to_string());
                let rows =
                    stmt.query_map(params![owner, before, limit], |row| row.get::<_, String>(0))?;
                rows.map(|doc| parse_doc(&doc?))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        Ok(jobs)
    }

    /// A job written as `queued` (the API saw its source stored before the
    /// upload route recorded it) gets its work item in the same transaction,
    /// unless it has one: `queued` always has a worker coming.
    async fn replace(&self, job: &Job, expected_version: u64) -> Result<bool, StoreError> {
        let doc = serde_json::to_string(job).map_err(DbError::Encode)?;
        let job = job.clone();
        let queued = job.status == JobStatus::Queued;
        let written = self
            .write_freeing(move |conn| {
                let written = update_job_doc(conn, &job, &doc, expected_version)?;
                if written && job.status == JobStatus::Queued {
                    conn.prepare_cached(
                        "INSERT INTO queue (job_id, state, visible_at, enqueued_at)
                         SELECT ?1, 'ready', ?2, ?2
                         WHERE NOT EXISTS (SELECT 1 FROM queue WHERE job_id = ?1)",
                    )?
                    .execute(params![job.id.to_string(), Utc::now().timestamp_millis()])?;
                }
                Ok(written)
            })
            .await?;
        if written && queued {
            self.notify.notify_waiters();
        }
        Ok(written)
    }

    async fn delete(&self, id: JobId) -> Result<bool, StoreError> {
        let removed = self
            .write_freeing(move |conn| {
                Ok(conn
                    .prepare_cached("DELETE FROM jobs WHERE id = ?1")?
                    .execute([id.to_string()])?)
            })
            .await?;
        Ok(removed > 0)
    }
}
