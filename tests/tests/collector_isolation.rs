//! Tenant isolation over real HTTP: two organizations, every kind of caller (superuser,
//! manager and viewer of A, manager of B, A's device key, no credentials, an unknown
//! token) against every operation of the collector's OpenAPI document (so every route of
//! the router), reads and writes, aimed at organization A's objects.
//!
//! Nothing of A may show in an answer to B, to no credentials or to a bad token, and B's
//! writes must leave A as it was: its device, notification and device count, and the
//! settings managers change (a1's alert settings and checks, A's maintenance windows).
//! The expected status of each (operation, caller) pair is one table; a test fails if
//! the document has an operation the table lacks.

use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::{Response as Reply, request};
use edgemon_tests::workspace_root;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Who calls, in the order the matrix runs them (B before A's own writes, so B's
/// attempts are checked against A's untouched state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Nobody,
    BadToken,
    KeyA,
    ManagerB,
    ViewerA,
    ManagerA,
    Superuser,
}

const JSON: &str = "application/json";

const CALLERS: [Caller; 7] = [
    Caller::Nobody,
    Caller::BadToken,
    Caller::KeyA,
    Caller::ManagerB,
    Caller::ViewerA,
    Caller::ManagerA,
    Caller::Superuser,
];

/// What an answer must be: its status, and whether it must show A's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expect(u16, bool);

/// Refused for want of credentials.
const NO: Expect = Expect(401, false);
/// Another organization's object: as if it did not exist.
const NF: Expect = Expect(404, false);
/// Not allowed (a viewer writing, a missing device key).
const FB: Expect = Expect(403, false);
/// Allowed, and A's object is in the answer.
const SEE: Expect = Expect(200, true);
/// Allowed (an answer about the caller's own organizations, or not about objects).
const OK: Expect = Expect(200, false);

/// Per operation: the answer for each caller, in [`CALLERS`] order.
const MATRIX: &[(&str, [Expect; 7])] = &[
    //                       nobody bad  keyA  mgrB  viewA mgrA super
    ("post_device_metrics", [FB, FB, OK, FB, FB, FB, FB]),
    ("get_device_charts", [NO, NO, SEE, NF, SEE, SEE, SEE]),
    ("list_devices", [NO, NO, NO, OK, SEE, SEE, SEE]),
    ("list_device_metrics", [NO, NO, NO, NF, OK, OK, OK]),
    ("list_nearby_devices", [NO, NO, SEE, NF, SEE, SEE, SEE]),
    ("geojson", [NO, NO, NO, OK, SEE, SEE, SEE]),
    ("list_location_devices", [NO, NO, NO, NF, SEE, SEE, SEE]),
    ("list_wifi_sessions", [NO, NO, NO, OK, SEE, SEE, SEE]),
    ("get_wifi_session", [NO, NO, NO, NF, SEE, SEE, SEE]),
    ("dashboard", [NO, NO, NO, OK, OK, OK, OK]),
    ("list_notifications", [NO, NO, NO, OK, SEE, SEE, SEE]),
    ("read_all_notifications", [NO, NO, NO, OK, OK, OK, OK]),
    ("read_notification", [NO, NO, NO, NF, SEE, SEE, SEE]),
    (
        "create_device",
        [
            NO,
            NO,
            NO,
            Expect(400, false),
            FB,
            Expect(201, true),
            Expect(201, true),
        ],
    ),
    ("get_device", [NO, NO, NO, NF, SEE, SEE, SEE]),
    ("change_device", [NO, NO, NO, NF, FB, SEE, SEE]),
    (
        "delete_device",
        [NO, NO, NO, NF, FB, Expect(204, false), Expect(204, false)],
    ),
    ("list_locations", [NO, NO, NO, OK, SEE, SEE, SEE]),
    ("get_location", [NO, NO, NO, NF, SEE, SEE, SEE]),
    ("list_alert_settings", [NO, NO, NO, NF, OK, OK, OK]),
    ("set_alert_setting", [NO, NO, NO, NF, FB, OK, OK]),
    (
        "clear_alert_setting",
        [NO, NO, NO, NF, FB, Expect(204, false), Expect(204, false)],
    ),
    ("list_checks", [NO, NO, NO, NF, OK, OK, OK]),
    ("switch_check", [NO, NO, NO, NF, FB, OK, OK]),
    ("list_maintenance_windows", [NO, NO, NO, OK, SEE, SEE, SEE]),
    (
        "create_maintenance_window",
        [
            NO,
            NO,
            NO,
            Expect(400, false),
            FB,
            Expect(201, true),
            Expect(201, true),
        ],
    ),
    (
        "delete_maintenance_window",
        [NO, NO, NO, NF, FB, Expect(204, false), Expect(204, false)],
    ),
    ("whoami", [NO, NO, NO, OK, SEE, SEE, SEE]),
    ("native_ingest", [FB, FB, OK, FB, FB, FB, FB]),
    ("register", [FB, FB, FB, FB, FB, FB, FB]),
    ("register_legacy", [FB, FB, FB, FB, FB, FB, FB]),
    ("openapi", [OK, OK, OK, OK, OK, OK, OK]),
    ("docs", [OK, OK, OK, OK, OK, OK, OK]),
    ("healthz", [OK, OK, OK, OK, OK, OK, OK]),
    ("metrics", [OK, OK, OK, OK, OK, OK, OK]),
];

