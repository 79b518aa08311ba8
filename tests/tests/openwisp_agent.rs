//! The agent in OpenWISP mode (its default) against the real collector: a collector
//! SIGKILLed again and again loses nothing the agents saw acknowledged (`ingest.ack =
//! "stored"`), and a sample sent again after a lost answer is stored once.

mod native_common;

use edgemon_tests::agent::{Running, queued, wait_for};
use edgemon_tests::bin;
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::request;
use native_common::metric;
use std::path::Path;
use std::process::{Command, Stdio};

fn agent(dir: &Path, n: u64, url: &str, id: &str, key: &str) -> Running {
    Running(
        Command::new(bin("edgemon-agent"))
            .args(["run", "--simulate", &n.to_string()])
            .args(["--url", url, "--uuid", id, "--key", key])
            .args(["--mode", "openwisp", "--interval", "150ms"])
            .args(["--boot-delay-max", "0", "--backoff-max", "1"])
            .arg("--queue-path")
            .arg(dir.join("queue.redb"))
            .arg("--status-file")
            .arg(dir.join("status"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn sigkilled_collector_loses_no_acknowledged_openwisp_sample() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let devs: Vec<_> = (0..2)
        .map(|i| fields(&c.cli(&["device", "add", "--org", "acme", "--name", &format!("r{i}")])))
        .collect();
    let addr = c.start();
    c.env("EDGEMON__HTTP__LISTEN", &addr.to_string());
    let url = format!("http://{addr}");
    let dirs: Vec<tempfile::TempDir> = devs.iter().map(|_| tempfile::tempdir().unwrap()).collect();
    let agents: Vec<Running> = devs
        .iter()
        .zip(&dirs)
        .enumerate()
        .map(|(i, (d, dir))| agent(dir.path(), 3 + i as u64, &url, &d["id"], &d["key"]))
        .collect();
    for _ in 0..3 {
        wait_for("samples stored", || {
            metric(addr, "edgemon_ingest_stored_total") >= 6
        });
        c.kill();
        wait_for("a backlog", || dirs.iter().all(|d| queued(d.path()) >= 3));
        c.start();
    }
    wait_for("the backlog drained", || {
        dirs.iter().all(|d| queued(d.path()) <= 1)
    });
    for a in agents {
        a.kill();
    }
    assert!(c.stop().success());
    let agents: Vec<(&str, &Path)> = devs
        .iter()
        .zip(&dirs)
        .map(|(d, dir)| (d["id"].as_str(), dir.path()))
        .collect();
    native_common::check_openwisp_exactly_once(&c, &agents, 10);
}

#[test]
fn a_sample_sent_again_after_a_lost_answer_is_stored_once() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "r"]));
    let post = |addr, rx: u64, time: &str| {
        let body = format!(
            r#"{{"type":"DeviceMonitoring","resources":{{"cpus":1,"load":[0.1,0.1,0.1]}},"interfaces":[{{"name":"eth0","statistics":{{"rx_bytes":{rx},"tx_bytes":0}}}}]}}"#
        );
        let path = format!(
            "/api/v1/monitoring/device/{}/?key={}&time={time}",
            d["id"], d["key"]
        );
        let r = request(
            addr,
            "POST",
            &path,
            &[("content-type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    };
    let addr = c.start();
    post(addr, 1000, "01-06-2026_10:00:00.000000");
    post(addr, 1500, "01-06-2026_10:05:00.000000");
    // The same sample again (as after a lost answer), recognised from memory...
    post(addr, 1500, "01-06-2026_10:05:00.000000");
    assert_eq!(metric(addr, "edgemon_openwisp_duplicates_total"), 1);
    // ... and after a crash, from the stored snapshot.
    c.kill();
    let addr = c.start();
    post(addr, 1500, "01-06-2026_10:05:00.000000");
    assert_eq!(metric(addr, "edgemon_openwisp_duplicates_total"), 1);
    post(addr, 1800, "01-06-2026_10:10:00.000000");
    assert!(c.stop().success());
    // Three samples, and the deltas 1000 + 500 + 300 add up to the last counter: the
    // resend did not overwrite the 500 with 0.
    native_common::check_openwisp_store(&c, &d["id"], 3);
}
