//! Run a real `edgemon-collector` for a test: its own data directory, the registry set up
//! through the real CLI, `serve` as a child process, stopped (SIGTERM) on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A collector's data directory, and its process once started.
#[derive(Debug)]
pub struct Collector {
    pub dir: tempfile::TempDir,
    pub addr: Option<SocketAddr>,
    child: Option<Child>,
    extra_env: Vec<(String, String)>,
    log: Option<PathBuf>,
}

/// `key: value` lines of the CLI's output.
pub fn fields(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl Collector {
    /// A fresh data directory; nothing running yet.
    pub fn new() -> Self {
        Collector {
            dir: tempfile::tempdir().expect("tempdir"),
            addr: None,
            child: None,
            extra_env: Vec::new(),
            log: None,
        }
    }

    /// Append `serve`'s log (stderr) to `path` instead of the test's stderr.
    pub fn log_to(&mut self, path: &Path) -> &mut Self {
        self.log = Some(path.to_owned());
        self
    }

    /// Add an `EDGEMON__…` override for `serve`.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.extra_env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(crate::bin("edgemon-collector"));
        c.env("EDGEMON__DATA_DIR", self.data_dir());
        c
    }

    /// Run a CLI command (e.g. `["org", "add", …]`); panics unless it exits 0.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self
            .command()
            .args(args)
            .output()
            .expect("run collector CLI");
        assert!(
            out.status.success(),
            "edgemon-collector {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Run a CLI command with the [`Collector::env`] overrides and `env`; its output,
    /// whatever the exit status.
    pub fn cli_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut c = self.command();
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        c.envs(env.iter().copied())
            .args(args)
            .output()
            .expect("run collector CLI")
    }

    /// Start `serve` on a free loopback port and wait until it listens.
    pub fn start(&mut self) -> SocketAddr {
        let mut c = self.command();
        c.arg("serve")
            .env("EDGEMON__HTTP__LISTEN", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(match &self.log {
                Some(p) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .expect("collector log file"),
                ),
                None => Stdio::inherit(),
            });
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("start edgemon-collector serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(a) = line.strip_prefix("edgemon-collector listening on http://") {
                    let _ = tx.send(a.parse::<SocketAddr>().expect("address"));
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("collector did not report its address");
        self.child = Some(child);
        self.addr = Some(addr);
        addr
    }

    /// SIGTERM and wait for a clean exit (the queue is drained first); returns the status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("collector running");
        signal(&child, "TERM");
        wait_timeout(&mut child, Duration::from_secs(60)).expect("collector did not stop")
    }

    /// The running `serve` process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: no graceful anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Send a signal by name with `kill(1)` (tests only; keeps the crate free of unsafe).
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} failed");
}

/// Wait for a child with a deadline.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Path helper for payload files.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
