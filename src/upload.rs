//! `pixpipe upload`: the API's client flow for local files. For each file:
//! create a job, stream the bytes to the signed upload URL (a progress bar per
//! file, a few files at a time), long-poll the job to its end, print the
//! result URLs or the job's error code. Ctrl-C deletes the jobs whose upload
//! did not land and leaves the uploaded ones processing.

mod cancel;
mod client;
mod report;
mod source;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use tokio::sync::{Semaphore, SemaphorePermit};

use client::{Api, Settled};
use report::Slot;
use source::Source;

/// Exit status after Ctrl-C, as shells report a SIGINT.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Longest the clean-up after Ctrl-C may take.
const CLEANUP_TIME: Duration = Duration::from_secs(30);
/// Jobs long-polled at once.
const MAX_WAITING: usize = 32;

/// Flags of `pixpipe upload`.
#[derive(Debug, clap::Args)]
pub struct UploadArgs {
    /// Images to upload (JPEG, PNG, WebP or GIF).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Base URL of the pixpipe API.
    #[arg(long, env = "PIXPIPE_API", default_value = "http://127.0.0.1:8080")]
    pub api: String,
    /// API key, sent as `Authorization: Bearer <key>`.
    #[arg(long, env = "PIXPIPE_API_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// Preset to apply (see `GET /v1/presets`).
    #[arg(long, default_value = "standard")]
    pub preset: String,
    /// Print the finished jobs as one JSON array on stdout, without progress bars.
    #[arg(long)]
    pub json: bool,
    /// Files uploaded at the same time.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub parallel: u16,
    /// Seconds to wait for each job to finish once uploaded.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
}

/// Why one file did not end in a succeeded job: a stable code and a detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: String,
    pub detail: String,
}

