//! The device chart API answers for the reference's payload sequences, with the values its
//! README gives (openwisp-monitoring's chart tests), over a real collector.

use crate::payloads::payloads_dir;
use edgemon_shared::time::format_openwisp_time;
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::request;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const JSON: (&str, &str) = ("Content-Type", "application/json");

struct Dev(HashMap<String, String>);

fn post(addr: SocketAddr, dev: &Dev, file: &str, at: time::OffsetDateTime) {
    let path = format!(
        "/api/v1/monitoring/device/{}/?key={}&time={}",
        dev.0["id"],
        dev.0["key"],
        format_openwisp_time(at)
    );
    let body = std::fs::read(payloads_dir().join(file)).unwrap();
    let r = request(addr, "POST", &path, &[JSON], &body);
    assert_eq!(r.status, 200, "{file}: {}", r.text());
}

/// GETs the device's 1d charts until `ready` holds (ingest is asynchronous).
fn charts_when(addr: SocketAddr, dev: &Dev, ready: impl Fn(&Value) -> bool) -> Value {
    let path = format!(
        "/api/v1/monitoring/device/{}/?key={}&time=1d",
        dev.0["id"], dev.0["key"]
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = request(addr, "GET", &path, &[], b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        if ready(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "never ready: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn titles(body: &Value) -> Vec<String> {
    body["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect()
}

fn chart<'a>(body: &'a Value, title: &str) -> &'a Value {
    body["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == title)
        .unwrap_or_else(|| panic!("no chart {title:?}: {body}"))
}

/// The values of one trace that are not null.
fn non_null(chart: &Value, trace: &str) -> Vec<Value> {
    chart["traces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t[0] == trace)
        .unwrap_or_else(|| panic!("no trace {trace}: {chart}"))[1]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !v.is_null())
        .cloned()
        .collect()
}

#[test]
#[allow(clippy::too_many_lines)] // the README's scenarios, one after the other
fn chart_answers_match_the_reference_readme() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Conformance", "--slug", "conf"]);
    let add = |name: &str| {
        Dev(fields(
            &c.cli(&["device", "add", "--org", "conf", "--name", name]),
        ))
    };
    let (multi, five_g, lte, gsm, umts) =
        (add("multi"), add("5g"), add("lte"), add("gsm"), add("umts"));
    let mixed = add("lte+umts");
    let addr = c.start();

    // Four samples a second apart inside one 10-minute bucket that has already begun.
    let now = time::OffsetDateTime::now_utc();
    let bucket = now.unix_timestamp() - now.unix_timestamp().rem_euclid(600);
    let start = if now.unix_timestamp() - bucket >= 5 {
        bucket
    } else {
        bucket - 600
    };
    let at = |s: i64| time::OffsetDateTime::from_unix_timestamp(start + s).unwrap();
    for (i, f) in [
        "device-data-full.json",
        "multiple-measurements-2.json",
        "multiple-measurements-3.json",
        "multiple-measurements-4.json",
    ]
    .into_iter()
    .enumerate()
    {
        post(addr, &multi, f, at(i64::try_from(i).unwrap()));
    }
    let body = charts_when(addr, &multi, |b| {
        b["charts"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["title"] == "Traffic: wlan1" && c["summary"]["download"] == json!(3.0))
        })
    });
    // README: "Traffic chart last bucket: wlan0 download 1.2 / upload 0.6 GB, wlan1 3.0 / 1.5 GB".
    for (ifname, down, up) in [("wlan0", 1.2, 0.6), ("wlan1", 3.0, 1.5)] {
        let t = chart(&body, &format!("Traffic: {ifname}"));
        assert_eq!(non_null(t, "download"), [json!(down)], "{ifname}");
        assert_eq!(non_null(t, "upload"), [json!(up)], "{ifname}");
        assert_eq!(t["summary"], json!({"upload": up, "download": down}));
    }
    let x = body["x"].as_array().unwrap();
    let label = time::OffsetDateTime::from_unix_timestamp(start).unwrap();
    let want = format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        label.year(),
        u8::from(label.month()),
        label.day(),
        label.hour(),
        label.minute()
    );
    let idx = x
        .iter()
        .position(|l| *l == want)
        .expect("the samples' bucket");
    let wlan0 = chart(&body, "Traffic: wlan0");
    assert_eq!(wlan0["traces"][0][1][idx], json!(1.2));
    // WiFi clients: wlan0 has 1, wlan1 2 distinct clients.
    assert_eq!(
        chart(&body, "WiFi clients: wlan0")["summary"],
        json!({"wifi_clients": 1})
    );
    assert_eq!(
        chart(&body, "WiFi clients: wlan1")["summary"],
        json!({"wifi_clients": 2})
    );

    // mobile-5g-charts: "summaries: signal_power −70, signal_strength −52, signal_quality −7,
    // signal_to_noise_ratio 12, access_tech 5".
    post(addr, &five_g, "mobile-5g-charts.json", now);
    let body = charts_when(addr, &five_g, |b| titles(b).len() == 3);
    assert_eq!(
        titles(&body),
        [
            "Signal Strength (RSSI)",
            "Signal Quality (RSRQ)",
            "Access Technology"
        ]
    );
    assert_eq!(
        chart(&body, "Signal Strength (RSSI)")["summary"],
        json!({"signal_strength": -52.0, "signal_power": -70.0})
    );
    assert_eq!(
        chart(&body, "Signal Quality (RSRQ)")["summary"],
        json!({"signal_quality": -7.0, "signal_to_noise_ratio": 12.0})
    );
    assert_eq!(
        chart(&body, "Access Technology")["summary"],
        json!({"access_tech": 5})
    );

    // mobile-lte then mobile-lte-plus-umts: "lte chosen over umts; access_tech summary (MODE) 4".
    post(
        addr,
        &lte,
        "mobile-lte.json",
        now - time::Duration::seconds(2),
    );
    post(
        addr,
        &lte,
        "mobile-lte-plus-umts.json",
        now - time::Duration::seconds(1),
    );
    let body = charts_when(addr, &lte, |b| {
        titles(b).len() == 3 && !non_null(chart(b, "Access Technology"), "access_tech").is_empty()
    });
    assert_eq!(
        chart(&body, "Access Technology")["summary"],
        json!({"access_tech": 4})
    );
    // The mixed sample alone: lte (4) wins over umts (3).
    post(addr, &mixed, "mobile-lte-plus-umts.json", now);
    let body = charts_when(addr, &mixed, |b| {
        titles(b).iter().any(|t| t == "Access Technology")
    });
    assert_eq!(
        chart(&body, "Access Technology")["summary"],
        json!({"access_tech": 4})
    );

    // mobile-gsm: "only rssi → 2 charts (strength + access tech), no quality metric".
    post(addr, &gsm, "mobile-gsm.json", now);
    // Each chart is its own query: wait for the last one, then read everything again.
    charts_when(addr, &gsm, |b| {
        titles(b).iter().any(|t| t == "Access Technology")
    });
    let body = charts_when(addr, &gsm, |_| true);
    assert_eq!(
        titles(&body),
        ["Signal Strength (RSSI)", "Access Technology"]
    );

    // mobile-umts-rscp-missing: "rssi −69 → signal_strength; ecio −5 → snr; access_tech 3;
    // 3 charts".
    post(addr, &umts, "mobile-umts-rscp-missing.json", now);
    let body = charts_when(addr, &umts, |b| titles(b).len() == 3);
    assert_eq!(
        chart(&body, "Signal Strength (RSSI)")["summary"]["signal_strength"],
        json!(-69.0)
    );
    assert_eq!(
        chart(&body, "Signal Quality (RSRQ)")["summary"]["signal_to_noise_ratio"],
        json!(-5.0)
    );
    assert_eq!(
        chart(&body, "Access Technology")["summary"],
        json!({"access_tech": 3})
    );
    assert!(c.stop().success());
}
