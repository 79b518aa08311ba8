//! The device chart API of a real `edgemon-collector serve` process: samples posted over
//! the OpenWISP path come back as the reference's charts, CSV and snapshot, and only to
//! callers allowed to read the device.

use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::{Response as Reply, request};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

const JSON: (&str, &str) = ("Content-Type", "application/json");
const MIN_US: i64 = 60_000_000;

fn now_us() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap()
}

/// The OpenWISP `time` parameter (`%d-%m-%Y_%H:%M:%S.%f`, UTC).
fn openwisp_time(us: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000).unwrap();
    format!(
        "{:02}-{:02}-{}_{:02}:{:02}:{:02}.{:06}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// A router's sample with cumulative counters and two WiFi clients.
fn sample(rx: u64, tx: u64, load: f64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "DeviceMonitoring",
        "general": {"hostname": "ap1", "local_time": 1_764_000_000, "uptime": 3600},
        "resources": {
            "load": [load, 0.2, 0.1], "cpus": 2,
            "memory": {"total": 100_000_000, "free": 40_000_000, "buffered": 10_000_000, "shared": 1000},
            "disk": [{"filesystem": "/dev/root", "mount_point": "/", "size_bytes": 1000,
                      "used_bytes": 250, "available_bytes": 750, "used_percent": 25}]
        },
        "interfaces": [{
            "name": "eth0.2", "type": "ethernet", "up": true,
            "statistics": {"rx_bytes": rx / 2, "tx_bytes": tx / 2}
        }, {
            "name": "wlan0", "type": "wireless", "up": true,
            "statistics": {"rx_bytes": rx, "tx_bytes": tx},
            "wireless": {"mode": "access_point", "ssid": "edge", "channel": 36, "frequency": 5180,
                         "htmode": "VHT80", "noise": -95, "tx_power": 20, "signal": -50,
                         "country": "IT",
                         "clients": [
                             {"mac": "44:d1:fa:00:00:01", "auth": true, "assoc": true, "authorized": true,
                              "ht": true, "vht": true, "wmm": true, "mfp": false},
                             {"mac": "44:d1:fa:00:00:02", "auth": true, "assoc": true, "authorized": true,
                              "ht": true, "vht": true, "wmm": true, "mfp": false}
                         ]}
        }]
    }))
    .unwrap()
}

/// Minutes since an arbitrary origin of an x label (`YYYY-MM-DD HH:MM`).
fn label_minutes(label: &str) -> i64 {
    let n = |s: &str| s.parse::<i64>().unwrap();
    let (date, clock) = label.split_once(' ').unwrap();
    let d: Vec<&str> = date.split('-').collect();
    let (h, m) = clock.split_once(':').unwrap();
    let month = time::Month::try_from(u8::try_from(n(d[1])).unwrap()).unwrap();
    let day = time::Date::from_calendar_date(
        i32::try_from(n(d[0])).unwrap(),
        month,
        u8::try_from(n(d[2])).unwrap(),
    )
    .unwrap();
    i64::from(day.to_julian_day()) * 1440 + n(h) * 60 + n(m)
}

struct Setup {
    collector: Collector,
    addr: SocketAddr,
    id: String,
    key: String,
    viewer: String,
    outsider: String,
}

fn setup() -> Setup {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    c.cli(&["org", "add", "Other", "--slug", "other"]);
    let dev = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "ap1"]));
    let token = |name: &str, org: &str| {
        let out = c.cli(&[
            "token", "add", "--name", name, "--role", "viewer", "--org", org,
        ]);
        fields(&out)["token"].clone()
    };
    let viewer = token("noc", "acme");
    let outsider = token("them", "other");
    let addr = c.start();
    Setup {
        addr,
        id: dev["id"].clone(),
        key: dev["key"].clone(),
        viewer,
        outsider,
        collector: c,
    }
}

fn get(s: &Setup, query: &str, headers: &[(&str, &str)]) -> Reply {
    request(
        s.addr,
        "GET",
        &format!("/api/v1/monitoring/device/{}/?{query}", s.id),
        headers,
        b"",
    )
}

