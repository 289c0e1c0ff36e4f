//! pixpipe's embedded adapters, for running everything in one process with
//! nothing but a data directory:
//!
//! ```text
//! {data_dir}/
//!   pixpipe.sqlite3        jobs + work queue (WAL; -wal and -shm beside it)
//!   pixpipe.lock           held (flock) by the one process using the directory
//!   upload-secret          HMAC key for upload URLs (0600), unless configured
//!   callback-secret        HMAC key of callback signatures (0600), unless configured
//!   blobs/uploads/{id}     uploaded sources (never served)
//!   blobs/uploads/{id}.part  an upload in progress (removed on open)
//!   blobs/results/{id}/{name}.{ext}  published results, served read-only
//!   space-reserve          space kept for bookkeeping on a full disk
//! ```
//!
//! - [`store`]: [`LocalStore`], the `JobStore` over SQLite, plus
//!   [`LocalStore::accept_upload`] and [`LocalStore::expire_stale`].
//! - [`queue`]: the `WorkQueue` of the same store, [`QueueCounts`].
//! - `writer` and `readers`: the store's one writer thread, which commits
//!   concurrent writes together (one fsync per batch), and its read-only
//!   connections.
//! - [`blobs`]: [`FsBlobs`], the `BlobStore` over files, with signed upload URLs.
//! - [`http`]: [`router`], the signed-upload and result-serving routes
//!   (`pace`: the slowest an upload body may come).
//! - [`problem`]: their errors, as problem+json documents.
//! - [`space`]: free space checks and the reserve that lets a full disk fail
//!   cleanly.
//!
//! [`open`] builds all of them from a [`LocalConfig`].

pub mod blobs;
mod db;
pub mod http;
mod pace;
pub mod problem;
pub mod queue;
mod readers;
mod signing;
pub mod space;
pub mod store;
mod writer;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;

pub use blobs::{FsBlobError, FsBlobs};
pub use db::{DB_FILE, SchemaError};
pub use http::{LocalHttp, router};
pub use problem::{StorageCode, StorageError};
pub use queue::QueueCounts;
pub use signing::{SECRET_FILE, SecretError, load_or_create_secret_file};

/// File in the data directory holding the generated callback signing secret.
pub const CALLBACK_SECRET_FILE: &str = "callback-secret";
pub use store::{LocalStore, UploadAccepted, UploadBegun};
pub use writer::WriteStats;

/// Where and how the local adapters keep their data.
#[derive(Clone)]
pub struct LocalConfig {
    /// Created if missing.
    pub data_dir: PathBuf,
    /// Base of the URLs handed to clients, e.g. `http://127.0.0.1:8080`
    /// (a trailing slash is ignored).
    pub public_base: String,
    /// HMAC key for upload URLs (at least 16 bytes); `None`: generated once
    /// and kept in `{data_dir}/upload-secret`.
    pub upload_secret: Option<String>,
    /// Receives after which a work item goes to the dead-letter state.
    pub max_receives: u32,
}

impl LocalConfig {
    pub const DEFAULT_MAX_RECEIVES: u32 = 5;

    /// A config with a generated secret and the default `max_receives`.
    pub fn new(data_dir: impl Into<PathBuf>, public_base: impl Into<String>) -> Self {
        LocalConfig {
            data_dir: data_dir.into(),
            public_base: public_base.into(),
            upload_secret: None,
            max_receives: Self::DEFAULT_MAX_RECEIVES,
        }
    }
}

impl std::fmt::Debug for LocalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalConfig")
            .field("data_dir", &self.data_dir)
            .field("public_base", &self.public_base)
            .field(
                "upload_secret",
                &self.upload_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("max_receives", &self.max_receives)
            .finish()
    }
}

/// The opened adapters. `store` is both the `JobStore` and the `WorkQueue`.
#[derive(Debug, Clone)]
pub struct Local {
    pub store: Arc<LocalStore>,
    pub blobs: Arc<FsBlobs>,
}

/// Why the local adapters could not be opened.
#[derive(Debug, Error)]
pub enum OpenError {
    #[error("public_base {0:?} is not an http:// or https:// URL")]
    PublicBase(String),
    #[error("cannot prepare {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot open the database {}", path.display())]
    Database {
        path: PathBuf,
        #[source]
        source: SchemaError,
    },
    #[error(
        "{} is in use by another pixpipe process (its lock file is held)",
        path.display()
    )]
    InUse { path: PathBuf },
    #[error("the upload signing secret is unusable")]
    Secret(#[from] SecretError),
    #[error("opening the data directory did not finish")]
    Join(#[from] tokio::task::JoinError),
}

/// Name of the lock file in the data directory.
pub const LOCK_FILE: &str = "pixpipe.lock";

/// Takes the data directory's exclusive lock, held as long as the returned
/// file is open. The operating system drops it when the process dies, so a
/// crash never leaves a stale lock behind.
fn lock_data_dir(data_dir: &std::path::Path) -> Result<std::fs::File, OpenError> {
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| OpenError::Io {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(OpenError::InUse {
            path: data_dir.to_owned(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(OpenError::Io { path, source }),
    }
}

/// Opens (creating as needed) the data directory, the database, the signing
/// secret and the blob directories, and removes upload leftovers of a crash.
pub async fn open(config: LocalConfig) -> Result<Local, OpenError> {
    tokio::task::spawn_blocking(move || open_blocking(config)).await?
}

fn open_blocking(config: LocalConfig) -> Result<Local, OpenError> {
    let base = config.public_base.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(OpenError::PublicBase(config.public_base));
    }
    let data_dir = config.data_dir;
    let blob_root = data_dir.join("blobs");
    for dir in [
        &data_dir,
        &blob_root.join("uploads"),
        &blob_root.join("results"),
    ] {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Io {
            path: dir.clone(),
            source,
        })?;
    }
    let secret = signing::load_or_create_secret(&data_dir, config.upload_secret.as_deref())?;
    let lock = lock_data_dir(&data_dir)?;
    let space = space::Space::open(&data_dir);
    let db_path = data_dir.join(DB_FILE);
    let store = LocalStore::open(&db_path, config.max_receives, lock, Arc::clone(&space)).map_err(
        |source| OpenError::Database {
            path: db_path,
            source,
        },
    )?;
    let blobs = FsBlobs::new(blob_root, base, signing::Signer::new(&secret), space);
    match blobs.remove_stale_parts() {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "removed unfinished uploads left by a crash"),
        Err(source) => {
            return Err(OpenError::Io {
                path: blobs.uploads_dir(),
                source,
            });
        }
    }
    Ok(Local {
        store: Arc::new(store),
        blobs: Arc::new(blobs),
    })
}
