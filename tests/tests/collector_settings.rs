//! What managers change at run time, over real HTTP against `edgemon-collector serve`:
//! a device's alert settings (set, listed, cleared, and followed by the next sample),
//! its checks (switched off, listed off, skipped by `run-checks`), maintenance windows
//! (made, listed, deleted; an open one mutes notifications), and every bad body answered
//! 400 naming the member. Viewers read but every change they try is 403; another
//! organization's manager gets 404s. Tenant isolation over all callers is
//! `collector_isolation.rs`.

use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::{Response as Reply, request};
use edgemon_tests::workspace_root;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct Api {
    collector: Collector,
    addr: SocketAddr,
    manager: String,
    viewer: String,
    /// A manager of the other organization.
    outsider: String,
    /// Two devices of acme.
    device: String,
    neighbour: String,
    /// A device of the other organization.
    stranger: String,
    /// Device id → key.
    keys: HashMap<String, String>,
}

/// Acme with two devices, a manager and a viewer; Other with a manager. `env`: options
/// for `serve`.
fn start(env: &[(&str, &str)]) -> Api {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    c.cli(&["org", "add", "Other", "--slug", "other"]);
    let mut keys = HashMap::new();
    let mut add = |org: &str, name: &str| {
        let made = fields(&c.cli(&["device", "add", "--org", org, "--name", name]));
        keys.insert(made["id"].clone(), made["key"].clone());
        made["id"].clone()
    };
    let (device, neighbour) = (add("acme", "ap-1"), add("acme", "ap-2"));
    let stranger = add("other", "ap-3");
    let token = |name: &str, role: &str, org: &str| {
        fields(&c.cli(&["token", "add", "--name", name, "--role", role, "--org", org]))["token"]
            .clone()
    };
    let manager = token("ops", "manager", "acme");
    let viewer = token("noc", "viewer", "acme");
    let outsider = token("them", "manager", "other");
    for (k, v) in env {
        c.env(k, v);
    }
    let addr = c.start();
    Api {
        collector: c,
        addr,
        manager,
        viewer,
        outsider,
        device,
        neighbour,
        stranger,
        keys,
    }
}

impl Api {
    fn send(&self, method: &str, path: &str, token: &str, body: &[u8]) -> Reply {
        let auth = format!("Bearer {token}");
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        request(self.addr, method, path, &headers, body)
    }

    fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        self.send(method, path, token, &bytes)
    }

    fn get(&self, path: &str, token: &str) -> Value {
        let r = self.call("GET", path, token, None);
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        r.json()
    }

    /// A sample of `device` with CPU usage at `percent`, stored at arrival.
    fn post_sample(&self, device: &str, percent: f64) {
        let path = workspace_root().join("examples/payloads/router-ok.json");
        let mut doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        doc["resources"]["load"][0] = json!(percent / 50.0); // 2 CPUs
        let url = format!(
            "/api/v1/monitoring/device/{device}/?key={}",
            self.keys[device]
        );
        let r = request(
            self.addr,
            "POST",
            &url,
            &[("Content-Type", "application/json")],
            &serde_json::to_vec(&doc).unwrap(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }

    /// The notifications the manager sees, once there are at least `n`.
    fn notifications(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let page = self.get("/api/v1/notifications/notification/", &self.manager);
            let results = page["results"].as_array().unwrap().clone();
            if results.len() >= n {
                return results;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {n} notifications: {page}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A 400 naming `member`: its message.
fn names(r: &Reply, member: &str) -> String {
    assert_eq!(r.status, 400, "expected 400 on {member}: {}", r.text());
    let body = r.json();
    body[member][0]
        .as_str()
        .unwrap_or_else(|| panic!("400 does not name {member}: {body}"))
        .to_owned()
}

fn cpu(list: &Value) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["metric"] == "cpu")
        .unwrap_or_else(|| panic!("no cpu item: {list}"))
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario: the life of one override
fn alert_settings_are_set_listed_cleared_and_bad_input_is_named() {
    let api = start(&[]);
    let list_url = format!("/api/v1/edgemon/device/{}/alert-settings/", api.device);
    let cpu_url = format!("/api/v1/edgemon/device/{}/alert-settings/cpu/", api.device);

    // The defaults, for any token of the organization.
    let list = api.get(&list_url, &api.viewer);
    let item = cpu(&list);
    assert_eq!(
        (
            &item["operator"],
            &item["threshold"],
            &item["tolerance"],
            &item["custom"]
        ),
        (&json!(">"), &json!(90.0), &json!(30), &Value::Null),
        "{item}"
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|i| i["metric"] != "traffic"),
        "only metrics that alert: {list}"
    );

    // Set: members absent take the default; the answer is the new item.
    let r = api.call(
        "PUT",
        &cpu_url,
        &api.manager,
        Some(&json!({"threshold": 50, "tolerance": 0, "recovery_threshold": 40})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let item = r.json();
    assert_eq!(item["threshold"], 50.0);
    assert_eq!(item["tolerance"], 0);
    assert_eq!(item["recovery_threshold"], 40.0);
    assert_eq!(item["operator"], ">", "the default operator");
    assert_eq!(item["default"]["threshold"], 90.0);
    assert_eq!(item["custom"]["threshold"], 50.0);
    assert_eq!(item["custom"]["operator"], Value::Null);
    assert_eq!(cpu(&api.get(&list_url, &api.viewer)), &item);
    // Only this device's.
    let neighbour = api.get(
        &format!("/api/v1/edgemon/device/{}/alert-settings/", api.neighbour),
        &api.manager,
    );
    assert_eq!(cpu(&neighbour)["threshold"], 90.0);

    // The next sample follows it: 60 % is a problem for this device, not for the other.
    api.post_sample(&api.device, 60.0);
    api.post_sample(&api.neighbour, 60.0);
    let notes = api.notifications(1);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["type"], "cpu_problem");
    assert_eq!(notes[0]["target_object_id"], api.device);

    // Bad input is answered 400 naming the member, and changes nothing.
    for (body, member) in [
        (json!({"tolerance": 10081}), "tolerance"),
        (json!({"tolerance": -1}), "tolerance"),
        (json!({"tolerance": 1.5}), "tolerance"),
        (json!({"threshold": "high"}), "threshold"),
        (json!({"operator": ">="}), "operator"),
        (json!({"is_active": "yes"}), "is_active"),
        (json!({"threshhold": 1}), "threshhold"),
        // Over the threshold while the operator is `>`: the wrong side.
        (
            json!({"threshold": 50, "recovery_threshold": 60}),
            "recovery_threshold",
        ),
        (json!([1]), "non_field_errors"),
    ] {
        let r = api.call("PUT", &cpu_url, &api.manager, Some(&body));
        let message = names(&r, member);
        assert!(!message.is_empty(), "{body}");
    }
    let r = api.send("PUT", &cpu_url, &api.manager, b"{threshold");
    assert_eq!(r.status, 400);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error"),
        "{}",
        r.text()
    );
    assert_eq!(cpu(&api.get(&list_url, &api.viewer)), &item, "unchanged");

    // A metric without alert settings, or none at all: 404 naming it.
    for metric in ["traffic", "no-such-metric"] {
        let url = format!(
            "/api/v1/edgemon/device/{}/alert-settings/{metric}/",
            api.device
        );
        let r = api.call("PUT", &url, &api.manager, Some(&json!({"threshold": 1})));
        assert_eq!(r.status, 404, "{metric}: {}", r.text());
        assert!(r.json()["detail"].as_str().unwrap().contains(metric));
    }

    // Another organization's manager: as if the device did not exist.
    for method in ["GET", "PUT", "DELETE"] {
        let url = if method == "GET" { &list_url } else { &cpu_url };
        let r = api.call(method, url, &api.outsider, Some(&json!({"threshold": 99})));
        assert_eq!(r.status, 404, "{method}: {}", r.text());
    }

    // Clear: back to the defaults.
    let r = api.call("DELETE", &cpu_url, &api.manager, None);
    assert_eq!(r.status, 204, "{}", r.text());
    let item = api.get(&list_url, &api.viewer);
    let item = cpu(&item);
    assert_eq!(
        (&item["threshold"], &item["custom"]),
        (&json!(90.0), &Value::Null)
    );
}

#[test]
fn alert_settings_outlive_a_restart() {
    let mut api = start(&[]);
    let cpu_url = format!("/api/v1/edgemon/device/{}/alert-settings/cpu/", api.device);
    let r = api.call(
        "PUT",
        &cpu_url,
        &api.manager,
        Some(&json!({"operator": "<", "threshold": 5, "is_active": false})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(api.collector.stop().success());
    api.addr = api.collector.start();
    let list = api.get(
        &format!("/api/v1/edgemon/device/{}/alert-settings/", api.device),
        &api.viewer,
    );
    let item = cpu(&list);
    assert_eq!(
        (&item["operator"], &item["threshold"], &item["is_active"]),
        (&json!("<"), &json!(5.0), &json!(false)),
        "{item}"
    );
}

#[test]
fn a_check_switched_off_is_listed_off_and_skipped() {
    // No ping (it needs an ICMP socket); data_collected and wifi_clients need none.
    let mut api = start(&[
        ("EDGEMON__CHECKS__PING__ENABLED", "false"),
        ("EDGEMON__CHECKS__WIFI_CLIENTS__ENABLED", "true"),
    ]);
    let checks = |device: &str| {
        api.get(
            &format!("/api/v1/edgemon/device/{device}/checks/"),
            &api.viewer,
        )
    };
    assert_eq!(
        checks(&api.device),
        json!([
            {"check": "data_collected", "metric": "data_collected", "is_active": true},
            {"check": "wifi_clients", "metric": "wifi_clients_max", "is_active": true},
        ])
    );
    let url = format!(
        "/api/v1/edgemon/device/{}/checks/data_collected/",
        api.device
    );
    let r = api.call(
        "PATCH",
        &url,
        &api.manager,
        Some(&json!({"is_active": false})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"check": "data_collected", "metric": "data_collected", "is_active": false})
    );
    let off = checks(&api.device);
    assert_eq!(off[0]["is_active"], false, "{off}");
    assert_eq!(off[1]["is_active"], true, "{off}");
    assert_eq!(checks(&api.neighbour)[0]["is_active"], true, "per device");

    // Bad bodies name `is_active`; a check this collector does not run is 404.
    for body in [
        json!({}),
        json!({"is_active": "no"}),
        json!({"is_active": null}),
    ] {
        names(
            &api.call("PATCH", &url, &api.manager, Some(&body)),
            "is_active",
        );
    }
    names(
        &api.call(
            "PATCH",
            &url,
            &api.manager,
            Some(&json!({"is_active": true, "interval": 5})),
        ),
        "interval",
    );
    for check in ["ping", "iperf3"] {
        let r = api.call(
            "PATCH",
            &format!("/api/v1/edgemon/device/{}/checks/{check}/", api.device),
            &api.manager,
            Some(&json!({"is_active": false})),
        );
        assert_eq!(r.status, 404, "{check}: {}", r.text());
        assert!(r.json()["detail"].as_str().unwrap().contains(check));
    }
    let r = api.call(
        "PATCH",
        &url,
        &api.outsider,
        Some(&json!({"is_active": true})),
    );
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(checks(&api.device)[0]["is_active"], false, "unchanged");

    // The switch is stored: `run-checks` (collector stopped) skips it for this device only.
    assert!(api.collector.stop().success());
    let out = api.collector.cli_with_env(&["run-checks"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |device: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{device} data_collected ")))
            .unwrap_or_else(|| panic!("no data_collected line for {device}: {text}"))
            .to_owned()
    };
    assert_eq!(
        line(&api.device),
        format!("{} data_collected skipped", api.device)
    );
    assert!(line(&api.neighbour).contains("data_collected="), "{text}");
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario: windows made, used, refused, deleted
fn maintenance_windows_are_created_listed_deleted_and_bad_input_is_named() {
    let api = start(&[("EDGEMON__ALERTS__METRICS__CPU__TOLERANCE", "0s")]);
    let url = "/api/v1/edgemon/maintenance/";
    let org = api.get("/api/v1/edgemon/whoami/", &api.manager)["organizations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A weekly window of the organization, by slug, with durations as text.
    let r = api.call(
        "POST",
        url,
        &api.manager,
        Some(
            &json!({"organization": "acme", "start": "2031-01-07T02:00:00Z",
                     "duration": "2h", "every": "7d", "note": "patch night"}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let weekly = r.json();
    assert_eq!(
        weekly,
        json!({"id": weekly["id"], "source": "api", "organization": org, "device": null,
               "start": "2031-01-07T02:00:00Z", "duration": 7200, "every": 604_800,
               "note": "patch night", "open": false})
    );
    // An open one-off window of one device, in seconds.
    let start = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_mins(1))
        .unwrap();
    let r = api.call(
        "POST",
        url,
        &api.manager,
        Some(&json!({"device": api.device, "start": start.to_string(), "duration": 3600})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let open = r.json();
    assert_eq!(
        (
            &open["device"],
            &open["every"],
            &open["note"],
            &open["open"]
        ),
        (&json!(api.device), &Value::Null, &json!(""), &json!(true))
    );

    let list = api.get(url, &api.viewer);
    assert_eq!(list["count"], 2, "{list}");
    assert_eq!(list["results"], json!([weekly, open]));
    assert_eq!(
        api.get(url, &api.outsider),
        json!({"count": 0, "results": []}),
        "another organization's windows are not listed"
    );

    // The open window mutes this device's problem, not its neighbour's.
    api.post_sample(&api.device, 95.0);
    api.post_sample(&api.neighbour, 95.0);
    let notes = api.notifications(2);
    let muted = |device: &str| {
        notes
            .iter()
            .find(|n| n["target_object_id"] == device)
            .unwrap_or_else(|| panic!("no notification of {device}: {notes:?}"))["muted"]
            .clone()
    };
    assert_eq!(
        (muted(&api.device), muted(&api.neighbour)),
        (json!(true), json!(false))
    );

    // Bad input: 400 naming the member; nothing made.
    let good = json!({"organization": "acme", "start": "2031-01-01T00:00:00Z", "duration": 60});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    for (body, member) in [
        (without("start"), "start"),
        (with("start", json!("tomorrow")), "start"),
        (with("start", json!("9999-12-31T23:59:59Z")), "start"),
        (without("duration"), "duration"),
        (with("duration", json!(0)), "duration"),
        (with("duration", json!(-5)), "duration"),
        (with("duration", json!("2 hours")), "duration"),
        (with("duration", json!("99999d")), "duration"),
        (with("every", json!(30)), "every"),
        (with("note", json!("x".repeat(201))), "note"),
        (without("organization"), "organization"),
        (with("organization", json!("other")), "organization"),
        (with("device", json!("not-a-uuid")), "device"),
        (with("device", json!(api.stranger)), "device"),
        (with("color", json!("red")), "color"),
    ] {
        names(&api.call("POST", url, &api.manager, Some(&body)), member);
    }
    let r = api.send("POST", url, &api.manager, b"not json");
    assert_eq!(r.status, 400);
    assert!(r.json()["detail"].is_string(), "{}", r.text());
    assert_eq!(api.get(url, &api.manager)["count"], 2, "nothing made");

    // Delete: another organization's manager and viewers cannot; a manager can, once.
    let one = format!("{url}{}/", weekly["id"]);
    assert_eq!(api.call("DELETE", &one, &api.outsider, None).status, 404);
    assert_eq!(api.call("DELETE", &one, &api.viewer, None).status, 403);
    assert_eq!(api.call("DELETE", &one, &api.manager, None).status, 204);
    assert_eq!(api.call("DELETE", &one, &api.manager, None).status, 404);
    for id in ["999", "abc"] {
        let r = api.call("DELETE", &format!("{url}{id}/"), &api.manager, None);
        assert_eq!(r.status, 404, "{id}");
    }
    assert_eq!(api.get(url, &api.manager)["results"], json!([open]));
}

#[test]
fn viewers_read_but_every_change_they_try_is_refused() {
    let api = start(&[]);
    let me = api.get("/api/v1/edgemon/whoami/", &api.viewer);
    assert_eq!(
        (&me["name"], &me["role"], &me["can_change"]),
        (&json!("noc"), &json!("viewer"), &json!(false))
    );
    assert_eq!(me["organizations"][0]["slug"], "acme");
    assert_eq!(
        api.get("/api/v1/edgemon/whoami/", &api.manager)["can_change"],
        true
    );

    let window = json!({"organization": "acme", "start": "2031-01-01T00:00:00Z", "duration": 60});
    let r = api.call(
        "POST",
        "/api/v1/edgemon/maintenance/",
        &api.viewer,
        Some(&window),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.json()["detail"],
        "You do not have permission to perform this action."
    );
    // Refused before the body is read: even a bad one is 403.
    let r = api.send("POST", "/api/v1/edgemon/maintenance/", &api.viewer, b"{");
    assert_eq!(r.status, 403);
    assert_eq!(
        api.get("/api/v1/edgemon/maintenance/", &api.viewer)["count"],
        0
    );

    let device = &api.device;
    for (method, path, body) in [
        (
            "PUT",
            format!("/api/v1/edgemon/device/{device}/alert-settings/cpu/"),
            json!({"threshold": 1}),
        ),
        (
            "DELETE",
            format!("/api/v1/edgemon/device/{device}/alert-settings/cpu/"),
            Value::Null,
        ),
        (
            "PATCH",
            format!("/api/v1/edgemon/device/{device}/checks/data_collected/"),
            json!({"is_active": false}),
        ),
    ] {
        let r = api.call(method, &path, &api.viewer, Some(&body));
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
    }
    let settings = api.get(
        &format!("/api/v1/edgemon/device/{device}/alert-settings/"),
        &api.viewer,
    );
    assert_eq!(cpu(&settings)["custom"], Value::Null);
    let checks = api.get(
        &format!("/api/v1/edgemon/device/{device}/checks/"),
        &api.viewer,
    );
    assert!(
        checks
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["is_active"] == true),
        "{checks}"
    );
}
