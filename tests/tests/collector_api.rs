//! The API's own description and the management endpoints, against a real
//! `edgemon-collector serve`: the OpenAPI document lists exactly what the router serves,
//! the docs page is self-contained, managers create, change and delete devices (with their
//! series), locations are listed, nearby devices come nearest first, and WiFi sessions
//! filter by time.

use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::{Response as Reply, request};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

struct Api {
    collector: Collector,
    addr: SocketAddr,
    manager: String,
    viewer: String,
    outsider: String,
}

fn start() -> Api {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    c.cli(&["org", "add", "Other", "--slug", "other"]);
    let token = |name: &str, role: &str, org: &str| {
        fields(&c.cli(&["token", "add", "--name", name, "--role", role, "--org", org]))["token"]
            .clone()
    };
    let manager = token("ops", "manager", "acme");
    let viewer = token("noc", "viewer", "acme");
    let outsider = token("them", "manager", "other");
    let addr = c.start();
    Api {
        collector: c,
        addr,
        manager,
        viewer,
        outsider,
    }
}

impl Api {
    fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {token}");
        let mut headers = vec![("Authorization", auth.as_str())];
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        request(self.addr, method, path, &headers, &bytes)
    }
}

fn openapi(addr: SocketAddr) -> Value {
    let r = request(addr, "GET", "/api/v1/openapi.json", &[], b"");
    assert_eq!(r.status, 200);
    r.json()
}

/// A concrete path for a template: UUIDs for `{pk}`/`{id}`, `1` for integer ids.
fn concrete(path: &str, op: &Value) -> String {
    let mut out = path.to_owned();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] == "path" {
            let name = p["name"].as_str().unwrap();
            let value = if p["schema"]["type"] == "integer" {
                "1".to_owned()
            } else {
                "0b5e3c1a-7d2f-4f7e-9a41-2f0c6f1d9e11".to_owned()
            };
            out = out.replace(&format!("{{{name}}}"), &value);
        }
    }
    out
}

#[test]
fn the_document_lists_exactly_what_the_router_serves() {
    let api = start();
    let doc = openapi(api.addr);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{}", paths.len());
    for (path, item) in paths {
        let ops = item.as_object().unwrap();
        let (_, any) = ops.iter().next().unwrap();
        let url = concrete(path, any);
        for method in METHODS {
            let r = request(api.addr, method, &url, &[], b"");
            let routed = r.header("x-edgemon-unrouted").is_none();
            assert!(routed, "{method} {url}: the router does not know this path");
            if ops.contains_key(&method.to_ascii_lowercase()) {
                // Documented: a handler answered (any status but 405).
                assert_ne!(r.status, 405, "{method} {url} is documented but not served");
            } else {
                // Undocumented method on a documented path: the router has no handler.
                assert_eq!(r.status, 405, "{method} {url} is served but not documented");
            }
        }
    }
    // And a path outside the document is not served at all.
    let r = request(
        api.addr,
        "GET",
        "/api/v1/monitoring/nothing-here/",
        &[],
        b"",
    );
    assert_eq!((r.status, r.header("x-edgemon-unrouted")), (404, Some("1")));
}

#[test]
fn the_docs_page_describes_every_operation_without_loading_anything() {
    let api = start();
    let doc = openapi(api.addr);
    let r = request(api.addr, "GET", "/api/v1/docs/", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let page = r.text();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            assert!(page.contains(&format!("id=\"{id}\"")), "{id} missing");
        }
    }
    for remote in ["<script", "src=", "<link", "https://", "http://"] {
        assert!(!page.contains(remote), "the page loads {remote}");
    }
}

