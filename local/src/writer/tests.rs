//! The writer's batching on a scratch table: what each caller hears, and what
//! is in the file afterwards (read through a fresh connection).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};

use futures_util::future::join_all;
use rusqlite::{Connection, ErrorCode};

use super::{WriteStats, Writer};
use crate::db::{self, DbError};

type Answer<'a> = Pin<Box<dyn Future<Output = Result<(), DbError>> + Send + 'a>>;

fn start() -> (tempfile::TempDir, PathBuf, Arc<Writer>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scratch.sqlite3");
    let conn = db::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE t (n INTEGER PRIMARY KEY);
         CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (id INTEGER PRIMARY KEY,
             parent INTEGER NOT NULL REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);",
    )
    .unwrap();
    let writer = Arc::new(Writer::start(conn).unwrap());
    (dir, path, writer)
}

/// The rows of `t`, as a new connection sees them.
fn rows(path: &Path) -> Vec<i64> {
    let conn = db::open_reader(path).unwrap();
    let mut stmt = conn.prepare("SELECT n FROM t ORDER BY n").unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn insert(conn: &Connection, n: i64) -> Result<(), DbError> {
    conn.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
    Ok(())
}

/// Polls `answer` once, which hands its closure to the writer.
fn submit(answer: &mut Answer<'_>) {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(answer.as_mut().poll(&mut cx).is_pending());
}

/// Hands every closure of `writes` to the writer while it is held busy, so
/// that they are all waiting when it next looks: they form one batch.
async fn one_batch<'a>(writer: &'a Writer, writes: Vec<Answer<'a>>) -> Vec<Result<(), DbError>> {
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (busy, started) = tokio::sync::oneshot::channel();
    let mut hold: Answer<'a> = Box::pin(writer.alone(move |_| {
        let _ = busy.send(());
        let _ = wait.recv();
        Ok(())
    }));
    submit(&mut hold);
    started.await.unwrap();
    let mut writes = writes;
    writes.iter_mut().for_each(submit);
    release.send(()).unwrap();
    hold.await.unwrap();
    join_all(writes).await
}

fn write_with<F>(writer: &Writer, f: F) -> Answer<'_>
where
    F: FnOnce(&Connection) -> Result<(), DbError> + Send + 'static,
{
    Box::pin(writer.write(f))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_are_all_answered_and_durable() {
    let (_dir, path, writer) = start();
    let tasks: Vec<_> = (0..300)
        .map(|n| {
            let writer = Arc::clone(&writer);
            tokio::spawn(async move { writer.write(move |conn| insert(conn, n)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // Every answer came after its commit: a new connection sees all of them.
    assert_eq!(rows(&path), (0..300).collect::<Vec<_>>());
    let stats = writer.stats();
    assert_eq!(stats.writes, 300);
    assert!((1..=300).contains(&stats.commits), "{stats:?}");
    drop(Arc::into_inner(writer).expect("one owner left"));
    assert_eq!(rows(&path).len(), 300, "still there once the writer closed");
}

#[tokio::test]
async fn writes_waiting_together_share_one_commit() {
    let (_dir, path, writer) = start();
    let writes = (0..50)
        .map(|n| write_with(&writer, move |conn| insert(conn, n)))
        .collect();
    for answer in one_batch(&writer, writes).await {
        answer.unwrap();
    }
    assert_eq!(rows(&path), (0..50).collect::<Vec<_>>());
    assert_eq!(
        writer.stats(),
        WriteStats {
            writes: 50,
            commits: 1
        }
    );
}

#[tokio::test]
async fn a_failing_closure_loses_only_its_own_writes() {
    let (_dir, path, writer) = start();
    let writes = vec![
        write_with(&writer, |conn| insert(conn, 1)),
        // Fails after writing: its write is rolled back.
        write_with(&writer, |conn| {
            insert(conn, 2)?;
            Err(DbError::BadValue("no".into()))
        }),
        // A constraint failure after a first write.
        write_with(&writer, |conn| {
            insert(conn, 3)?;
            insert(conn, 1)
        }),
        write_with(&writer, |conn| {
            insert(conn, 5)?;
            panic!("a closure that panics");
        }),
        write_with(&writer, |conn| insert(conn, 4)),
    ];
    let answers = one_batch(&writer, writes).await;
    assert!(answers[0].is_ok());
    assert!(matches!(answers[1], Err(DbError::BadValue(_))));
    assert!(matches!(
        &answers[2],
        Err(DbError::Sqlite(e)) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
    ));
    assert!(matches!(answers[3], Err(DbError::Panicked)));
    assert!(answers[4].is_ok());
    assert_eq!(rows(&path), vec![1, 4]);
    assert_eq!(
        writer.stats(),
        WriteStats {
            writes: 2,
            commits: 1
        }
    );
}

#[tokio::test]
async fn a_failed_commit_fails_every_write_of_its_batch() {
    let (_dir, path, writer) = start();
    // The foreign key is checked at COMMIT, so the whole commit fails.
    let writes = vec![
        write_with(&writer, |conn| insert(conn, 1)),
        write_with(&writer, |conn| {
            conn.execute("INSERT INTO child (id, parent) VALUES (1, 99)", [])?;
            Ok(())
        }),
    ];
    for answer in one_batch(&writer, writes).await {
        assert!(
            matches!(&answer, Err(DbError::Sqlite(e))
                if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)),
            "{answer:?}"
        );
    }
    assert!(rows(&path).is_empty());
    assert_eq!(writer.stats(), WriteStats::default());
    // The writer goes on.
    writer.write(|conn| insert(conn, 7)).await.unwrap();
    assert_eq!(rows(&path), vec![7]);
}

#[tokio::test]
async fn a_transaction_rolled_back_under_the_batch_fails_the_writes_before() {
    let (_dir, path, writer) = start();
    // The middle closure ends the whole transaction, as SQLite itself may on
    // a full disk: the write before it is gone, the one after it is not.
    let writes = vec![
        write_with(&writer, |conn| insert(conn, 1)),
        write_with(&writer, |conn| {
            conn.execute_batch("ROLLBACK")?;
            Err(DbError::BadValue("rolled back".into()))
        }),
        write_with(&writer, |conn| insert(conn, 3)),
    ];
    let answers = one_batch(&writer, writes).await;
    assert!(
        matches!(answers[0], Err(DbError::Sqlite(_))),
        "{:?}",
        answers[0]
    );
    assert!(matches!(answers[1], Err(DbError::BadValue(_))));
    assert!(answers[2].is_ok(), "{:?}", answers[2]);
    assert_eq!(rows(&path), vec![3]);
}

#[tokio::test]
async fn a_closure_alone_runs_its_own_transaction() {
    let (_dir, path, writer) = start();
    writer
        .alone(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            insert(&tx, 1)?;
            tx.commit()?;
            Ok(())
        })
        .await
        .unwrap();
    // One that leaves its transaction open is rolled back, and told so.
    let left_open = writer
        .alone(|conn| {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            insert(conn, 2)
        })
        .await;
    assert!(
        matches!(left_open, Err(DbError::Sqlite(_))),
        "{left_open:?}"
    );
    writer.write(|conn| insert(conn, 3)).await.unwrap();
    assert_eq!(rows(&path), vec![1, 3]);
}
