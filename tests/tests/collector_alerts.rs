//! Alerts end to end: a real `edgemon-collector serve`, OpenWISP samples over HTTP that
//! cross the CPU threshold for longer than the tolerance, then recover; the notifications
//! are read back with the real CLI after the collector stopped.

use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::request;
use edgemon_tests::workspace_root;
use std::time::{Duration, Instant};

/// The project's sample payload with the 1-minute load set so that CPU usage is
/// `percent` (2 CPUs).
fn sample(percent: f64) -> Vec<u8> {
    let path = workspace_root().join("examples/payloads/router-ok.json");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("payload")).expect("JSON");
    doc["resources"]["load"][0] = serde_json::json!(percent / 50.0);
    serde_json::to_vec(&doc).expect("encode")
}

/// The OpenWISP `time` parameter for `at`.
fn time_param(at: time::OffsetDateTime) -> String {
    format!(
        "{:02}-{:02}-{:04}_{:02}:{:02}:{:02}.{:06}",
        at.day(),
        u8::from(at.month()),
        at.year(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
}

#[test]
fn a_threshold_crossed_for_longer_than_the_tolerance_stores_a_problem_then_a_recovery() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let dev = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "ap-7"]));
    // A 3 s tolerance (and a 1 s tolerance interval) so the test needs no waiting: the
    // samples carry their own times, as a device's backlog would.
    c.env("EDGEMON__ALERTS__TOLERANCE_INTERVAL", "1s")
        .env("EDGEMON__ALERTS__METRICS__CPU__TOLERANCE", "3s")
        .env("EDGEMON__ALERTS__SITE_NAME", "acme-noc");
    let addr = c.start();
    let t = time::OffsetDateTime::now_utc();
    let post = |offset_s: i64, percent: f64| {
        let at = t + time::Duration::seconds(offset_s);
        let url = format!(
            "/api/v1/monitoring/device/{}/?key={}&time={}&current=true",
            dev["id"],
            dev["key"],
            time_param(at)
        );
        let r = request(
            addr,
            "POST",
            &url,
            &[("Content-Type", "application/json")],
            &sample(percent),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    };
    post(-6, 10.0);
    post(-3, 95.0); // crossed, but not for 3 s yet
    post(0, 96.0); // crossed for 3 s: problem
    post(1, 20.0);
    post(4, 20.0); // healthy for 3 s: recovery

    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = request(addr, "GET", "/metrics", &[], b"").text();
        if metric(&text, "edgemon_notifications_stored_total") >= 2 || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        metric(&text, "edgemon_notifications_stored_total"),
        2,
        "{text}"
    );
    assert_eq!(metric(&text, "edgemon_alerts_problems_total"), 1, "{text}");
    assert_eq!(metric(&text, "edgemon_alerts_recoveries_total"), 1);
    // cpu, memory and disk of five samples.
    assert_eq!(metric(&text, "edgemon_alerts_evaluations_total"), 15);
    assert!(
        text.contains("edgemon_devices_by_health{status=\"ok\"} 1"),
        "{text}"
    );
    assert!(c.stop().success());

    let listed = c.cli(&["notifications", "list", "--org", "acme"]);
    let blocks: Vec<_> = listed.split("\n\n").map(fields).collect();
    assert_eq!(blocks.len(), 2, "{listed}");
    let (recovery, problem) = (&blocks[0], &blocks[1]);
    assert_eq!(problem["type"], "cpu_problem");
    assert_eq!(problem["level"], "warning");
    assert_eq!(problem["device"], dev["id"]);
    assert_eq!(problem["unread"], "true");
    assert_eq!(
        problem["subject"],
        "[acme-noc] PROBLEM: ap-7 is experiencing a peak in CPU usage"
    );
    assert_eq!(
        problem["message"],
        format!(
            "The device [ap-7](http://localhost:8000/devices/{}) is experiencing a peak in CPU \
             usage which has gone over 90.0%.",
            dev["id"]
        )
    );
    assert_eq!(recovery["type"], "cpu_recovery");
    assert_eq!(
        recovery["subject"],
        "[acme-noc] RECOVERY: ap-7 CPU usage has returned to normal levels"
    );

    assert_eq!(
        c.cli(&["notifications", "read", "--org", "acme"]).trim(),
        "marked read: 2"
    );
    assert_eq!(c.cli(&["notifications", "list", "--unread"]), "");
}

/// The same notifications over HTTP: listed for the organization's tokens only, newest
/// first, and marked read one by one or all at once.
#[test]
fn notifications_are_listed_and_marked_read_over_http() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    c.cli(&["org", "add", "Other", "--slug", "other"]);
    let dev = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "ap-7"]));
    let token = |org: &str| {
        fields(&c.cli(&[
            "token", "add", "--name", org, "--role", "viewer", "--org", org,
        ]))["token"]
            .clone()
    };
    let (mine, theirs) = (token("acme"), token("other"));
    c.env("EDGEMON__ALERTS__TOLERANCE_INTERVAL", "1s")
        .env("EDGEMON__ALERTS__METRICS__CPU__TOLERANCE", "3s");
    let addr = c.start();
    let t = time::OffsetDateTime::now_utc();
    for (offset_s, percent) in [(-6, 10.0), (-3, 95.0), (0, 96.0), (1, 20.0), (4, 20.0)] {
        let url = format!(
            "/api/v1/monitoring/device/{}/?key={}&time={}",
            dev["id"],
            dev["key"],
            time_param(t + time::Duration::seconds(offset_s))
        );
        let r = request(
            addr,
            "POST",
            &url,
            &[("Content-Type", "application/json")],
            &sample(percent),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let call = |method: &str, path: &str, token: &str| {
        request(
            addr,
            method,
            &format!("/api/v1/notifications/notification/{path}"),
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        )
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let body = call("GET", "", &mine).json();
        if body["count"] == 2 {
            break body;
        }
        assert!(Instant::now() < deadline, "{body}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let (recovery, problem) = (&body["results"][0], &body["results"][1]);
    assert_eq!(recovery["type"], "cpu_recovery");
    assert_eq!(problem["type"], "cpu_problem");
    assert_eq!(problem["target_object_id"], dev["id"].as_str());
    assert_eq!(problem["unread"], true);
    assert_eq!(call("GET", "", &theirs).json()["count"], 0);
    assert_eq!(call("GET", "?unread=true", &mine).json()["count"], 2);

    let id = problem["id"].as_u64().unwrap();
    assert_eq!(call("PATCH", &format!("{id}/"), &theirs).status, 404);
    let one = call("PATCH", &format!("{id}/"), &mine);
    assert_eq!(
        (one.status, one.json()["unread"].clone()),
        (200, serde_json::json!(false))
    );
    assert_eq!(call("GET", "?unread=true", &mine).json()["count"], 1);
    assert_eq!(call("POST", "read/", &mine).json()["marked"], 1);
    assert_eq!(call("GET", "?unread=true", &mine).json()["count"], 0);
    assert_eq!(
        request(addr, "GET", "/api/v1/notifications/notification/", &[], b"").status,
        401
    );
}
