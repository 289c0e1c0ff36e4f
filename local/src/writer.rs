//! The one thread that writes to the SQLite file, with group commit.
//!
//! Callers hand closures to a [`Writer`] through a channel. The writer
//! thread takes every closure waiting in the channel (up to
//! [`MAX_BATCH`]), opens one `BEGIN IMMEDIATE` transaction, runs each
//! closure inside its own `SAVEPOINT` (a closure that fails is rolled back
//! to its savepoint and the others keep their writes), then commits once:
//! one fsync of the WAL (`synchronous=FULL`) for the whole batch. Only after
//! that commit has returned is any caller of the batch answered, so nobody
//! hears of a write before it is durable; if the commit fails, every caller
//! whose closure succeeded gets that failure instead.
//!
//! Closures run one after another on the one connection, so a closure's
//! reads and writes are atomic with respect to every other write
//! (compare-and-swap on a job's version keeps working: a later closure of the
//! same batch sees the earlier ones' writes). If SQLite rolls back the whole
//! transaction on its own (it may after `SQLITE_FULL`, an I/O error or running
//! out of memory), the closures that had already run in it are answered with
//! that failure, and the rest of the batch goes on in a new transaction.
//!
//! [`Writer::alone`] runs a closure outside any batch, with the connection in
//! autocommit mode: the closure manages its own transaction, as the store's
//! `call` always did. A dropped caller never leaves a write half done: the
//! closure runs to its end (or its savepoint is rolled back) whether or not
//! anyone still waits for the answer.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use rusqlite::{Connection, ffi};
use tokio::sync::oneshot;

use crate::db::DbError;

/// Most closures committed together.
pub(crate) const MAX_BATCH: usize = 256;

/// A closure waiting for the writer, and the caller waiting for its answer.
trait Work: Send {
    /// Runs the closure; true if it succeeded.
    fn run(&mut self, conn: &mut Connection) -> bool;
    /// A copy of the SQLite failure the closure ended with, if that was one.
    fn sqlite_error(&self) -> Option<rusqlite::Error>;
    /// Answers the caller: the closure's own failure, or else its value if
    /// `commit` succeeded, or else the commit's failure.
    fn answer(self: Box<Self>, commit: Result<(), &rusqlite::Error>);
}

struct Call<T, F> {
    f: Option<F>,
    outcome: Option<Result<T, DbError>>,
    reply: oneshot::Sender<Result<T, DbError>>,
}

impl<T, F> Work for Call<T, F>
where
    T: Send,
    F: FnOnce(&mut Connection) -> Result<T, DbError> + Send,
{
    fn run(&mut self, conn: &mut Connection) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| f(conn))).unwrap_or(Err(DbError::Panicked));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn sqlite_error(&self) -> Option<rusqlite::Error> {
        match &self.outcome {
            Some(Err(DbError::Sqlite(e))) => Some(copy_error(e)),
            _ => None,
        }
    }

    fn answer(self: Box<Self>, commit: Result<(), &rusqlite::Error>) {
        let answer = match (self.outcome, commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(e)) => Err(DbError::Sqlite(copy_error(e))),
            (None, Ok(())) => Err(DbError::Closed),
        };
        // The caller may have stopped waiting; the write stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// A closure for the writer thread, batched or alone.
struct Task {
    alone: bool,
    work: Box<dyn Work>,
}

/// How many batched writes were committed, in how many commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteStats {
    /// Writes committed (closures that succeeded and whose commit did).
    pub writes: u64,
    /// Commits of batches that held at least one of those writes.
    pub commits: u64,
}

#[derive(Default)]
struct Counters {
    writes: AtomicU64,
    commits: AtomicU64,
}

