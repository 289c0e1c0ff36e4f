//! Room on the data directory's file system, so that a full disk fails
//! cleanly instead of wedging the queue.
//!
//! - Writes that add data (new jobs, uploads, results) first check that the
//!   file system keeps [`HEADROOM`] free beyond what they will write, and are
//!   refused as "storage full" ([`NoRoom`]) otherwise.
//! - A reserve file of [`RESERVE_BYTES`] (`{data_dir}/space-reserve`) holds
//!   space for the bookkeeping writes that keep jobs moving or free space:
//!   receiving and settling deliveries, recording a job's outcome, deleting
//!   a job. When SQLite reports a full disk during one of them
//!   ([`LocalStore::write_freeing`]), the reserve is released, the WAL is
//!   checkpointed so that the next write reuses it in place, and the write is
//!   tried once more. While the reserve is released, adding data is refused
//!   until the reserve can be made again, which happens at the first such
//!   write once there is room for both.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use thiserror::Error;

use crate::db::{self, DbError};
use crate::store::LocalStore;

/// Name of the reserve file inside the data directory.
pub const RESERVE_FILE: &str = "space-reserve";

/// Size of the reserve file.
pub const RESERVE_BYTES: u64 = 4 << 20;

/// Space a write that adds data leaves free beyond its own bytes.
pub const HEADROOM: u64 = 1 << 20;

/// Whether an I/O error means the file system is full (`ENOSPC`) or the
/// user's quota is spent (`EDQUOT`).
pub fn is_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// A write refused before it started: it would not leave the headroom free.
#[derive(Debug, Error)]
#[error(
    "{needed} bytes and {headroom} bytes of headroom do not fit in the {available} bytes available in {}",
    dir.display()
)]
pub struct NoRoom {
    pub needed: u64,
    pub headroom: u64,
    pub available: u64,
    pub dir: PathBuf,
}

/// Why [`Space::ensure_room`] refused.
#[derive(Debug, Error)]
pub enum SpaceError {
    /// Not enough room: storage full.
    #[error(transparent)]
    NoRoom(#[from] NoRoom),
    /// The free space could not be read, or the reserve not written.
    #[error("checking the free space of {} failed", dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("space check did not finish")]
    Join(#[from] tokio::task::JoinError),
}

/// The data directory's free space and its reserve file.
#[derive(Debug)]
pub struct Space {
    dir: PathBuf,
    reserve: PathBuf,
    /// Whether the reserve file is in place at its full size.
    held: Mutex<bool>,
}

impl Space {
    /// Makes the reserve in `dir` unless it is there. A disk too full for it
    /// is no reason not to start: the reserve is then made later. Blocking.
    pub fn open(dir: &Path) -> Arc<Self> {
        let reserve = dir.join(RESERVE_FILE);
        let held = fs::metadata(&reserve).is_ok_and(|m| m.len() == RESERVE_BYTES)
            || match make_reserve(&reserve) {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(path = %reserve.display(), error = %e, "cannot make the space reserve");
                    false
                }
            };
        Arc::new(Space {
            dir: dir.to_path_buf(),
            reserve,
            held: Mutex::new(held),
        })
    }

    /// Bytes available to this process on the data directory's file system.
    fn available(&self) -> io::Result<u64> {
        let stat = rustix::fs::statvfs(&self.dir)?;
        Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    /// Checks that `needed` bytes fit with [`HEADROOM`] to spare, making the
    /// reserve again first if it was released. Blocking.
    pub fn check_room(&self, needed: u64) -> Result<(), SpaceError> {
        let io_err = |source| SpaceError::Io {
            dir: self.dir.clone(),
            source,
        };
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let extra = if *held { 0 } else { RESERVE_BYTES };
        let available = self.available().map_err(io_err)?;
        let wanted = needed.saturating_add(HEADROOM).saturating_add(extra);
        if available < wanted {
            return Err(NoRoom {
                needed: needed.saturating_add(extra),
                headroom: HEADROOM,
                available,
                dir: self.dir.clone(),
            }
            .into());
        }
        if !*held {
            match make_reserve(&self.reserve) {
                Ok(()) => {
                    *held = true;
                    tracing::info!("space is back: the space reserve is made again");
                }
                Err(e) if is_full(&e) => {
                    return Err(NoRoom {
                        needed: needed.saturating_add(extra),
                        headroom: HEADROOM,
                        available: self.available().unwrap_or(0),
                        dir: self.dir.clone(),
                    }
                    .into());
                }
                Err(e) => return Err(io_err(e)),
            }
        }
        Ok(())
    }

    /// [`Space::check_room`] off the async runtime.
    pub async fn ensure_room(self: &Arc<Self>, needed: u64) -> Result<(), SpaceError> {
        let space = Arc::clone(self);
        tokio::task::spawn_blocking(move || space.check_room(needed)).await?
    }

    /// Removes the reserve file, if it is there. Blocking.
    pub fn release(&self) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        match fs::remove_file(&self.reserve) {
            Ok(()) => tracing::warn!(
                bytes = RESERVE_BYTES,
                "storage full: released the space reserve; new jobs, uploads and results \
                 are refused until there is room again"
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "cannot release the space reserve"),
        }
        *held = false;
    }
}

/// Writes the reserve file (real blocks, not a sparse file) under a
/// temporary name and moves it into place; removes what it wrote on failure.
fn make_reserve(path: &Path) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        let chunk = vec![0xA5u8; 64 * 1024];
        let mut left = RESERVE_BYTES;
        while left > 0 {
            let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
            file.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

impl LocalStore {
    /// [`LocalStore::write`] for a bookkeeping write that must go through on
    /// a full disk: when SQLite reports a full disk, releases the reserve,
    /// checkpoints the WAL (so that the next write reuses it in place) and
    /// runs `f` once more.
    pub(crate) async fn write_freeing<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Clone + Send + 'static,
    {
        match self.write(f.clone()).await {
            Err(e) if e.is_full() => {
                let space = Arc::clone(&self.space);
                tokio::task::spawn_blocking(move || space.release()).await?;
                if let Err(e) = self.call(db::checkpoint).await {
                    tracing::debug!(error = %e, "checkpoint on a full disk failed");
                }
                self.write(f).await
            }
            other => other,
        }
    }
}
