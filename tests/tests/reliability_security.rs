//! Security: secrets never reach a log, a rotated device key is refused at once, and
//! bodies that are too large or too deeply nested are refused cheaply while the collector
//! keeps serving.

use edgemon_tests::agent::{Running, wait_for};
use edgemon_tests::bin;
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::{request, try_request};
use std::path::Path;
use std::process::{Command, Stdio};

const SECRET: &str = "registration-secret-7f3a";

fn doc() -> &'static [u8] {
    br#"{"type":"DeviceMonitoring","resources":{"load":[0.1,0.1,0.1],"cpus":1}}"#
}

fn post(addr: std::net::SocketAddr, id: &str, key: &str) -> u16 {
    request(
        addr,
        "POST",
        &format!("/api/v1/monitoring/device/{id}/?key={key}"),
        &[("Content-Type", "application/json")],
        doc(),
    )
    .status
}

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
fn secrets_never_reach_the_logs_and_a_rotated_key_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("collector.log");
    let mut c = Collector::new();
    c.log_to(&log).env("EDGEMON__LOG__LEVEL", "debug");
    c.cli(&[
        "org",
        "add",
        "Acme",
        "--slug",
        "acme",
        "--shared-secret",
        SECRET,
    ]);
    let token = fields(&c.cli(&[
        "token", "add", "--name", "ops", "--role", "manager", "--org", "acme",
    ]))["token"]
        .clone();
    let addr = c.start();

    // An agent registers itself with the secret, then ships natively with its key.
    let agent_log = dir.path().join("agent.log");
    let no_openwisp = dir.path().join("openwisp-empty");
    std::fs::write(&no_openwisp, "").unwrap();
    let agent = Running(
        Command::new(bin("edgemon-agent"))
            .args(["run", "--simulate", "2", "--mode", "native"])
            .args([
                "--url",
                &format!("http://{addr}"),
                "--shared-secret",
                SECRET,
            ])
            .args(["--interval", "300ms", "--boot-delay-max", "0"])
            .arg("--identity-file")
            .arg(dir.path().join("identity"))
            .arg("--queue-path")
            .arg(dir.path().join("queue.redb"))
            .arg("--status-file")
            .arg(dir.path().join("status"))
            .arg("--openwisp-config")
            .arg(no_openwisp)
            .stderr(Stdio::from(std::fs::File::create(&agent_log).unwrap()))
            .spawn()
            .unwrap(),
    );
    wait_for("the agent registered", || identity(dir.path()).is_some());
    let (id, key) = identity(dir.path()).unwrap();
    // OpenWISP mode puts the key in the query string; wrong keys and tokens are logged
    // as failures, never with the value.
    assert_eq!(post(addr, &id, &key), 200);
    assert_eq!(post(addr, &id, "wrong-key-0000"), 403);
    let bearer = format!("Bearer {token}");
    let r = request(
        addr,
        "GET",
        &format!("/api/v1/monitoring/device/{id}/"),
        &[("Authorization", &bearer)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = request(
        addr,
        "GET",
        "/api/v1/monitoring/device/",
        &[("Authorization", "Bearer not-a-token-1234")],
        b"",
    );
    assert_eq!(r.status, 401);
    wait_for("native samples stored", || {
        request(addr, "GET", "/metrics", &[], b"")
            .text()
            .lines()
            .any(|l| l.starts_with("edgemon_native_batches_total ") && !l.ends_with(" 0"))
    });
    agent.kill();
    assert!(c.stop().success());

    // Rotation: the old key is refused on the first request after it.
    let new_key = fields(&c.cli(&["device", "rotate-key", &id]))["key"].clone();
    let addr = c.start();
    assert_eq!(post(addr, &id, &key), 403, "the old key still works");
    assert_eq!(post(addr, &id, &new_key), 200);
    assert!(c.stop().success());

    let logs = [
        std::fs::read_to_string(&log).unwrap(),
        std::fs::read_to_string(&agent_log).unwrap(),
    ];
    assert!(
        logs[0].contains("DEBUG") || logs[0].contains("INFO"),
        "the collector logged"
    );
    for secret in [
        SECRET,
        &key,
        &new_key,
        &token,
        "wrong-key-0000",
        "not-a-token-1234",
    ] {
        for (name, text) in ["collector", "agent"].iter().zip(&logs) {
            assert!(
                !text.contains(secret),
                "the {name} log contains a secret: {secret}"
            );
        }
    }
}

#[test]
fn oversized_and_deeply_nested_bodies_are_refused_cheaply() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "r1"]));
    let (id, key) = (d["id"].clone(), d["key"].clone());
    let addr = c.start();
    let path = format!("/api/v1/monitoring/device/{id}/?key={key}");
    let json = [("Content-Type", "application/json")];

    // 32 MiB: refused by its length, before it is read.
    let huge = vec![b' '; 32 << 20];
    let r = try_request(addr, "POST", &path, &json, &huge);
    assert!(
        r.as_ref().map_or(true, |r| r.status == 413),
        "a 32 MiB body was not refused: {:?}",
        r.map(|r| r.status)
    );
    // 200 000 levels of nesting: a parse error (serde_json's recursion limit), no crash.
    for nested in [
        format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)),
        format!(
            r#"{{"type":"DeviceMonitoring","x":{}1{}}}"#,
            "{\"a\":".repeat(100_000),
            "}".repeat(100_000)
        ),
    ] {
        let r = request(addr, "POST", &path, &json, nested.as_bytes());
        assert_eq!(r.status, 400, "{}", r.text());
        let r = request(
            addr,
            "POST",
            "/api/v1/edgemon/ingest/",
            &[
                ("Content-Type", "application/json"),
                ("X-Edgemon-Key", &key),
            ],
            nested.as_bytes(),
        );
        assert_eq!(r.status, 400, "native: {}", r.text());
    }
    // Still serving.
    assert_eq!(post(addr, &id, &key), 200);
    assert!(c.stop().success());
}
