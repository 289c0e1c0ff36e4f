//! The SQLite file behind [`LocalStore`](crate::LocalStore): opening it with
//! the right pragmas, the schema and its `user_version` migrations, and the
//! error type of every database call.
//!
//! Durability: WAL with `synchronous=FULL`. Every commit fsyncs the WAL, so a
//! job the upload endpoint answered `200` for (source fsynced, job queued)
//! survives a power cut, not only a process crash. Writes go through one
//! writer thread ([`crate::writer`]) that commits the writes waiting at the
//! same moment together: one transaction and one fsync per batch instead of
//! per write, each write in its own savepoint, and no caller answered before
//! the commit that holds its write has returned. Reads use separate
//! read-only connections ([`crate::readers`]), which WAL lets run beside the
//! writer.

use std::path::Path;
use std::time::Duration;

use pixpipe_core::{QueueError, StoreError};
use rusqlite::{Connection, OpenFlags};
use thiserror::Error;

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "pixpipe.sqlite3";

/// How long a writer waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Migrations in order; `user_version` is the number of them applied.
const MIGRATIONS: &[&str] = &[
    // 1: jobs and the work queue.
    "CREATE TABLE jobs (
        id TEXT PRIMARY KEY NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        upload_expires_at INTEGER NOT NULL, -- unix milliseconds
        doc TEXT NOT NULL                   -- the Job as JSON
    );
    CREATE INDEX jobs_owner_id ON jobs (owner, id DESC);
    CREATE INDEX jobs_awaiting_upload ON jobs (upload_expires_at)
        WHERE status = 'awaiting_upload';
    CREATE TABLE queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('ready', 'dead')),
        visible_at INTEGER NOT NULL,        -- unix milliseconds
        receive_count INTEGER NOT NULL DEFAULT 0,
        receipt TEXT,                       -- set while a delivery is outstanding
        enqueued_at INTEGER NOT NULL,
        dead_at INTEGER
    );
    CREATE INDEX queue_ready ON queue (visible_at, seq) WHERE state = 'ready';
    CREATE UNIQUE INDEX queue_receipt ON queue (receipt) WHERE receipt IS NOT NULL;",
];

/// A failure of a database call.
#[derive(Debug, Error)]
pub enum DbError {
    #[error("SQLite call failed")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored job document is not valid")]
    Corrupt(#[source] serde_json::Error),
    #[error("job could not be encoded")]
    Encode(#[source] serde_json::Error),
    #[error("stored value {0:?} is not valid")]
    BadValue(String),
    #[error("database task did not finish")]
    Join(#[from] tokio::task::JoinError),
    #[error("no room for a new job")]
    NoRoom(#[source] crate::space::NoRoom),
    #[error("checking for room failed")]
    Space(#[source] crate::space::SpaceError),
    #[error("database call panicked")]
    Panicked,
    #[error("database connection is closed")]
    Closed,
}

impl From<crate::space::SpaceError> for DbError {
    fn from(e: crate::space::SpaceError) -> Self {
        match e {
            crate::space::SpaceError::NoRoom(e) => DbError::NoRoom(e),
            e => DbError::Space(e),
        }
    }
}

impl DbError {
    /// Whether SQLite found the disk full (`SQLITE_FULL`: no space left,
    /// or over a quota) or the write was refused for lack of room.
    pub fn is_full(&self) -> bool {
        match self {
            DbError::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
            DbError::NoRoom(_) => true,
            _ => false,
        }
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            e if e.is_full() => StoreError::Full(Box::new(e)),
            DbError::Corrupt(_) | DbError::BadValue(_) => StoreError::Corrupt(Box::new(e)),
            DbError::Sqlite(_)
            | DbError::Encode(_)
            | DbError::Join(_)
            | DbError::NoRoom(_)
            | DbError::Space(_)
            | DbError::Panicked
            | DbError::Closed => StoreError::Backend(Box::new(e)),
        }
    }
}

impl From<DbError> for QueueError {
    fn from(e: DbError) -> Self {
        QueueError(Box::new(e))
    }
}

/// Why the database could not be opened.
#[derive(Debug, Error)]
pub enum SchemaError {
    #[error("SQLite call failed")]
    Sqlite(#[from] rusqlite::Error),
    #[error("schema version {found} is newer than the {known} this build knows")]
    TooNew { found: i64, known: usize },
    #[error("cannot start the database writer thread")]
    Thread(#[from] std::io::Error),
}

/// Opens (creating if needed) the database and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection, SchemaError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "SQLite refused WAL mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// A passive checkpoint: copies what it can of the WAL into the database,
/// so that the next write may start the WAL over, reusing its space.
pub(crate) fn checkpoint(conn: &mut Connection) -> Result<(), DbError> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

/// Opens a read-only connection to a database that [`open`] has set up.
pub fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), SchemaError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let applied = usize::try_from(found)
        .ok()
        .filter(|&n| n <= MIGRATIONS.len())
        .ok_or(SchemaError::TooNew {
            found,
            known: MIGRATIONS.len(),
        })?;
    for sql in &MIGRATIONS[applied..] {
        tx.execute_batch(sql)?;
    }
    if applied < MIGRATIONS.len() {
        tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    }
    tx.commit()?;
    Ok(())
}