/// The project's sample payload, CPU at `percent`, with one WiFi client.
fn sample(percent: f64) -> Vec<u8> {
    let path = workspace_root().join("examples/payloads/router-ok.json");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["resources"]["load"][0] = json!(percent / 50.0);
    doc["interfaces"].as_array_mut().unwrap().push(json!({
        "name": "wlan0", "type": "wireless", "up": true,
        "statistics": {"rx_bytes": 1, "tx_bytes": 1},
        "wireless": {"mode": "access_point", "ssid": "edge", "channel": 36, "frequency": 5180,
                     "htmode": "VHT80", "noise": -95, "tx_power": 20, "signal": -50, "country": "IT",
                     "clients": [{"mac": "44:d1:fa:00:00:01", "auth": true, "assoc": true,
                                  "authorized": true, "ht": true, "vht": true, "wmm": true, "mfp": false}]}
    }));
    serde_json::to_vec(&doc).unwrap()
}

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

/// Organization A's objects, and the strings that must never reach B.
struct World {
    addr: SocketAddr,
    superuser: String,
    manager_a: String,
    viewer_a: String,
    manager_b: String,
    org_a: String,
    a1: String,
    key_a1: String,
    location_a: String,
    session_a: String,
    notification_a: u64,
    /// Everything that identifies A's objects.
    markers: Vec<String>,
}

impl World {
    fn call(&self, method: &str, path: &str, auth: Option<&str>, body: &[u8], ct: &str) -> Reply {
        let auth = auth.map(bearer);
        let mut headers = vec![("Content-Type", ct)];
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        request(self.addr, method, path, &headers, body)
    }

    fn json_call(&self, method: &str, path: &str, auth: Option<&str>, body: &Value) -> Reply {
        self.call(method, path, auth, body.to_string().as_bytes(), JSON)
    }

    fn superuser_get(&self, path: &str) -> Value {
        let r = self.call("GET", path, Some(&self.superuser), b"", "application/json");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.json()
    }

