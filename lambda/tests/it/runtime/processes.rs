//! The processes of the runtime tests: cargo-lambda's emulator of the Lambda
//! Runtime API (`cargo lambda watch --only-lambda-apis`, which starts no
//! function itself) and the two function binaries, each started as Lambda
//! starts a bootstrap: `AWS_LAMBDA_RUNTIME_API` and the `AWS_LAMBDA_FUNCTION_*`
//! variables, plus the `PIXPIPE_*` / `AWS_*` settings the functions read.
//! Output goes to a log file per process (under the test's target temporary
//! directory), never to the test's own output: it could hold signed URLs.
//! Every process is killed when its handle is dropped, a failed test included.

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pixpipe_aws::AwsConfig;

/// How long cargo-lambda gets to listen on its port.
const EMULATOR_START: Duration = Duration::from_secs(60);

/// A child process with its output in a log file; killed on drop.
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Starts `command` with stdout and stderr appended to `{name}.log` in `dir`.
    pub fn spawn(name: &str, mut command: Command, dir: &Path) -> Process {
        let log = dir.join(format!("{name}.log"));
        let file = File::create(&log).expect("create log file");
        let err = file.try_clone().expect("clone log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("{name} cannot start ({:?}): {e}", command.get_program()));
        Process {
            name: name.to_owned(),
            child,
            log,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Panics unless the process is still running.
    pub fn assert_alive(&mut self) {
        match self.child.try_wait().expect("wait for the child") {
            None => {}
            Some(status) => panic!(
                "{} exited ({status}); its log is {}",
                self.name,
                self.log.display()
            ),
        }
    }

    /// What the process has written so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).expect("read log")).into_owned()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// cargo-lambda's Runtime API emulator on a free port of 127.0.0.1.
pub struct Emulator {
    pub process: Process,
    pub port: u16,
}

impl Emulator {
    /// Starts `cargo lambda watch --only-lambda-apis` (the `cargo-lambda`
    /// executable at `program`) in the workspace, so that the binaries of
    /// `pixpipe-lambda` are its functions; panics unless it listens within
    /// a minute.
    pub async fn start(program: &Path, workspace: &Path, logs: &Path) -> Emulator {
        let port = free_port();
        let mut command = Command::new(program);
        command
            .current_dir(workspace)
            .args(["lambda", "watch", "--only-lambda-apis", "--ignore-changes"])
            .args(["--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &port.to_string()])
            .env("RUST_LOG", "info");
        let mut process = Process::spawn("cargo-lambda-watch", command, logs);
        let start = Instant::now();
        loop {
            process.assert_alive();
            if tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .is_ok()
            {
                return Emulator { process, port };
            }
            assert!(
                start.elapsed() < EMULATOR_START,
                "cargo-lambda does not listen on {port} after {EMULATOR_START:?}; see {}",
                process.log.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The function URL of `function`, at `path`.
    pub fn function_url(&self, function: &str, path: &str) -> String {
        format!("{}/lambda-url/{function}{path}", self.base_url())
    }

    /// The Lambda Invoke API endpoint of `function`.
    pub fn invoke_url(&self, function: &str) -> String {
        format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.base_url()
        )
    }

    /// Starts the bootstrap `program` as Lambda does, as `function` of this
    /// emulator, over the resources `cfg` names, with `extra` variables.
    pub fn function(
        &self,
        function: &str,
        program: &Path,
        cfg: &AwsConfig,
        extra: &[(&str, &str)],
        logs: &Path,
    ) -> Process {
        let mut command = Command::new(program);
        command
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("{}/.rt/{function}", self.base_url()),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("PIXPIPE_SOURCE_BUCKET", &cfg.source_bucket)
            .env("PIXPIPE_RESULTS_BUCKET", &cfg.results_bucket)
            .env("PIXPIPE_JOBS_TABLE", &cfg.jobs_table)
            .env("PIXPIPE_QUEUE_URL", &cfg.queue_url)
            .env("PIXPIPE_PUBLIC_BASE_URL", &cfg.public_base_url)
            .env("PIXPIPE_MAX_ATTEMPTS", cfg.max_attempts.to_string())
            .env("RUST_LOG", "info");
        if let Some(endpoint) = &cfg.endpoint_url {
            command.env("AWS_ENDPOINT_URL", endpoint);
        }
        // As the tests' own SDK set-up: the region, else us-east-1, and
        // dummy credentials unless some are set (moto checks none).
        if std::env::var_os("AWS_REGION").is_none() {
            command.env("AWS_REGION", "us-east-1");
        }
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            command
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing");
        }
        command.envs(extra.iter().copied());
        Process::spawn(function, command, logs)
    }
}

/// A port of 127.0.0.1 nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}