fn create(api: &Api, token: &str, body: &Value) -> Reply {
    api.call("POST", "/api/v1/controller/device/", token, Some(body))
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario: the life of one device
fn managers_create_change_and_delete_devices() {
    let mut api = start();
    let body = json!({"organization": "acme", "name": "ap-new", "mac_address": "02:00:00:00:00:01",
                      "location": {"lat": 45.0, "lng": 9.0, "address": "Roof"}});
    assert_eq!(create(&api, &api.viewer, &body).status, 403);
    let r = create(&api, &api.outsider, &body);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["organization"].is_array());
    let r = create(&api, &api.manager, &body);
    assert_eq!(r.status, 201, "{}", r.text());
    let made = r.json();
    let (id, key) = (made["id"].as_str().unwrap(), made["key"].as_str().unwrap());
    assert_eq!(made["mac_address"], "02:00:00:00:00:01");
    assert_eq!(made["location"]["address"], "Roof");
    // The key works for the device's own endpoints, and is never shown again.
    let own = request(
        api.addr,
        "GET",
        &format!("/api/v1/monitoring/device/{id}/?key={key}"),
        &[],
        b"",
    );
    assert_eq!(own.status, 200, "{}", own.text());
    let shown = api.call(
        "GET",
        &format!("/api/v1/controller/device/{id}/"),
        &api.viewer,
        None,
    );
    assert_eq!(shown.status, 200);
    assert!(!shown.text().contains(key));

    // Validation names the field.
    let r = create(
        &api,
        &api.manager,
        &json!({"organization": "acme", "name": "", "location": {"lat": 99, "lng": 0}}),
    );
    assert_eq!(r.status, 400);
    let e = r.json();
    assert!(e["name"].is_array() && e["location.lat"].is_array(), "{e}");
    let r = create(
        &api,
        &api.manager,
        &json!({"organization": "acme", "name": "dup", "mac_address": "02-00-00-00-00-01"}),
    );
    assert_eq!((r.status, r.json()["mac_address"].is_array()), (400, true));
    let r = api.call("POST", "/api/v1/controller/device/", &api.manager, None);
    assert_eq!(r.status, 400);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error")
    );

    // Change: name, active state, location; viewers and outsiders cannot.
    let url = format!("/api/v1/controller/device/{id}/");
    let change = json!({"name": "ap-renamed", "is_active": false, "location": {"lat": 45.5, "lng": 9.5, "address": "Mast"}});
    assert_eq!(
        api.call("PATCH", &url, &api.viewer, Some(&change)).status,
        403
    );
    assert_eq!(
        api.call("PATCH", &url, &api.outsider, Some(&change)).status,
        404
    );
    let r = api.call("PATCH", &url, &api.manager, Some(&change));
    assert_eq!(r.status, 200, "{}", r.text());
    let changed = r.json();
    assert_eq!(changed["name"], "ap-renamed");
    assert_eq!(changed["is_active"], false);
    assert_eq!(changed["monitoring"]["status"], "deactivated");
    assert_eq!(changed["location"]["lat"], 45.5);
    let r = api.call(
        "PATCH",
        &url,
        &api.manager,
        Some(&json!({"is_active": "yes"})),
    );
    assert_eq!((r.status, r.json()["is_active"].is_array()), (400, true));
    // Deactivated: samples are refused (404), as the reference.
    let post = |key: &str| {
        request(
            api.addr,
            "POST",
            &format!("/api/v1/monitoring/device/{id}/?key={key}"),
            &[("Content-Type", "application/json")],
            &std::fs::read(
                edgemon_tests::workspace_root().join("examples/payloads/router-ok.json"),
            )
            .unwrap(),
        )
    };
    assert_eq!(post(key).status, 404);
    let r = api.call(
        "PATCH",
        &url,
        &api.manager,
        Some(&json!({"is_active": true, "location": null})),
    );
    assert_eq!(
        (
            r.json()["location"].clone(),
            r.json()["location_id"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_eq!(post(key).status, 200);

    // Delete: the device, then its series (charts of the same id are gone too).
    let charts = |token: &str| {
        api.call(
            "GET",
            &format!("/api/v1/monitoring/device/{id}/?time=1d"),
            token,
            None,
        )
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while charts(&api.manager).json()["charts"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        assert!(
            Instant::now() < deadline,
            "the sample never showed in charts"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(api.call("DELETE", &url, &api.viewer, None).status, 403);
    assert_eq!(api.call("DELETE", &url, &api.outsider, None).status, 404);
    assert_eq!(api.call("DELETE", &url, &api.manager, None).status, 204);
    assert_eq!(api.call("DELETE", &url, &api.manager, None).status, 404);
    assert_eq!(charts(&api.manager).status, 404);
    assert_eq!(post(key).status, 404);
    let list = api
        .call("GET", "/api/v1/monitoring/device/", &api.manager, None)
        .json();
    assert_eq!(list["count"], 0);
    // Its series went with it: the same id registered again (as an import would) starts
    // with no history.
    let id = id.to_owned();
    api.collector.stop();
    api.collector.cli(&[
        "device", "add", "--org", "acme", "--name", "again", "--id", &id,
    ]);
    api.addr = api.collector.start();
    let again = api.call(
        "GET",
        &format!("/api/v1/monitoring/device/{id}/?time=1d"),
        &api.manager,
        None,
    );
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["charts"], json!([]));
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario: four located devices seen from each side
fn locations_and_nearby_devices() {
    let api = start();
    let mut ids = Vec::new();
    for (name, lat, lng, org) in [
        ("duomo", 45.4642, 9.1900, "acme"),
        ("brera", 45.4720, 9.1880, "acme"),
        ("colosseo", 41.8902, 12.4922, "acme"),
        ("elsewhere", 45.4643, 9.1901, "other"),
    ] {
        let body = json!({"organization": org, "name": name, "location": {"lat": lat, "lng": lng, "address": name}});
        let token = if org == "acme" {
            &api.manager
        } else {
            &api.outsider
        };
        let r = create(&api, token, &body);
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push((
            r.json()["id"].as_str().unwrap().to_owned(),
            r.json()["key"].as_str().unwrap().to_owned(),
        ));
    }
    // Locations: the three of acme, none of other's.
    let list = api
        .call("GET", "/api/v1/controller/location/", &api.viewer, None)
        .json();
    assert_eq!(list["count"], 3, "{list}");
    let names: Vec<&str> = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"elsewhere"));
    // Every location is outdoor and fixed: the reference's `type` and `is_mobile` filters.
    for (query, count) in [
        ("type=outdoor", 3),
        ("type=indoor", 0),
        ("is_mobile=false", 3),
        ("is_mobile=true", 0),
    ] {
        let page = api.call(
            "GET",
            &format!("/api/v1/controller/location/?{query}"),
            &api.viewer,
            None,
        );
        assert_eq!(page.json()["count"], count, "{query}");
        let geo = api.call(
            "GET",
            &format!("/api/v1/monitoring/geojson/?{query}"),
            &api.viewer,
            None,
        );
        assert_eq!(geo.json()["count"], count, "{query}");
    }
    let r = api.call(
        "GET",
        "/api/v1/monitoring/geojson/?type=attic",
        &api.viewer,
        None,
    );
    assert_eq!((r.status, r.json()["type"].is_array()), (400, true));
    let first = &list["results"][0];
    let one = api.call(
        "GET",
        &format!(
            "/api/v1/controller/location/{}/",
            first["id"].as_str().unwrap()
        ),
        &api.viewer,
        None,
    );
    assert_eq!(one.json(), *first);
    let theirs = api.call(
        "GET",
        &format!(
            "/api/v1/controller/location/{}/",
            first["id"].as_str().unwrap()
        ),
        &api.outsider,
        None,
    );
    assert_eq!(theirs.status, 404);

    // Nearby: brera (~880 m) before colosseo (~477 km); never the device itself or
    // another organization's, even the one 13 m away.
    let (duomo, duomo_key) = &ids[0];
    let url = format!("/api/v1/monitoring/device/{duomo}/nearby-devices/");
    let near = api.call("GET", &url, &api.viewer, None).json();
    let got: Vec<(&str, f64)> = near["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["distance"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        ["brera", "colosseo"]
    );
    assert!((800.0..1000.0).contains(&got[0].1), "{got:?}");
    assert!((470_000.0..485_000.0).contains(&got[1].1), "{got:?}");
    let capped = api
        .call(
            "GET",
            &format!("{url}?distance__lte=5000"),
            &api.viewer,
            None,
        )
        .json();
    assert_eq!(capped["count"], 1);
    let by_key = request(api.addr, "GET", &format!("{url}?key={duomo_key}"), &[], b"");
    assert_eq!(by_key.json()["count"], 2);
    assert_eq!(
        request(api.addr, "GET", &format!("{url}?key=wrong"), &[], b"").status,
        404
    );
    assert_eq!(api.call("GET", &url, &api.outsider, None).status, 404);
    let r = api.call(
        "GET",
        &format!("{url}?distance__lte=far"),
        &api.viewer,
        None,
    );
    assert_eq!(
        (r.status, r.json()["distance__lte"].is_array()),
        (400, true)
    );
}

#[test]
fn wifi_sessions_filter_by_start_and_stop_time() {
    let api = start();
    let r = create(
        &api,
        &api.manager,
        &json!({"organization": "acme", "name": "duomo"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let (duomo, duomo_key) = (
        r.json()["id"].as_str().unwrap().to_owned(),
        r.json()["key"].as_str().unwrap().to_owned(),
    );
    // WiFi sessions: one client of duomo opens a session now; time ranges around it.
    let r = request(
        api.addr,
        "POST",
        &format!("/api/v1/monitoring/device/{duomo}/?key={duomo_key}"),
        &[("Content-Type", "application/json")],
        &serde_json::to_vec(&with_client()).unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let sessions = |query: &str| {
        let r = api.call(
            "GET",
            &format!("/api/v1/monitoring/wifi-session/?{query}"),
            &api.viewer,
            None,
        );
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        r.json()["count"].as_u64().unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while sessions("") == 0 {
        assert!(Instant::now() < deadline, "no session stored");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(sessions("start_time__gte=2000-01-01"), 1);
    assert_eq!(sessions("start_time__lt=2000-01-01T00:00:00Z"), 0);
    assert_eq!(sessions("start_time__gt=2999-01-01%2000:00:00"), 0);
    // Open: no stop time, so any stop bound excludes it (Django's lookups on NULL).
    assert_eq!(sessions("stop_time__lte=2999-01-01"), 0);
    assert_eq!(sessions("stop_time__isnull=true"), 1);
    let r = api.call(
        "GET",
        "/api/v1/monitoring/wifi-session/?start_time__gte=soon",
        &api.viewer,
        None,
    );
    assert_eq!(
        (r.status, r.json()["start_time__gte"].is_array()),
        (400, true)
    );
    assert_eq!(
        api.call(
            "GET",
            "/api/v1/monitoring/wifi-session/",
            &api.outsider,
            None
        )
        .json()["count"],
        0
    );
    // Deleting the device deletes its sessions (the reference's cascade).
    let url = format!("/api/v1/controller/device/{duomo}/");
    assert_eq!(api.call("DELETE", &url, &api.manager, None).status, 204);
    assert_eq!(sessions(""), 0);
}

/// The project's sample payload with one access point and one associated client.
fn with_client() -> Value {
    let path = edgemon_tests::workspace_root().join("examples/payloads/router-ok.json");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["interfaces"].as_array_mut().unwrap().push(json!({
        "name": "wlan0", "type": "wireless", "up": true,
        "statistics": {"rx_bytes": 1, "tx_bytes": 1},
        "wireless": {"mode": "access_point", "ssid": "edge", "channel": 36, "frequency": 5180,
                     "htmode": "VHT80", "noise": -95, "tx_power": 20, "signal": -50, "country": "IT",
                     "clients": [{"mac": "44:d1:fa:00:00:01", "auth": true, "assoc": true,
                                  "authorized": true, "ht": true, "vht": true, "wmm": true, "mfp": false}]}
    }));
    doc
}
