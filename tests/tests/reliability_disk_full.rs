//! Reliability: the agent's queue on a filesystem that fills up (a 256 KiB tmpfs, so the
//! disk really is full: ENOSPC from the kernel, not a simulated error). The daemon keeps
//! running and collecting, makes room by dropping its oldest samples and counts them, and
//! once the server is reachable everything still queued arrives exactly once. Needs root
//! (mount).

mod native_common;

use edgemon_tests::agent::{Running, queued, wait_for};
use edgemon_tests::bin;
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::netns::is_root;
use native_common::next_seq;
use std::process::{Command, Stdio};

struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Tmpfs {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount tmpfs on {}", dir.display());
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn status(dir: &std::path::Path) -> serde_json::Value {
    std::fs::read_to_string(dir.join("status"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

#[test]
fn a_full_disk_drops_the_oldest_counts_them_and_keeps_running() {
    assert!(is_root(), "this test mounts a tmpfs: run it as root");
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "full"]));
    let addr = c.start();
    c.env("EDGEMON__HTTP__LISTEN", &addr.to_string());
    c.kill();

    let dir = tempfile::tempdir().unwrap();
    let flash = dir.path().join("flash");
    std::fs::create_dir(&flash).unwrap();
    let _fs = Tmpfs::mount(&flash, "256k");
    let log = std::fs::File::create(dir.path().join("agent.log")).unwrap();
    let agent = Running(
        Command::new(bin("edgemon-agent"))
            .args(["run", "--simulate", "4", "--mode", "native"])
            .args(["--url", &format!("http://{addr}")])
            .args(["--uuid", &d["id"], "--key", &d["key"]])
            .args(["--interval", "200ms", "--batch-max", "8"])
            .args(["--boot-delay-max", "0", "--backoff-max", "1"])
            // The byte bound is larger than the disk: the disk fills first.
            .args(["--queue-max-bytes", "8000000"])
            .arg("--queue-path")
            .arg(flash.join("queue.redb"))
            .arg("--status-file")
            .arg(dir.path().join("status"))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap(),
    );
    wait_for("the disk to fill and samples to be dropped", || {
        status(dir.path())["queue"]["dropped"].as_u64() > Some(5)
    });
    let before = next_seq(dir.path());
    wait_for("collection to go on with a full disk", || {
        next_seq(dir.path()) > before + 5
    });
    c.start();
    wait_for("the queue drained", || queued(dir.path()) <= 1);
    let dropped = status(dir.path())["queue"]["dropped"].as_u64().unwrap();
    agent.kill();
    assert!(c.stop().success());
    let log = std::fs::read_to_string(dir.path().join("agent.log")).unwrap();
    assert!(log.contains("No space left on device"), "{log}");
    native_common::check_exactly_once_dropping(&c, &[(d["id"].as_str(), flash.as_path())], dropped);
    // The samples taken after the drops said so: the newest one reached the collector with
    // the count.
    let snapshot = native_common::latest_snapshot(&c, &d["id"]);
    let reported = snapshot["edgemon"]["dropped_samples"].as_u64();
    assert!(
        reported.is_some_and(|n| n > 0 && n <= dropped),
        "the latest sample reports {reported:?} dropped of {dropped}"
    );
}
