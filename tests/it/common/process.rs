//! `pixpipe serve` as a child process, started from the built binary as a
//! user starts it: for tests that need the process apart (its own memory
//! figures, its own environment, signals).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Api;

/// A running `pixpipe serve` child and a client of its API (through `Deref`).
pub struct ServeProcess {
    child: Child,
    pub api: Api,
    /// The child's stderr (its logs), read back when something goes wrong.
    log: tempfile::NamedTempFile,
}

impl std::ops::Deref for ServeProcess {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl ServeProcess {
    /// `pixpipe serve --addr 127.0.0.1:0` plus `args`, with `configure` given
    /// the command to add environment; waits for the address it prints.
    pub async fn start(args: &[&str], configure: impl FnOnce(&mut Command)) -> ServeProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pixpipe"));
        command.args(["serve", "--addr", "127.0.0.1:0"]).args(args);
        configure(&mut command);
        ServeProcess::spawn(command).await
    }

    /// Runs `command`, which must end up running `pixpipe serve` in its own
    /// process (e.g. through `exec`); waits for the address it prints.
    pub async fn spawn(mut command: Command) -> ServeProcess {
        let log = tempfile::NamedTempFile::new().expect("log file");
        command
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("log file"));
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        // The first stdout line names the address; the rest is drained.
        let stdout = child.stdout.take().expect("piped stdout");
        let (first, line) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = first.send(lines.next().and_then(Result::ok));
            lines.for_each(drop);
        });
        let line = tokio::task::spawn_blocking(move || line.recv_timeout(Duration::from_secs(60)))
            .await
            .unwrap();
        let mut server = ServeProcess {
            child,
            api: Api::new(String::new()),
            log,
        };
        let base = line.ok().flatten().and_then(|line| {
            let rest = line.strip_prefix("pixpipe listening on ")?;
            Some(rest.split_whitespace().next()?.to_owned())
        });
        match base {
            Some(base) => server.api.base = base,
            None => panic!("pixpipe serve did not start: {}", server.logs()),
        }
        server
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The child's peak resident memory so far (`VmHWM`), in MiB.
    pub fn peak_rss_mib(&self) -> u64 {
        self.status_mib("VmHWM:")
    }

    /// The child's resident memory now (`VmRSS`), in MiB.
    pub fn rss_mib(&self) -> u64 {
        self.status_mib("VmRSS:")
    }

    /// A `kB` line of the child's `/proc/PID/status`, in MiB.
    fn status_mib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the child's /proc status");
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .expect("the status line");
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect("a figure in kB");
        kib / 1024
    }

    /// SIGTERM, then the exit of a graceful shutdown (status 0); returns
    /// how long the exit took.
    pub async fn stop(mut self) -> Duration {
        self.terminate();
        self.exited().await
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: sends SIGTERM to the child this test spawned and still owns.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// Waits for the exit of a graceful shutdown (status 0) and returns how
    /// long it took from the call.
    pub async fn exited(&mut self) -> Duration {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "still running 60 s after SIGTERM: {}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(status.success(), "{status}: {}", self.logs());
        started.elapsed()
    }
}

impl ServeProcess {
    /// SIGKILL, as a crash or the OOM killer ends it: nothing is flushed,
    /// nothing settled. Returns once the process is gone.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL the child");
        self.child.wait().expect("reap the child");
    }
}

impl Drop for ServeProcess {
    /// A test that fails midway leaves no server behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
