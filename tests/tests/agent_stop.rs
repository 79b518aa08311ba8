//! `edgemon-agent run` stops cleanly on SIGTERM (what procd sends on `/etc/init.d/edgemon
//! stop`): between steps, status written, exit status 0, also while it waits to register.

use edgemon_tests::agent::wait_for;
use edgemon_tests::bin;
use edgemon_tests::collector::{Collector, fields, signal, wait_timeout};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn agent(dir: &Path, args: &[&str]) -> Child {
    let no_openwisp = dir.join("openwisp-empty");
    std::fs::write(&no_openwisp, "").unwrap();
    Command::new(bin("edgemon-agent"))
        .args(["run", "--simulate", "2", "--boot-delay-max", "0"])
        .args(args)
        .arg("--identity-file")
        .arg(dir.join("identity"))
        .arg("--queue-path")
        .arg(dir.join("queue.redb"))
        .arg("--status-file")
        .arg(dir.join("status"))
        .arg("--openwisp-config")
        .arg(no_openwisp)
        .stderr(std::fs::File::create(dir.join("agent.log")).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("agent.log")).unwrap_or_default()
}

#[test]
fn sigterm_stops_the_daemon_between_steps_with_exit_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let dev = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "ap"]));
    let addr = c.start();
    let url = format!("http://{addr}");
    // A long interval: the daemon spends its time sleeping, where the signal must reach it.
    let mut child = agent(
        dir.path(),
        &[
            "--url",
            &url,
            "--uuid",
            &dev["id"],
            "--key",
            &dev["key"],
            "--interval",
            "1h",
        ],
    );
    wait_for("the first sample delivered", || {
        std::fs::read_to_string(dir.path().join("status")).is_ok_and(|s| {
            s.contains("\"last_success_us\":") && !s.contains("\"last_success_us\":null")
        })
    });
    signal(&child, "TERM");
    let status = wait_timeout(&mut child, Duration::from_secs(10)).expect("stopped within 10 s");
    assert!(status.success(), "{status:?}: {}", log(dir.path()));
    assert!(
        log(dir.path()).contains("info: stopped"),
        "{}",
        log(dir.path())
    );
}

#[test]
fn sigterm_while_waiting_to_register_stops_too() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: registration fails and waits with backoff.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let mut child = agent(
        dir.path(),
        &[
            "--url",
            &url,
            "--shared-secret",
            "s",
            "--backoff-max",
            "10m",
        ],
    );
    wait_for("a failed registration", || {
        log(dir.path()).contains("registration failed")
    });
    signal(&child, "TERM");
    let status = wait_timeout(&mut child, Duration::from_secs(10)).expect("stopped within 10 s");
    assert!(status.success(), "{status:?}: {}", log(dir.path()));
    assert!(
        log(dir.path()).contains("stopped before registering"),
        "{}",
        log(dir.path())
    );
}
