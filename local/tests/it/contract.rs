//! The ports' contract (`pixpipe_testkit::contract`) on the local adapters:
//! SQLite jobs and work queue, files for blobs, and the storage routes
//! (signed uploads, published results) served over real HTTP on a loopback
//! port, the public base the adapters sign for.

use async_trait::async_trait;
use pixpipe_core::{BlobStore, JobId, JobStore, WorkQueue};
use pixpipe_local::{Local, LocalConfig, LocalHttp, UploadAccepted, router};
use pixpipe_testkit::contract::{Backend, sample_job};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Receives before an item goes dead: fewer than the default, so that the
/// dead-letter test stays short.
const MAX_RECEIVES: u32 = 3;

/// The local adapters over a fresh data directory, their routes served.
pub struct LocalBackend {
    local: Local,
    server: JoinHandle<()>,
    _dir: TempDir,
}

impl Drop for LocalBackend {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn open() -> LocalBackend {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let mut config = LocalConfig::new(dir.path(), base);
    config.max_receives = MAX_RECEIVES;
    let local = pixpipe_local::open(config)
        .await
        .expect("open local adapters");
    let app = router(LocalHttp::new(&local));
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    LocalBackend {
        local,
        server,
        _dir: dir,
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn jobs(&self) -> &dyn JobStore {
        self.local.store.as_ref()
    }

    fn blobs(&self) -> &dyn BlobStore {
        self.local.blobs.as_ref()
    }

    fn queue(&self) -> &dyn WorkQueue {
        self.local.store.as_ref()
    }

    /// As the upload route does: a job awaiting its upload, accepted.
    async fn enqueue(&self, job: JobId) {
        let mut record = sample_job("queue");
        record.id = job;
        self.local.store.insert(&record).await.expect("insert");
        let outcome = self.local.store.accept_upload(job).await.expect("accept");
        assert!(matches!(outcome, UploadAccepted::Queued(_)), "{outcome:?}");
    }

    /// The item's row is `dead` (its job still unfinished).
    async fn dead_lettered(&self, job: JobId) -> bool {
        self.local
            .store
            .dead_unfinished_jobs(1000)
            .await
            .expect("dead items")
            .contains(&job)
    }
}

pixpipe_testkit::contract_tests!(open);
