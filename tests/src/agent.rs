//! Helpers for tests that run `edgemon-agent run`.

use crate::bin;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Polls `cond` every 50 ms; panics naming `what` after a generous deadline (the agent
/// runs at a 1 s interval in tests, so each wait is a few seconds when things work).
///
/// # Panics
/// When `cond` stays false for 60 s.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A capture bundle of this machine in `dir/bundle` (`edgemon-agent capture`), so a
/// daemon can run `--from` it.
///
/// # Panics
/// When the capture fails.
pub fn capture_bundle(dir: &Path) -> PathBuf {
    let out = dir.join("bundle");
    let st = Command::new(bin("edgemon-agent"))
        .args(["capture", "--out"])
        .arg(&out)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "edgemon-agent capture failed");
    out
}

/// The queue depth a running agent reports in its status file `dir/status`.
pub fn queued(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join("status"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["queue"]["depth"].as_u64())
        .unwrap_or(0)
}

/// A child process killed when dropped, so a failing test leaves no agent running.
#[derive(Debug)]
pub struct Running(pub std::process::Child);

impl Running {
    /// SIGKILL and reap.
    pub fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
