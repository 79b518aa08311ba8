//! Self-registration of a real `edgemon-agent run` (a simulated OpenWrt router) at a real
//! `edgemon-collector serve`: openwisp-config's consistent key, the board's model, firmware
//! and CPU, and a reset device that registers again getting its identity back.

use edgemon_collector::registry::secret::consistent_key;
use edgemon_tests::agent::{Running, wait_for};
use edgemon_tests::bin;
use edgemon_tests::collector::Collector;
use edgemon_tests::http::request;
use std::path::Path;
use std::process::{Command, Stdio};

const SECRET: &str = "fleet secret";

fn agent(dir: &Path, url: &str) -> Running {
    let no_openwisp = dir.join("openwisp-empty");
    std::fs::write(&no_openwisp, "").unwrap();
    Running(
        Command::new(bin("edgemon-agent"))
            .args([
                "run",
                "--simulate",
                "4",
                "--url",
                url,
                "--shared-secret",
                SECRET,
            ])
            .args(["--interval", "1", "--boot-delay-max", "0"])
            .arg("--identity-file")
            .arg(dir.join("identity"))
            .arg("--queue-path")
            .arg(dir.join("queue.redb"))
            .arg("--status-file")
            .arg(dir.join("status"))
            .arg("--openwisp-config")
            .arg(no_openwisp)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// `(uuid, key)` from the agent's identity file (UCI options).
fn identity(dir: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(dir.join("identity")).ok()?;
    let option = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("option {name} ")))
            .map(|v| v.trim_matches('\'').to_owned())
    };
    Some((option("uuid")?, option("key")?))
}

#[test]
fn a_registered_router_keeps_its_key_across_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Collector::new();
    c.cli(&[
        "org",
        "add",
        "Fleet",
        "--slug",
        "fleet",
        "--shared-secret",
        SECRET,
    ]);
    let addr = c.start();
    let url = format!("http://{addr}");

    let child = agent(dir.path(), &url);
    wait_for("the identity file", || identity(dir.path()).is_some());
    child.kill();
    let (uuid, key) = identity(dir.path()).unwrap();

    // The device as the collector knows it: the board's details and the consistent key.
    let r = request(
        addr,
        "GET",
        &format!("/api/v1/monitoring/device/{uuid}/?key={key}&time=1d"),
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let device = r.json();
    let mac = device["mac_address"].as_str().unwrap();
    assert_eq!(mac.len(), 17, "{device}");
    assert_eq!(key, consistent_key(mac, SECRET));
    assert!(!device["model"].as_str().unwrap().is_empty(), "{device}");
    assert!(
        device["os"].as_str().unwrap().starts_with("OpenWrt "),
        "{device}"
    );
    assert!(!device["system"].as_str().unwrap().is_empty(), "{device}");

    // A reset router (identity gone) registers again and gets the same device and key.
    std::fs::remove_file(dir.path().join("identity")).unwrap();
    let child = agent(dir.path(), &url);
    wait_for("the identity file again", || identity(dir.path()).is_some());
    child.kill();
    let (uuid2, key2) = identity(dir.path()).unwrap();
    let dashed = |u: &str| uuid::Uuid::parse_str(u).unwrap();
    assert_eq!(dashed(&uuid2), dashed(&uuid));
    assert_eq!(key2, key);
    assert!(c.stop().success());
    let listed = c.cli(&["device", "list"]);
    assert_eq!(listed.lines().count(), 1, "one device, not two: {listed}");
}