fn chart<'a>(body: &'a Value, title: &str) -> &'a Value {
    body["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == title)
        .unwrap_or_else(|| panic!("no chart {title:?} in {body}"))
}

/// Posts three samples 10+ minutes apart and waits until the last is stored.
fn post_samples(s: &Setup) -> i64 {
    let now = now_us();
    let counters = [
        (1_000_000_000_u64, 500_000_000_u64, 0.5),
        (2_200_000_000, 1_100_000_000, 1.0),
        (3_400_000_000, 1_700_000_000, 1.5),
    ];
    for (i, (rx, tx, load)) in counters.into_iter().enumerate() {
        // The last one fresh (the alert engine ignores points older than 5 minutes).
        let at = now - [40, 20, 1][i] * MIN_US;
        let path = format!(
            "/api/v1/monitoring/device/{}/?key={}&time={}",
            s.id,
            s.key,
            openwisp_time(at)
        );
        let r = request(s.addr, "POST", &path, &[JSON], &sample(rx, tx, load));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // Ingest is asynchronous: wait for the CPU mean of all three samples.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(s, &format!("key={}&time=1d", s.key), &[]);
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        let done = body["charts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["title"] == "CPU Load" && c["summary"]["CPU_load"] == json!(50.0));
        if done {
            return now;
        }
        assert!(Instant::now() < deadline, "samples not stored: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[allow(clippy::many_single_char_names, clippy::too_many_lines)] // one scenario
fn charts_of_posted_samples_match_the_reference_shape() {
    let s = setup();
    post_samples(&s);
    let body = get(&s, &format!("key={}&time=1d", s.key), &[]).json();

    let titles: Vec<&str> = body["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "WiFi clients: wlan0",
            "Traffic: eth0_2",
            "Traffic: wlan0",
            "Memory Usage",
            "CPU Load",
            "Disk Usage"
        ]
    );
    // 1d: 10-minute buckets from now − 24 h to now, every trace aligned with x.
    let x = body["x"].as_array().unwrap();
    assert!((144..=145).contains(&x.len()), "{}", x.len());
    for c in body["charts"].as_array().unwrap() {
        for trace in c["traces"].as_array().unwrap() {
            assert_eq!(
                trace[1].as_array().unwrap().len(),
                x.len(),
                "{}",
                c["title"]
            );
        }
    }
    // Traffic: deltas of the counters (the first sample counts whole), in GB.
    let traffic = chart(&body, "Traffic: wlan0");
    assert_eq!(traffic["summary"], json!({"upload": 1.7, "download": 3.4}));
    let download: f64 = traffic["traces"][0][1]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .sum();
    assert_eq!(traffic["traces"][0][0], "download");
    assert!((download - 3.4).abs() < 1e-9, "{download}");
    assert_eq!(traffic["type"], "stackedbar+lines");
    assert_eq!(traffic["unit"], "adaptive_prefix+B");
    // Two distinct clients over the range.
    let clients = chart(&body, "WiFi clients: wlan0");
    assert_eq!(clients["summary"], json!({"wifi_clients": 2}));
    // Memory: 100 * (1 - (free + buffered) / total) = 50.0; disk 25.0.
    assert_eq!(
        chart(&body, "Memory Usage")["summary"],
        json!({"memory_usage": 50.0})
    );
    assert_eq!(
        chart(&body, "Disk Usage")["summary"],
        json!({"disk_usage": 25.0})
    );
    assert_eq!(chart(&body, "Memory Usage")["colors"], json!(["#9467bd"]));

    // Device fields: the key only for the caller who sent it.
    assert_eq!(body["id"], s.id);
    assert_eq!(body["name"], "ap1");
    assert_eq!(body["key"], s.key);
    assert!(body.get("data").is_none());
    // Health from the alert engine: the resources are within their thresholds.
    assert_eq!(body["monitoring"]["status"], "ok", "{}", body["monitoring"]);
    let healthy = |name: &str| {
        body["monitoring"]["related_metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["is_healthy"].clone())
    };
    assert_eq!(healthy("CPU usage"), Some(json!(true)));
    assert_eq!(healthy("Memory usage"), Some(json!(true)));
    assert_eq!(
        healthy("wlan0 traffic"),
        Some(Value::Null),
        "no alert settings"
    );
    let names: Vec<&str> = body["monitoring"]["related_metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "CPU usage",
            "Disk usage",
            "Memory usage",
            "eth0_2 traffic",
            "wlan0 traffic",
            "wlan0 wifi clients"
        ]
    );

    // status=… adds the latest snapshot (transformed: VHT80 bitrate, vendors).
    let body = get(&s, &format!("key={}&time=1d&status=1", s.key), &[]).json();
    assert_eq!(body["data"]["type"], "DeviceMonitoring");
    assert_eq!(body["data"]["resources"]["load"][0], json!(1.5));

    // CSV: a header, then one row per x value.
    let r = get(&s, &format!("key={}&time=1d&csv=1", s.key), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/csv"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=data.csv")
    );
    let text = r.text();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "time,wifi_clients - WiFi clients: wlan0,download - Traffic: eth0_2,upload - Traffic: eth0_2,\
         download - Traffic: wlan0,upload - Traffic: wlan0,\
         memory_usage - Memory Usage,CPU_load - CPU Load,disk_usage - Disk Usage"
    );
    assert_eq!(lines.len(), x.len() + 1, "{text}");

    // Another zone: the start is the same wall-clock time read in that zone (as InfluxDB
    // reads the reference's literals with `tz()`), so Kolkata's day starts 5 h 30 earlier
    // (33 more buckets) and every label is local time.
    let kolkata = get(
        &s,
        &format!("key={}&time=1d&timezone=Asia/Kolkata", s.key),
        &[],
    )
    .json();
    let ist = kolkata["x"].as_array().unwrap();
    assert_eq!(ist.len(), x.len() + 33);
    assert_eq!(ist[0], x[0]);
    let (u, i) = (x.last().unwrap(), ist.last().unwrap());
    let gap = label_minutes(i.as_str().unwrap()) - label_minutes(u.as_str().unwrap());
    assert_eq!(gap, 5 * 60 + 30, "{u} {i}");
}

#[test]
fn only_allowed_callers_read_a_device_and_bad_parameters_are_named() {
    let s = setup();
    let bearer = |t: &str| format!("Bearer {t}");

    // Credentials.
    let r = get(&s, "time=1d", &[]);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["detail"],
        "Authentication credentials were not provided."
    );
    assert_eq!(get(&s, "key=wrong", &[]).status, 403);
    let r = get(&s, "", &[("Authorization", &bearer("not-a-token"))]);
    assert_eq!(
        (r.status, r.json()["detail"].clone()),
        (401, json!("Invalid token."))
    );
    let r = get(&s, "", &[("Authorization", &bearer(&s.viewer))]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["key"], Value::Null);
    assert_eq!(r.json()["charts"], json!([]));
    // Another organization's token does not see the device at all.
    let r = get(&s, "", &[("Authorization", &bearer(&s.outsider))]);
    assert_eq!(r.status, 404);
    let r = request(
        s.addr,
        "GET",
        &format!(
            "/api/v1/monitoring/device/{}/?key={}",
            uuid::Uuid::new_v4(),
            s.key
        ),
        &[],
        b"",
    );
    assert_eq!(r.status, 404);

    // Parameters, with the reference's messages.
    let key = format!("key={}", s.key);
    let cases = [
        ("time=1w", "Time range not supported"),
        ("time=xd", "Time range not supported"),
        ("timezone=Mars/Olympus", "Unkown Time Zone"),
        (
            "start=2026-01-01&end=2026-01-02 00:00:00",
            "Incorrect custom date format, should be YYYY-MM-DD H:M:S",
        ),
        (
            "start=2020-01-01 00:00:00&end=2022-01-01 00:00:00",
            "The date range shouldn't be greater than 365 days",
        ),
        (
            "start=2026-01-02 00:00:00&end=2026-01-01 00:00:00",
            "start_date cannot be greater than end_date",
        ),
        (
            "start=2026-01-01 00:00:00&end=2999-01-01 00:00:00",
            "The date range shouldn't be greater than 365 days",
        ),
    ];
    for (query, message) in cases {
        let r = get(&s, &format!("{key}&{}", query.replace(' ', "%20")), &[]);
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        assert_eq!(r.json(), json!([message]), "{query}");
    }

    // A rotated token: the old secret stops working, the new one reads the same device.
    let mut s = s;
    assert!(s.collector.stop().success());
    let listed = s.collector.cli(&["token", "list"]);
    let id = listed
        .lines()
        .find(|l| l.split('\t').nth(1) == Some("noc"))
        .and_then(|l| l.split('\t').next())
        .expect("the noc token is listed")
        .to_owned();
    let shown = fields(&s.collector.cli(&["token", "show", &id]));
    assert_eq!(
        (shown["name"].as_str(), shown["role"].as_str()),
        ("noc", "viewer")
    );
    assert!(shown["org"].starts_with("acme ("), "{shown:?}");
    let rotated = fields(&s.collector.cli(&["token", "rotate", &id]))["token"].clone();
    s.addr = s.collector.start();
    let old = get(&s, "", &[("Authorization", &bearer(&s.viewer))]);
    assert_eq!(old.status, 401);
    assert_eq!(
        get(&s, "", &[("Authorization", &bearer(&rotated))]).status,
        200
    );
}

