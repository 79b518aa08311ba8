//! Reliability: an agent behind a link that loses 30 % of the frames in each direction and
//! delays the rest by 250 ms each way, 500 ms per round trip (`tests/tools/impair.py`
//! between two TAP devices, one in the router's network namespace; the test kernels have
//! no `sch_netem`). Every
//! sample the agent collected and deleted arrives, exactly once, with traffic deltas that
//! add up (so none was derived out of order). Needs root.

mod native_common;

use edgemon_tests::agent::{Running, queued};
use edgemon_tests::bin;
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::netns::{LossyHost, is_root};
use native_common::next_seq;
use std::process::Stdio;

#[test]
fn a_lossy_slow_link_delivers_everything_exactly_once() {
    assert!(
        is_root(),
        "this test creates network namespaces: run it as root"
    );
    let router = LossyHost::new(1, 0.3, 0.25);
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "far-away"]));
    c.env("EDGEMON__HTTP__LISTEN", &format!("{}:0", router.gateway));
    let addr = c.start();

    let dir = tempfile::tempdir().unwrap();
    let agent = Running(
        router
            .command(&bin("edgemon-agent"))
            .args(["run", "--simulate", "2", "--mode", "native"])
            .args(["--url", &format!("http://{addr}")])
            .args(["--uuid", &d["id"], "--key", &d["key"]])
            .args(["--interval", "1", "--batch-max", "8"])
            .args(["--boot-delay-max", "0", "--backoff-max", "2"])
            .args(["--connect-timeout", "10", "--request-timeout", "30"])
            .arg("--queue-path")
            .arg(dir.path().join("queue.redb"))
            .arg("--status-file")
            .arg(dir.path().join("status"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The daemon collects between sends, so over this link it takes fewer samples than one
    // a second; what it takes must all arrive.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    while next_seq(dir.path()) <= 6 || queued(dir.path()) > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the backlog did not drain over the lossy link"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    agent.kill();
    assert!(c.stop().success());
    native_common::check_exactly_once_min(&c, &[(d["id"].as_str(), dir.path())], 6);
}
