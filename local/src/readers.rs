//! A small pool of read-only connections to the SQLite file.
//!
//! In WAL mode readers do not wait for the writer, nor it for them: each
//! read sees the database as of the last commit before it started, so a
//! read that starts after a write was answered sees that write. Reads run on
//! the blocking pool, at most [`READERS`] at a time; the rest wait for a
//! connection in turn.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::db::{self, DbError};

/// Read-only connections kept open.
pub(crate) const READERS: usize = 4;

/// The idle read-only connections; one permit per connection.
pub(crate) struct Readers {
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
}

/// A connection lent out of the pool; it goes back when dropped, even if
/// the read panicked.
struct Lent {
    conn: Option<Connection>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}

impl Readers {
    /// Opens [`READERS`] read-only connections to a database whose schema
    /// is already in place. Blocking.
    pub(crate) fn open(path: &Path) -> rusqlite::Result<Self> {
        let conns = (0..READERS)
            .map(|_| db::open_reader(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Readers {
            idle: Arc::new(Mutex::new(conns)),
            permits: Arc::new(Semaphore::new(READERS)),
        })
    }

    /// Runs `f` with a read-only connection on the blocking pool.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| DbError::Closed)?;
        let idle = Arc::clone(&self.idle);
        tokio::task::spawn_blocking(move || {
            let conn = idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let lent = Lent { conn, idle };
            // A permit is held, so a connection is idle.
            let conn = lent.conn.as_ref().ok_or(DbError::Closed)?;
            let out = f(conn);
            drop(lent);
            drop(permit);
            out
        })
        .await?
    }
}
