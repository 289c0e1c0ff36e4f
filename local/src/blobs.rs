//! [`FsBlobs`]: objects as files under `{data_dir}/blobs/{key}`, behind
//! [`BlobStore`]. Sources arrive through signed URLs served by
//! [`crate::http`]; results are written atomically and served from
//! `{public_base}/blobs/results/…`. A result is refused as storage full
//! ([`BlobError::Full`]) when it would not leave the headroom of
//! [`crate::space`] free, or when the file system runs out of space.
//!
//! Keys are relative paths of non-empty segments; a key with `..`, a segment
//! starting with `.` (temp files), a leading `/`, a backslash or a control
//! character is refused, so no key can reach outside the blob directory.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use pixpipe_core::{BlobError, BlobStore, JobId, UploadTicket};
use thiserror::Error;

use crate::signing::Signer;
use crate::space::{Space, SpaceError};

/// A failure of the file-backed blob store (boxed into `BlobError::Backend`).
#[derive(Debug, Error)]
pub enum FsBlobError {
    #[error("object key {0:?} is not valid")]
    InvalidKey(String),
    #[error("content type {0:?} is not valid")]
    InvalidContentType(String),
    #[error("{op} {} failed", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("blob task did not finish")]
    Join(#[from] tokio::task::JoinError),
    #[error("no room for the object")]
    NoRoom(#[source] SpaceError),
    #[error("checking for room failed")]
    Space(#[source] SpaceError),
}

impl From<SpaceError> for FsBlobError {
    fn from(e: SpaceError) -> Self {
        match e {
            SpaceError::NoRoom(_) => FsBlobError::NoRoom(e),
            e => FsBlobError::Space(e),
        }
    }
}

impl FsBlobError {
    /// Whether the file system was full (or the quota spent).
    pub fn is_full(&self) -> bool {
        matches!(self, FsBlobError::Io { source, .. } if crate::space::is_full(source))
            || matches!(self, FsBlobError::NoRoom(_))
    }
}

impl From<FsBlobError> for BlobError {
    fn from(e: FsBlobError) -> Self {
        if e.is_full() {
            BlobError::Full(Box::new(e))
        } else {
            BlobError::Backend(Box::new(e))
        }
    }
}

/// Wraps an I/O error with the operation and path it concerned.
pub(crate) fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> FsBlobError {
    let path = path.to_path_buf();
    move |source| FsBlobError::Io { op, path, source }
}

/// Whether `key` is a safe relative object key.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key.contains("..")
        && !key.contains('\\')
        && !key.chars().any(char::is_control)
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && !seg.starts_with('.'))
}

/// fsyncs a directory so a rename or new entry in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `path` atomically: temp file in the same directory,
/// fsync, rename over, fsync the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsBlobError> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(FsBlobError::InvalidKey(path.display().to_string()));
    };
    if !dir.is_dir() {
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent).map_err(io_err("sync", parent))?;
        }
    }
    let suffix = hex::encode(rand::random::<[u8; 8]>());
    let tmp = dir.join(format!(".{}.{suffix}.tmp", name.to_string_lossy()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err("create", &tmp))?;
        file.write_all(bytes).map_err(io_err("write", &tmp))?;
        file.sync_all().map_err(io_err("sync", &tmp))?;
        fs::rename(&tmp, path).map_err(io_err("rename", path))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir).map_err(io_err("sync", dir))
}

/// Blob store on the local file system.
#[derive(Debug, Clone)]
pub struct FsBlobs {
    root: PathBuf,
    public_base: String,
    signer: Arc<Signer>,
    space: Arc<Space>,
}

impl FsBlobs {
    pub(crate) fn new(root: PathBuf, public_base: &str, signer: Signer, space: Arc<Space>) -> Self {
        FsBlobs {
            root,
            public_base: public_base.trim_end_matches('/').to_owned(),
            signer: Arc::new(signer),
            space,
        }
    }

    /// The free space of the data directory (see [`crate::space`]).
    pub fn space(&self) -> &Arc<Space> {
        &self.space
    }

    /// `{data_dir}/blobs`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory served at `/blobs/results`.
    pub fn results_dir(&self) -> PathBuf {
        self.root.join("results")
    }

    /// Directory of uploaded sources (never served).
    pub fn uploads_dir(&self) -> PathBuf {
        self.root.join("uploads")
    }

