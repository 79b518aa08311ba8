//! Recovery detection end to end: a real `edgemon-collector serve` with its check schedule
//! (one round an hour, so only recovery detection can run checks again): a device that is
//! unreachable (a network namespace with its link cut; root) and has never sent data
//! becomes critical after the first round; when it
//! sends a sample, its critical checks run at once and it leaves `critical`.

use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::request;
use edgemon_tests::netns::{Host, is_root};
use edgemon_tests::workspace_root;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn health(addr: SocketAddr, status: &str) -> u64 {
    let text = request(addr, "GET", "/metrics", &[], b"").text();
    let prefix = format!("edgemon_devices_by_health{{status=\"{status}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix)?.parse().ok())
        .unwrap_or(0)
}

fn wait_for(addr: SocketAddr, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while health(addr, status) != 1 {
        assert!(Instant::now() < deadline, "no device became {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_critical_device_that_speaks_is_checked_at_once() {
    assert!(
        is_root(),
        "the ping check needs a raw ICMP socket: run as root"
    );
    let mut c = Collector::new();
    c.cli(&[
        "org",
        "add",
        "Acme",
        "--slug",
        "acme",
        "--shared-secret",
        "reg-secret",
    ]);
    c.env("EDGEMON__CHECKS__INTERVAL", "1h")
        .env("EDGEMON__CHECKS__JITTER", "0s")
        .env("EDGEMON__CHECKS__PING__COUNT", "2")
        .env("EDGEMON__CHECKS__PING__TIMEOUT_MS", "200")
        .env("EDGEMON__ALERTS__AUTO_CLEAR_MANAGEMENT_IP", "false");
    let addr = c.start();
    // A host in a network namespace whose link is cut: it never answers.
    let far = Host::new(5);
    far.link(false);
    let form = format!(
        "backend=netjsonconfig.OpenWrt&secret=reg-secret&name=far&mac_address=02:00:00:00:00:09&management_ip={}",
        far.ip
    );
    let r = request(
        addr,
        "POST",
        "/controller/device/register/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let dev = fields(&r.text());
    // The schedule's first round ran when serve started, before the device existed; the
    // next is an hour away. Restart so the first round includes it.
    assert!(c.stop().success());
    let addr = c.start();
    wait_for(addr, "critical");
    // The round's checks are on /metrics with the time they took: the unanswered pings
    // alone waited their 200 ms timeout. A check's time is added once its result is
    // evaluated, just after the device turned critical: wait for it.
    let metrics = || request(addr, "GET", "/metrics", &[], b"").text();
    let figure_in = |text: &str, name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics"))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut text = metrics();
    while figure_in(&text, "edgemon_check_duration_seconds_sum") < 0.2 && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
        text = metrics();
    }
    let figure = |name: &str| figure_in(&text, name);
    let runs = figure("edgemon_check_runs_total");
    assert!(runs >= 2.0, "{runs} checks ran");
    assert!((figure("edgemon_check_duration_seconds_count") - runs).abs() < 0.5);
    assert!(figure("edgemon_check_duration_seconds_sum") >= 0.2);

    let sample = std::fs::read(workspace_root().join("examples/payloads/router-ok.json")).unwrap();
    let path = format!(
        "/api/v1/monitoring/device/{}/?key={}",
        dev["uuid"], dev["key"]
    );
    let r = request(
        addr,
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        &sample,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // data_collected is checked again at once and is 1 now; ping still fails: problem.
    wait_for(addr, "problem");
    assert_eq!(health(addr, "critical"), 0);
    assert!(c.stop().success());
}