impl Failure {
    pub fn new(code: impl Into<String>, detail: impl Into<String>) -> Self {
        Failure {
            code: code.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

/// How one file ended: the last job document seen and, unless it
/// succeeded, why not.
struct Finished {
    job: Option<Value>,
    failure: Option<Failure>,
}

impl Finished {
    fn failed(job: Option<Value>, failure: Failure) -> Self {
        Finished {
            job,
            failure: Some(failure),
        }
    }
}

struct Uploader {
    api: Arc<Api>,
    preset: String,
    json: bool,
    files: Vec<PathBuf>,
    multi: MultiProgress,
    slots: Arc<Mutex<Vec<Slot>>>,
    uploads: Semaphore,
    waits: Semaphore,
    timeout: Duration,
}

/// Runs the command; returns the exit status (0, 1 if a file failed, 130 after Ctrl-C).
pub async fn run(args: UploadArgs) -> anyhow::Result<i32> {
    let api = Api::new(&args.api, args.key.as_deref())?;
    let target = if args.json {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let up = Arc::new(Uploader {
        api: Arc::new(api),
        preset: args.preset,
        json: args.json,
        slots: Arc::new(Mutex::new(vec![Slot::Idle; args.files.len()])),
        files: args.files,
        multi: MultiProgress::with_draw_target(target),
        uploads: Semaphore::new(usize::from(args.parallel)),
        waits: Semaphore::new(MAX_WAITING),
        timeout: Duration::from_secs(args.timeout),
    });
    let mut finished: Vec<Option<Finished>> = (0..up.files.len()).map(|_| None).collect();
    let interrupted = {
        let mut tasks: FuturesUnordered<_> = (0..up.files.len())
            .map(|index| {
                let up = up.clone();
                async move { (index, up.file(index).await) }
            })
            .collect();
        let ctrl_c = interrupt();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                () = &mut ctrl_c => break true,
                next = tasks.next() => match next {
                    Some((index, done)) => {
                        up.set(index, Slot::Done);
                        up.report(index, &done);
                        finished[index] = Some(done);
                    }
                    None => break false,
                },
            }
        }
        // Dropping the remaining tasks here aborts their requests.
    };
    drop(up.multi.clear());
    if interrupted {
        let continuing = up.clean_up_after_interrupt().await;
        for (index, job) in continuing {
            finished[index] = Some(Finished {
                job: Some(job),
                failure: None,
            });
        }
    }
    let failed = finished
        .iter()
        .flatten()
        .filter(|f| f.failure.is_some())
        .count();
    if args.json {
        let jobs: Vec<&Value> = finished
            .iter()
            .flatten()
            .filter_map(|f| f.job.as_ref())
            .collect();
        println!("{}", serde_json::to_string_pretty(&jobs)?);
    }
    Ok(if interrupted {
        EXIT_INTERRUPTED
    } else {
        i32::from(failed > 0)
    })
}

/// Resolves on Ctrl-C; never, where no handler can be installed.
async fn interrupt() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Uploader {
    fn label(&self, index: usize) -> String {
        self.files[index].display().to_string()
    }

    fn set(&self, index: usize, slot: Slot) {
        if let Ok(mut slots) = self.slots.lock() {
            slots[index] = slot;
        }
    }

    fn out(&self, line: &str) {
        self.multi.suspend(|| println!("{line}"));
    }

    fn err(&self, line: &str) {
        self.multi.suspend(|| eprintln!("{line}"));
    }

    fn report(&self, index: usize, done: &Finished) {
        let label = self.label(index);
        match (&done.failure, &done.job) {
            (Some(failure), _) => self.err(&format!("{label}: {failure}")),
            (None, Some(job)) if !self.json => {
                for line in report::result_lines(&label, job) {
                    self.out(&line);
                }
            }
            (None, _) => {}
        }
    }

    /// One file from start to end.
    async fn file(&self, index: usize) -> Finished {
        let permit = self.uploads.acquire().await.ok();
        let source = match Source::open(&self.files[index]).await {
            Ok(source) => source,
            Err(failure) => return Finished::failed(None, failure),
        };
        let bar = self.multi.add(
            ProgressBar::new(source.len)
                .with_style(style(
                    "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                ))
                .with_prefix(self.label(index)),
        );
        let done = self.upload_and_wait(index, source, &bar, permit).await;
        bar.finish_and_clear();
        self.multi.remove(&bar);
        done
    }

    /// The create call, run as its own task so that an interruption cannot
    /// lose the id of a job the server has already made.
    async fn create(&self, index: usize, source: &Source) -> Result<Value, Failure> {
        self.set(index, Slot::Creating);
        let (api, slots, preset) = (self.api.clone(), self.slots.clone(), self.preset.clone());
        let announce = source.announcement();
        let task = tokio::spawn(async move {
            let created = api.create(&announce, &preset).await;
            let slot = match created.as_ref().map(|job| job["id"].as_str()) {
                Ok(Some(id)) => Slot::Created(id.to_owned()),
                _ => Slot::Idle,
            };
            if let Ok(mut slots) = slots.lock() {
                slots[index] = slot;
            }
            created
        });
        task.await
            .map_err(|e| Failure::new("internal", e.to_string()))?
    }

    async fn upload_and_wait(
        &self,
        index: usize,
        source: Source,
        bar: &ProgressBar,
        permit: Option<SemaphorePermit<'_>>,
    ) -> Finished {
        let mut created = match self.create(index, &source).await {
            Ok(job) => job,
            Err(failure) => return Finished::failed(None, failure),
        };
        let id = created["id"].as_str().unwrap_or_default().to_owned();
        let uploaded = match self
            .api
            .upload(&created, source.into_body(bar.clone()), bar)
            .await
        {
            Ok(()) => {
                // The signed URL is spent; it is not part of the job's record.
                if let Some(job) = created.as_object_mut() {
                    job.remove("upload");
                }
                created
            }
            Err(failure) => match self.api.settle(&id).await {
                Settled::Uploaded(job) => job,
                Settled::Deleted => {
                    self.set(index, Slot::Idle);
                    let detail = format!("{}; job {id} deleted", failure.detail);
                    return Finished::failed(None, Failure::new(failure.code, detail));
                }
                Settled::Unknown(other) => {
                    let detail = format!(
                        "{}; job {id} may still wait for its upload ({other}) until its upload URL expires",
                        failure.detail
                    );
                    return Finished::failed(None, Failure::new(failure.code, detail));
                }
            },
        };
        self.set(index, Slot::Uploaded(uploaded.clone()));
        drop(permit);
        bar.set_style(style("{spinner} {prefix} {msg}"));
        bar.set_message(report::status_message(&uploaded));
        bar.enable_steady_tick(Duration::from_millis(120));
        let _waiting = self.waits.acquire().await.ok();
        let mut latest = uploaded;
        let deadline = Instant::now() + self.timeout;
        let waited = self
            .api
            .wait(&id, deadline, |job| {
                bar.set_message(report::status_message(job));
                self.set(index, Slot::Uploaded(job.clone()));
                latest = job.clone();
            })
            .await;
        match waited {
            Ok(job) => Finished {
                failure: report::job_failure(&job),
                job: Some(job),
            },
            Err(failure) => Finished::failed(Some(latest), failure),
        }
    }
}