    /// What B must not be able to change: a1 as the superuser sees it, A's device count,
    /// the notification's unread flag, a1's alert settings and checks, and the
    /// maintenance windows.
    fn state_of_a(&self) -> Value {
        let full = self.superuser_get(&format!("/api/v1/controller/device/{}/", self.a1));
        // Only what a client can change: health and addresses move with samples.
        let a1: Value = [
            "name",
            "model",
            "os",
            "is_active",
            "location",
            "organization",
        ]
        .iter()
        .map(|k| ((*k).to_owned(), full[*k].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into();
        let devices = self.superuser_get(&format!(
            "/api/v1/monitoring/device/?organization={}",
            self.org_a
        ))["count"]
            .clone();
        let notes = self.superuser_get("/api/v1/notifications/notification/?unread=true");
        let unread = notes["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == self.notification_a);
        let settings = self.superuser_get(&format!(
            "/api/v1/edgemon/device/{}/alert-settings/",
            self.a1
        ));
        let checks = self.superuser_get(&format!("/api/v1/edgemon/device/{}/checks/", self.a1));
        let windows = self.superuser_get("/api/v1/edgemon/maintenance/");
        json!({"a1": a1, "devices": devices, "unread": unread, "alert_settings": settings,
               "checks": checks, "windows": windows})
    }

    /// A one-hour maintenance window of a1, a month ahead (so it mutes nothing here).
    fn window_body(&self, note: &str) -> Value {
        let start = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_hours(30 * 24))
            .unwrap();
        json!({"device": self.a1, "start": start.to_string(), "duration": 3600, "note": note})
    }

    /// The ids of the maintenance windows made through the API, as the superuser sees them.
    fn window_ids(&self) -> Vec<u64> {
        self.superuser_get("/api/v1/edgemon/maintenance/")["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|w| w["id"].as_u64())
            .collect()
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn setup(c: &mut Collector) -> World {
    c.cli(&["org", "add", "AcmeAlpha", "--slug", "acme"]);
    c.cli(&["org", "add", "Other", "--slug", "other"]);
    let add = |org: &str, name: &str, lat: &str, address: &str| {
        fields(&c.cli(&[
            "device",
            "add",
            "--org",
            org,
            "--name",
            name,
            "--lat",
            lat,
            "--lng",
            "9.19",
            "--address",
            address,
        ]))
    };
    let a1 = add("acme", "alpha-ap-one", "45.46", "alpha-street");
    let a2 = add("acme", "alpha-ap-two", "45.47", "alpha-square");
    add("other", "bravo-ap", "45.48", "bravo-road");
    let token = |name: &str, role: &str, org: Option<&str>| {
        let mut args = vec!["token", "add", "--name", name, "--role", role];
        if let Some(o) = org {
            args.extend(["--org", o]);
        }
        fields(&c.cli(&args))["token"].clone()
    };
    let superuser = token("root", "superuser", None);
    let manager_a = token("ops-a", "manager", Some("acme"));
    let viewer_a = token("noc-a", "viewer", Some("acme"));
    let manager_b = token("ops-b", "manager", Some("other"));
    c.env("EDGEMON__ALERTS__TOLERANCE_INTERVAL", "1s")
        .env("EDGEMON__ALERTS__METRICS__CPU__TOLERANCE", "3s");
    let addr = c.start();
    let t = time::OffsetDateTime::now_utc();
    for (offset_s, percent) in [(-6, 10.0), (-3, 95.0), (0, 96.0)] {
        let url = format!(
            "/api/v1/monitoring/device/{}/?key={}&time={}",
            a1["id"],
            a1["key"],
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
    let mut w = World {
        addr,
        superuser,
        manager_a,
        viewer_a,
        manager_b,
        org_a: String::new(),
        a1: a1["id"].clone(),
        key_a1: a1["key"].clone(),
        location_a: String::new(),
        session_a: String::new(),
        notification_a: 0,
        markers: Vec::new(),
    };
    w.superuser_get(&format!("/api/v1/controller/device/{}/", w.a1))["organization"]
        .as_str()
        .unwrap()
        .clone_into(&mut w.org_a);
    w.notification_a = wait_for("A's notification", || {
        w.superuser_get("/api/v1/notifications/notification/")["results"][0]["id"].as_u64()
    });
    w.session_a = wait_for("A's WiFi session", || {
        w.superuser_get("/api/v1/monitoring/wifi-session/")["results"][0]["id"]
            .as_str()
            .map(str::to_owned)
    });
    w.superuser_get(&format!("/api/v1/controller/device/{}/", w.a1))["location_id"]
        .as_str()
        .unwrap()
        .clone_into(&mut w.location_a);
    // A maintenance window of a1: it must not show in B's list.
    let made = w.json_call(
        "POST",
        "/api/v1/edgemon/maintenance/",
        Some(&w.superuser),
        &w.window_body("alpha-window"),
    );
    assert_eq!(made.status, 201, "{}", made.text());
    w.markers = vec![
        w.org_a.clone(),
        w.a1.clone(),
        a2["id"].clone(),
        w.key_a1.clone(),
        "alpha-".into(),
        "AcmeAlpha".into(),
        w.location_a.clone(),
        w.session_a.clone(),
    ];
    w
}

/// The request an operation gets from a caller, aimed at A's objects.
#[allow(clippy::too_many_lines)] // one arm per operation: a table
fn send(w: &World, op: &str, who: Caller) -> Reply {
    let token = match who {
        Caller::Nobody => None,
        Caller::BadToken => Some("em_not-a-token"),
        Caller::KeyA => Some(w.key_a1.as_str()),
        Caller::ManagerB => Some(w.manager_b.as_str()),
        Caller::ViewerA => Some(w.viewer_a.as_str()),
        Caller::ManagerA => Some(w.manager_a.as_str()),
        Caller::Superuser => Some(w.superuser.as_str()),
    };
    // A's device key goes where devices send it; as a bearer token elsewhere.
    let key_query = if who == Caller::KeyA {
        format!("key={}&", w.key_a1)
    } else {
        String::new()
    };
    let bearer = if who == Caller::KeyA { None } else { token };
    let bearer_or_key =
        if who == Caller::KeyA && !matches!(op, "get_device_charts" | "list_nearby_devices") {
            token
        } else {
            bearer
        };
    let json_ct = "application/json";
    let get = |path: &str| w.call("GET", path, bearer_or_key, b"", json_ct);
    let a1 = &w.a1;
    match op {
        "post_device_metrics" => w.call(
            "POST",
            &format!("/api/v1/monitoring/device/{a1}/?{key_query}"),
            bearer,
            &sample(20.0),
            json_ct,
        ),
        "get_device_charts" => get(&format!(
            "/api/v1/monitoring/device/{a1}/?{key_query}time=1d"
        )),
        "list_devices" => get("/api/v1/monitoring/device/"),
        "list_device_metrics" => get(&format!("/api/v1/monitoring/device/{a1}/metric/")),
        "list_nearby_devices" => get(&format!(
            "/api/v1/monitoring/device/{a1}/nearby-devices/?{key_query}"
        )),
        "geojson" => get("/api/v1/monitoring/geojson/"),
        "list_location_devices" => get(&format!(
            "/api/v1/monitoring/location/{}/device/",
            w.location_a
        )),
        "list_wifi_sessions" => get("/api/v1/monitoring/wifi-session/"),
        "get_wifi_session" => get(&format!("/api/v1/monitoring/wifi-session/{}/", w.session_a)),
        "dashboard" => get("/api/v1/monitoring/dashboard/?time=1d"),
        "list_notifications" => get("/api/v1/notifications/notification/"),
        "read_all_notifications" => w.call(
            "POST",
            "/api/v1/notifications/notification/read/",
            bearer_or_key,
            b"",
            json_ct,
        ),
        "read_notification" => w.call(
            "PATCH",
            &format!("/api/v1/notifications/notification/{}/", w.notification_a),
            bearer_or_key,
            b"",
            json_ct,
        ),
        "create_device" => {
            let body = json!({"organization": w.org_a, "name": format!("alpha-made-by-{who:?}")});
            w.call(
                "POST",
                "/api/v1/controller/device/",
                bearer_or_key,
                body.to_string().as_bytes(),
                json_ct,
            )
        }
        "get_device" => get(&format!("/api/v1/controller/device/{a1}/")),
        "change_device" => {
            let body = json!({"model": format!("model-by-{who:?}")});
            w.call(
                "PATCH",
                &format!("/api/v1/controller/device/{a1}/"),
                bearer_or_key,
                body.to_string().as_bytes(),
                json_ct,
            )
        }
        "delete_device" => delete_fresh(w, bearer_or_key, who),
        "list_locations" => get("/api/v1/controller/location/"),
        "get_location" => get(&format!("/api/v1/controller/location/{}/", w.location_a)),
        "native_ingest" => native(w, who, bearer),
        "list_alert_settings" => get(&format!("/api/v1/edgemon/device/{a1}/alert-settings/")),
        "set_alert_setting" | "clear_alert_setting" => {
            let url = format!("/api/v1/edgemon/device/{a1}/alert-settings/cpu/");
            if op == "set_alert_setting" {
                w.json_call("PUT", &url, bearer_or_key, &json!({"threshold": 80}))
            } else {
                w.call("DELETE", &url, bearer_or_key, b"", json_ct)
            }
        }
        "list_checks" => get(&format!("/api/v1/edgemon/device/{a1}/checks/")),
        "switch_check" => w.json_call(
            "PATCH",
            &format!("/api/v1/edgemon/device/{a1}/checks/data_collected/"),
            bearer_or_key,
            &json!({"is_active": false}),
        ),
        "list_maintenance_windows" => get("/api/v1/edgemon/maintenance/"),
        "create_maintenance_window" => w.json_call(
            "POST",
            "/api/v1/edgemon/maintenance/",
            bearer_or_key,
            &w.window_body(&format!("alpha-made-by-{who:?}")),
        ),
        "delete_maintenance_window" => delete_fresh_window(w, bearer_or_key, who),
        "whoami" => get("/api/v1/edgemon/whoami/"),
        "register" | "register_legacy" => {
            let path = if op == "register" {
                "/controller/device/register/"
            } else {
                "/controller/register/"
            };
            let form = "secret=guess&name=alpha-ap-one&mac_address=02:00:00:00:00:09&backend=netjsonconfig";
            w.call(
                "POST",
                path,
                bearer_or_key,
                form.as_bytes(),
                "application/x-www-form-urlencoded",
            )
        }
        "openapi" => get("/api/v1/openapi.json"),
        "docs" => get("/api/v1/docs/"),
        "healthz" => get("/healthz"),
        "metrics" => get("/metrics"),
        other => panic!("no request for operation {other}: add it to the matrix"),
    }
}

/// A fresh device of A for every attempt; it must survive a refused one.
fn delete_fresh(w: &World, auth: Option<&str>, who: Caller) -> Reply {
    // A fresh device of A for every attempt; it must survive a refused one.
    let body = json!({"organization": w.org_a, "name": "alpha-doomed"});
    let made = w.call(
        "POST",
        "/api/v1/controller/device/",
        Some(&w.superuser),
        body.to_string().as_bytes(),
        JSON,
    );
    assert_eq!(made.status, 201, "{}", made.text());
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/controller/device/{id}/");
    let r = w.call("DELETE", &url, auth, b"", JSON);
    let after = w.call("GET", &url, Some(&w.superuser), b"", JSON).status;
    assert_eq!(
        after,
        if r.status == 204 { 404 } else { 200 },
        "{who:?} delete"
    );
    if after == 200 {
        // Refused: clean up, so A's device count tells whether B created anything.
        let gone = w.call("DELETE", &url, Some(&w.superuser), b"", JSON);
        assert_eq!(gone.status, 204);
    }
    r
}

/// A fresh maintenance window of A for every attempt; it must survive a refused one.
fn delete_fresh_window(w: &World, auth: Option<&str>, who: Caller) -> Reply {
    let made = w.json_call(
        "POST",
        "/api/v1/edgemon/maintenance/",
        Some(&w.superuser),
        &w.window_body("alpha-doomed"),
    );
    assert_eq!(made.status, 201, "{}", made.text());
    let id = made.json()["id"].as_u64().unwrap();
    let url = format!("/api/v1/edgemon/maintenance/{id}/");
    let r = w.call("DELETE", &url, auth, b"", JSON);
    let kept = w.window_ids().contains(&id);
    assert_eq!(kept, r.status != 204, "{who:?} delete window: {}", r.status);
    if kept {
        let gone = w.call("DELETE", &url, Some(&w.superuser), b"", JSON);
        assert_eq!(gone.status, 204);
    }
    r
}

/// A native batch for a1, with A's key in its header when the caller is `KeyA`.
fn native(w: &World, who: Caller, auth: Option<&str>) -> Reply {
    let now_us = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap();
    let doc: Value = serde_json::from_slice(&sample(20.0)).unwrap();
    let seq = 1 + CALLERS.iter().position(|c| *c == who).unwrap();
    let body = json!({"version": 1, "device": w.a1, "samples": [{"seq": seq, "collected_at_us": now_us, "document": doc}]});
    let mut headers = vec![("Content-Type", JSON)];
    let header = auth.map(bearer);
    if let Some(a) = &header {
        headers.push(("Authorization", a.as_str()));
    }
    if who == Caller::KeyA {
        headers.push(("X-Edgemon-Key", w.key_a1.as_str()));
    }
    request(
        w.addr,
        "POST",
        "/api/v1/edgemon/ingest/",
        &headers,
        body.to_string().as_bytes(),
    )
}

#[test]
fn no_caller_sees_or_changes_what_its_organizations_do_not_own() {
    let mut c = Collector::new();
    let w = setup(&mut c);

    // The matrix covers exactly the document's operations (= the router's routes).
    let doc = w.superuser_get("/api/v1/openapi.json");
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap().to_owned())
        .collect();
    let table: BTreeSet<String> = MATRIX.iter().map(|(op, _)| (*op).to_owned()).collect();
    assert_eq!(documented, table, "the matrix and the document differ");

    let mut failures = Vec::new();
    let mut before_b = None;
    for (i, who) in CALLERS.iter().enumerate() {
        if *who == Caller::ViewerA {
            // B has had every try: A must be as it was.
            assert_eq!(Some(w.state_of_a()), before_b, "B changed something of A");
        }
        if *who == Caller::ManagerB {
            before_b = Some(w.state_of_a());
        }
        for (op, row) in MATRIX {
            let Expect(status, sees_a) = row[i];
            let r = send(&w, op, *who);
            let text = r.text();
            if r.status != status {
                failures.push(format!(
                    "{op} as {who:?}: {} (expected {status}): {}",
                    r.status,
                    &text[..text.len().min(200)]
                ));
                continue;
            }
            if sees_a
                && !text.contains(&w.a1)
                && !w.markers.iter().skip(1).any(|m| text.contains(m.as_str()))
            {
                failures.push(format!(
                    "{op} as {who:?}: A's object missing from the answer"
                ));
            }
            let outsider = matches!(who, Caller::Nobody | Caller::BadToken | Caller::ManagerB);
            if outsider {
                for m in &w.markers {
                    if text.contains(m.as_str()) {
                        failures.push(format!("{op} as {who:?}: leaks {m:?}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