/// The handle of the writer thread; dropping it lets the thread finish what
/// it was given, then waits for it to close the connection.
pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Task>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(crate) fn start(conn: Connection) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let counted = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name("pixpipe-sqlite-writer".into())
            .spawn(move || run(conn, &rx, &counted))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            counters,
        })
    }

    /// Batched writes and commits so far.
    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            writes: self.counters.writes.load(Ordering::Relaxed),
            commits: self.counters.commits.load(Ordering::Relaxed),
        }
    }

    /// Runs `f` inside the next batch's transaction, in a savepoint of its
    /// own; answers once that transaction is committed (and fsynced).
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        self.submit(false, move |conn: &mut Connection| f(conn))
            .await
    }

    /// Runs `f` on the writer's connection between batches, in autocommit
    /// mode: `f` opens and commits its own transaction (each statement
    /// outside one commits by itself).
    pub(crate) async fn alone<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        self.submit(true, f).await
    }

    async fn submit<T, F>(&self, alone: bool, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let work = Box::new(Call {
            f: Some(f),
            outcome: None,
            reply,
        });
        let tx = self.tx.as_ref().ok_or(DbError::Closed)?;
        tx.send(Task { alone, work }).map_err(|_| DbError::Closed)?;
        answer.await.map_err(|_| DbError::Closed)?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: batches until every sender is gone.
fn run(mut conn: Connection, rx: &mpsc::Receiver<Task>, counters: &Counters) {
    let mut next: Option<Task> = None;
    loop {
        let Some(first) = next.take().or_else(|| rx.recv().ok()) else {
            return;
        };
        if first.alone {
            let mut work = first.work;
            work.run(&mut conn);
            if conn.is_autocommit() {
                work.answer(Ok(()));
            } else {
                // The closure left its transaction open: undo it.
                let _ = conn.execute_batch("ROLLBACK");
                let e = failure(ffi::SQLITE_MISUSE, "the closure left its transaction open");
                work.answer(Err(&e));
            }
            continue;
        }
        let mut batch = vec![first.work];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(task) if task.alone => {
                    next = Some(task);
                    break;
                }
                Ok(task) => batch.push(task.work),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch, counters);
    }
}

/// Runs `batch` in one transaction, each closure in its own savepoint,
/// commits once, counts the writes that commit made durable in `counters`,
/// then answers every caller (so an answered caller sees its commit counted).
fn commit_batch(conn: &mut Connection, batch: Vec<Box<dyn Work>>, counters: &Counters) {
    // Closures that ran in the open transaction, answered after its commit,
    // and how many of them succeeded.
    let mut ran: Vec<(Box<dyn Work>, bool)> = Vec::with_capacity(batch.len());
    for mut work in batch {
        if conn.is_autocommit()
            && let Err(e) = conn.execute_batch("BEGIN IMMEDIATE")
        {
            work.answer(Err(&e));
            continue;
        }
        if let Err(e) = conn.execute_batch("SAVEPOINT batch_item") {
            work.answer(Err(&e));
            continue;
        }
        let succeeded = work.run(conn);
        let release = if succeeded {
            conn.execute_batch("RELEASE batch_item")
        } else {
            Ok(())
        };
        if succeeded && release.is_ok() {
            ran.push((work, true));
            continue;
        }
        // The closure failed, or its savepoint would not be released: undo
        // its writes alone.
        let undone = conn.is_autocommit()
            || conn
                .execute_batch("ROLLBACK TO batch_item; RELEASE batch_item")
                .is_err();
        if undone {
            // The whole transaction is gone (SQLite rolled it back, or the
            // savepoint could not be): so are the writes of those that ran.
            let e = match &release {
                Err(e) => copy_error(e),
                Ok(()) => work.sqlite_error().unwrap_or_else(|| {
                    failure(ffi::SQLITE_ABORT, "the batch's transaction was rolled back")
                }),
            };
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            for (earlier, _) in ran.drain(..) {
                earlier.answer(Err(&e));
            }
        }
        if let Err(e) = release {
            // It succeeded, but its writes were undone: it failed after all.
            work.answer(Err(&e));
            continue;
        }
        // A failed closure's answer is its own error; it waits for the
        // commit like the others, so that no answer reflects writes of the
        // batch that might not become durable.
        ran.push((work, false));
    }
    let commit = if conn.is_autocommit() {
        Ok(())
    } else {
        conn.execute_batch("COMMIT")
    };
    if commit.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let committed = match commit {
        Ok(()) => ran.iter().filter(|(_, ok)| *ok).count(),
        Err(_) => 0,
    };
    if committed > 0 {
        let committed = u64::try_from(committed).unwrap_or(u64::MAX);
        counters.writes.fetch_add(committed, Ordering::Relaxed);
        counters.commits.fetch_add(1, Ordering::Relaxed);
    }
    for (work, _) in ran {
        work.answer(commit.as_ref().map(|_| ()));
    }
}

/// A SQLite failure with the given result code and message.
fn failure(code: std::ffi::c_int, message: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(message.to_owned()))
}

/// The same failure again, for each of several callers (keeping SQLite's
/// result code, so callers can tell, say, a full disk).
pub(crate) fn copy_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => failure(ffi::SQLITE_ERROR, &other.to_string()),
    }
}

#[cfg(test)]
mod tests;