#[test]
fn the_dashboard_adds_up_an_organization_for_the_tokens_that_see_it() {
    let s = setup();
    post_samples(&s);
    let bearer = |t: &str| format!("Bearer {t}");
    let dashboard = |query: &str, token: &str| {
        request(
            s.addr,
            "GET",
            &format!("/api/v1/monitoring/dashboard/?{query}"),
            &[("Authorization", &bearer(token))],
            b"",
        )
    };
    let r = dashboard("time=1d", &s.viewer);
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    // eth0.2 is one of the default dashboard interfaces (as `eth0_2`); wlan0 is not.
    let traffic = chart(&body, "General Traffic");
    assert_eq!(traffic["summary"], json!({"upload": 0.85, "download": 1.7}));
    assert_eq!(traffic["fill"], "none");
    let clients = chart(&body, "General WiFi Clients");
    assert_eq!(clients["summary"], json!({"wifi_clients": 2}));
    assert_eq!(
        body["x"].as_array().unwrap().len(),
        traffic["traces"][0][1].as_array().unwrap().len()
    );
    assert!(
        body.get("organizations").is_none(),
        "one organization: no selector"
    );
    // CSV of the same.
    let csv = dashboard("time=1d&csv=1", &s.viewer).text();
    assert!(
        csv.starts_with("time,wifi_clients - General WiFi Clients,download - General Traffic,upload - General Traffic\r\n"),
        "{csv}"
    );
    // The other organization's token sees its own (empty) organization, not this one.
    let theirs = dashboard("time=1d", &s.outsider);
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.json()["charts"], json!([]));
    assert_eq!(dashboard("organization_slug=acme", &s.outsider).status, 403);
    assert_eq!(dashboard("organization_slug=nope", &s.viewer).status, 404);
    assert_eq!(dashboard("location_id=3", &s.viewer).status, 404);
    assert_eq!(
        dashboard("time=2w", &s.viewer).json(),
        json!(["Time range not supported"])
    );
    let anonymous = request(s.addr, "GET", "/api/v1/monitoring/dashboard/", &[], b"");
    assert_eq!(anonymous.status, 401);
}