    pub(crate) fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The file of an object, or an error when the key is not valid.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, FsBlobError> {
        if is_valid_key(key) {
            Ok(self.root.join(key))
        } else {
            Err(FsBlobError::InvalidKey(key.to_owned()))
        }
    }

    /// Removes `*.part` files a crash left in the uploads directory. Blocking.
    pub(crate) fn remove_stale_parts(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(self.uploads_dir())? {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "part") {
                match fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(removed)
    }
}

fn read_limited(key: &str, path: &Path, max_bytes: u64) -> Result<Bytes, BlobError> {
    let file = match File::open(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(BlobError::NotFound(key.to_owned()));
        }
        other => other.map_err(io_err("open", path))?,
    };
    let meta = file.metadata().map_err(io_err("stat", path))?;
    if !meta.is_file() {
        return Err(BlobError::NotFound(key.to_owned()));
    }
    let too_large = |size| BlobError::TooLarge {
        key: key.to_owned(),
        size,
        limit: max_bytes,
    };
    if meta.len() > max_bytes {
        return Err(too_large(meta.len()));
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io_err("read", path))?;
    let read = buf.len() as u64;
    if read > max_bytes {
        return Err(too_large(read));
    }
    Ok(Bytes::from(buf))
}

fn delete_keys(root: &Path, keys: &[String]) -> Result<(), FsBlobError> {
    for key in keys {
        let path = root.join(key);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove", &path)(e)),
        }
        // `results/{id}/{file}`: drop the job's directory once it is empty.
        if key.starts_with("results/")
            && key.matches('/').count() == 2
            && let Some(dir) = path.parent()
        {
            match fs::remove_dir(dir) {
                Ok(()) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                    ) => {}
                Err(e) => return Err(io_err("remove", dir)(e)),
            }
        }
    }
    Ok(())
}

#[async_trait]
impl BlobStore for FsBlobs {
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadTicket, BlobError> {
        // Only `uploads/{job id}` has an upload route.
        if JobId::from_source_key(key).is_none_or(|id| id.source_key() != key) {
            return Err(FsBlobError::InvalidKey(key.to_owned()).into());
        }
        let ct_ok = !content_type.is_empty()
            && content_type
                .bytes()
                .all(|b| b.is_ascii_graphic() || b == b' ');
        if !ct_ok {
            return Err(FsBlobError::InvalidContentType(content_type.to_owned()).into());
        }
        let exp = expires_at.timestamp();
        let query = self.signer.query(key, content_type, content_length, exp);
        let headers = BTreeMap::from([
            ("Content-Type".to_owned(), content_type.to_owned()),
            ("Content-Length".to_owned(), content_length.to_string()),
        ]);
        Ok(UploadTicket {
            method: "PUT".to_owned(),
            url: format!("{}/{key}?{query}", self.public_base),
            headers,
            expires_at,
        })
    }

    async fn get(&self, key: &str, max_bytes: u64) -> Result<Bytes, BlobError> {
        let path = self.path_of(key)?;
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || read_limited(&key, &path, max_bytes))
            .await
            .map_err(FsBlobError::from)?
    }

    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        // Uploads are written beside their key and renamed onto it when complete.
        let path = self.path_of(key)?;
        Ok(tokio::fs::try_exists(&path)
            .await
            .map_err(io_err("stat", &path))?)
    }

    async fn put_public(
        &self,
        key: &str,
        bytes: Bytes,
        _content_type: &str,
    ) -> Result<(), BlobError> {
        // The type is served from the extension (see `crate::http`).
        let path = self.path_of(key)?;
        self.space
            .ensure_room(bytes.len() as u64)
            .await
            .map_err(FsBlobError::from)?;
        tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
            .await
            .map_err(FsBlobError::from)??;
        Ok(())
    }

    async fn delete(&self, keys: &[String]) -> Result<(), BlobError> {
        if let Some(bad) = keys.iter().find(|k| !is_valid_key(k)) {
            return Err(FsBlobError::InvalidKey(bad.clone()).into());
        }
        let (root, keys) = (self.root.clone(), keys.to_vec());
        tokio::task::spawn_blocking(move || delete_keys(&root, &keys))
            .await
            .map_err(FsBlobError::from)??;
        Ok(())
    }

    fn public_url(&self, key: &str) -> String {
        format!("{}/blobs/{key}", self.public_base)
    }
}