#[test]
fn wifi_sessions_of_posted_samples_are_listed_for_the_tokens_that_see_them() {
    let s = setup();
    post_samples(&s);
    let bearer = |t: &str| format!("Bearer {t}");
    let list = |query: &str, token: &str| {
        request(
            s.addr,
            "GET",
            &format!("/api/v1/monitoring/wifi-session/?{query}"),
            &[("Authorization", &bearer(token))],
            b"",
        )
    };
    // Session changes are stored after the points: wait for them.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let body = loop {
        let body = list("", &s.viewer).json();
        if body["count"] == 2 {
            break body;
        }
        assert!(std::time::Instant::now() < deadline, "{body}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let results = body["results"].as_array().unwrap();
    let mut macs: Vec<&str> = results
        .iter()
        .map(|r| r["client"]["mac_address"].as_str().unwrap())
        .collect();
    macs.sort_unstable();
    assert_eq!(macs, ["44:d1:fa:00:00:01", "44:d1:fa:00:00:02"]);
    let first = &results[0];
    assert_eq!(first["organization"], "Acme");
    assert_eq!(first["device"], "ap1");
    assert_eq!(
        (first["ssid"].as_str(), first["interface_name"].as_str()),
        (Some("edge"), Some("wlan0"))
    );
    assert_eq!(first["client"]["wifi4"], "True");
    assert_eq!(first["client"]["wifi5"], "True");
    assert_eq!(first["client"]["wifi6"], Value::Null);
    assert_eq!(first["stop_time"], Value::Null);
    assert!(first["start_time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        (body["next"].clone(), body["previous"].clone()),
        (Value::Null, Value::Null)
    );

    // Filters and pages.
    assert_eq!(
        list("stop_time__isnull=false", &s.viewer).json()["count"],
        0
    );
    assert_eq!(list("stop_time__isnull=true", &s.viewer).json()["count"], 2);
    assert_eq!(
        list(&format!("device={}", s.id), &s.viewer).json()["count"],
        2
    );
    let page = list("page_size=1", &s.viewer).json();
    assert_eq!(page["results"].as_array().unwrap().len(), 1);
    assert!(
        page["next"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/monitoring/wifi-session/?page_size=1&page=2"),
        "{page}"
    );
    assert_eq!(list("page=3&page_size=1", &s.viewer).status, 404);
    let bad = list("device=nope", &s.viewer);
    assert_eq!(bad.status, 400);
    assert!(bad.json()["device"][0].as_str().unwrap().contains("nope"));

    // Detail; invisible to another organization.
    let id = first["id"].as_str().unwrap();
    let path = format!("/api/v1/monitoring/wifi-session/{id}/");
    let mine = request(
        s.addr,
        "GET",
        &path,
        &[("Authorization", &bearer(&s.viewer))],
        b"",
    );
    assert_eq!(mine.status, 200);
    assert_eq!(mine.json()["id"], id);
    let theirs = request(
        s.addr,
        "GET",
        &path,
        &[("Authorization", &bearer(&s.outsider))],
        b"",
    );
    assert_eq!(theirs.status, 404);
    assert_eq!(list("", &s.outsider).json()["count"], 0);
    assert_eq!(
        request(s.addr, "GET", "/api/v1/monitoring/wifi-session/", &[], b"").status,
        401
    );
}

#[test]
fn devices_and_their_metrics_are_listed_with_health_for_the_tokens_that_see_them() {
    let s = setup();
    post_samples(&s);
    let as_ = |path: &str, token: &str| {
        request(
            s.addr,
            "GET",
            path,
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        )
    };
    let list =
        |query: &str, token: &str| as_(&format!("/api/v1/monitoring/device/?{query}"), token);
    let body = list("", &s.viewer).json();
    assert_eq!(body["count"], 1, "{body}");
    let d = &body["results"][0];
    assert_eq!(
        (d["id"].as_str(), d["name"].as_str()),
        (Some(s.id.as_str()), Some("ap1"))
    );
    assert_eq!(d["monitoring"]["status"], "ok");
    assert_eq!(d["key"], Value::Null);
    assert_eq!(list("monitoring__status=ok", &s.viewer).json()["count"], 1);
    assert_eq!(
        list("monitoring__status=problem", &s.viewer).json()["count"],
        0
    );
    assert_eq!(list("monitoring__status=bogus", &s.viewer).status, 400);
    assert_eq!(
        list("organization_slug=other", &s.viewer).json()["count"],
        0
    );
    assert_eq!(list("organization_slug=acme", &s.viewer).json()["count"], 1);
    assert_eq!(list("organization=nope", &s.viewer).status, 400);
    assert_eq!(list("", &s.outsider).json()["count"], 0);
    assert_eq!(
        request(s.addr, "GET", "/api/v1/monitoring/device/", &[], b"").status,
        401
    );

    let metrics = |query: &str, token: &str| {
        as_(
            &format!("/api/v1/monitoring/device/{}/metric/?{query}", s.id),
            token,
        )
    };
    let all = metrics("", &s.viewer).json();
    let cpu = all
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "CPU usage")
        .unwrap_or_else(|| panic!("{all}"));
    assert_eq!(
        cpu,
        &json!({"name": "CPU usage", "key": "cpu", "is_healthy": true})
    );
    assert_eq!(metrics("is_healthy=false", &s.viewer).json(), json!([]));
    assert!(
        !metrics("is_healthy=true", &s.viewer)
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(metrics("", &s.outsider).status, 404);
    assert_eq!(metrics("is_healthy=maybe", &s.viewer).status, 400);
}

#[test]
fn map_data_groups_devices_by_location_for_the_tokens_that_see_them() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    c.cli(&["org", "add", "Other", "--slug", "other"]);
    let at = |name: &str, org: &str, lat: &str, address: &str| {
        c.cli(&[
            "device",
            "add",
            "--org",
            org,
            "--name",
            name,
            "--lat",
            lat,
            "--lng",
            "7.68",
            "--address",
            address,
        ]);
    };
    at("ap-a", "acme", "45.07", "Main St 1");
    at("ap-b", "acme", "45.07", "Main St 1");
    at("ap-c", "acme", "45.08", "Hill Rd 2");
    at("ap-x", "other", "45.07", "Main St 1");
    let token = |org: &str| {
        fields(&c.cli(&[
            "token", "add", "--name", org, "--role", "viewer", "--org", org,
        ]))["token"]
            .clone()
    };
    let (mine, theirs) = (token("acme"), token("other"));
    let addr = c.start();
    let get = |path: &str, token: &str| {
        request(
            addr,
            "GET",
            path,
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        )
    };
    let geo = get("/api/v1/monitoring/geojson/", &mine).json();
    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["count"], 2, "{geo}");
    let main = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["address"] == "Main St 1")
        .unwrap();
    assert_eq!(
        main["geometry"],
        json!({"type": "Point", "coordinates": [7.68, 45.07]})
    );
    // Only this organization's two devices there; no data yet: unknown.
    assert_eq!(main["properties"]["device_count"], 2);
    assert_eq!(main["properties"]["unknown_count"], 2);
    assert_eq!(main["properties"]["ok_count"], 0);
    let id = main["id"].as_str().unwrap();
    let devices = get(&format!("/api/v1/monitoring/location/{id}/device/"), &mine).json();
    assert_eq!(devices["count"], 2);
    assert_eq!(devices["has_floorplan"], false);
    let one = get(
        &format!("/api/v1/monitoring/location/{id}/device/?search=AP-A"),
        &mine,
    )
    .json();
    assert_eq!(one["results"][0]["name"], "ap-a");
    assert_eq!(one["count"], 1);
    let none = get(
        &format!("/api/v1/monitoring/location/{id}/device/?status=ok"),
        &mine,
    )
    .json();
    assert_eq!(none["count"], 0);
    // The other organization sees its own device at the same place, not these.
    let theirs_geo = get("/api/v1/monitoring/geojson/", &theirs).json();
    assert_eq!(theirs_geo["count"], 1);
    assert_eq!(theirs_geo["features"][0]["properties"]["device_count"], 1);
    let theirs_list = get(
        &format!("/api/v1/monitoring/location/{id}/device/"),
        &theirs,
    )
    .json();
    assert_eq!(theirs_list["results"][0]["name"], "ap-x");
    let other_place = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["address"] == "Hill Rd 2")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hidden = get(
        &format!("/api/v1/monitoring/location/{other_place}/device/"),
        &theirs,
    );
    assert_eq!(hidden.status, 404);
    assert_eq!(
        request(addr, "GET", "/api/v1/monitoring/geojson/", &[], b"").status,
        401
    );
}
