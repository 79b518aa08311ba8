//! Reliability: a device whose clock is hours off. Its newest sample (OpenWISP
//! `current=true`) flags it on `/metrics`; a sample from the future is stored at its
//! arrival time, not hours ahead; a sample with a right clock clears the flag. The
//! device's API answer shows the offset while it is flagged
//! (`collector/src/ingest/skew.rs`, `docs/reliability.md`).

use edgemon_collector::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
use edgemon_collector::tsdb::{Agg, FieldValue, Query, Retention, TagFilter, TimeSeries};
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::request;
use std::net::SocketAddr;
use std::sync::Arc;

const BODY: &[u8] = br#"{"type":"DeviceMonitoring","resources":{"load":[0.5,0.5,0.5],"cpus":1}}"#;

fn now_us() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap()
}

fn post(addr: SocketAddr, id: &str, key: &str, at_us: i64, current: bool) {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_us) * 1000).unwrap();
    let mut path = format!(
        "/api/v1/monitoring/device/{id}/?key={key}&time={}",
        edgemon_shared::time::format_openwisp_time(at)
    );
    if current {
        path.push_str("&current=true");
    }
    let r = request(
        addr,
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        BODY,
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

fn skewed(addr: SocketAddr) -> u64 {
    request(addr, "GET", "/metrics", &[], b"")
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("edgemon_devices_clock_skewed "))
        .expect("the gauge")
        .parse()
        .unwrap()
}

/// The device answer's `monitoring.clock_offset_s`.
fn clock_offset(addr: SocketAddr, id: &str, key: &str) -> serde_json::Value {
    let r = request(
        addr,
        "GET",
        &format!("/api/v1/monitoring/device/{id}/?key={key}"),
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body: serde_json::Value = serde_json::from_str(&r.text()).unwrap();
    body["monitoring"]["clock_offset_s"].clone()
}

fn cpu_points(c: &Collector, id: &str, ranges: &[(i64, i64)]) -> Vec<i64> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = EmbeddedStore::open(
            c.data_dir().join("timeseries.redb"),
            EmbeddedConfig::default(),
            Arc::new(SystemClock),
        )
        .unwrap();
        let mut out = Vec::new();
        for &(start_us, end_us) in ranges {
            let series = store
                .query(Query {
                    retention: Retention::Default,
                    measurement: "cpu".into(),
                    filters: vec![TagFilter {
                        key: "object_id".into(),
                        value: id.to_owned(),
                    }],
                    fields: vec![("cpu_usage".into(), Agg::Count)],
                    start_us,
                    end_us,
                    bucket_us: None,
                    bucket_offset_us: 0,
                    group_by_tags: vec![],
                })
                .await
                .unwrap();
            out.push(
                match series.first().and_then(|s| s.rows[0].values[0].clone()) {
                    Some(FieldValue::Int(k)) => k,
                    _ => 0,
                },
            );
        }
        out
    })
}

#[test]
fn a_clock_hours_off_is_flagged_and_its_future_samples_land_at_arrival() {
    const HOUR: i64 = 3_600_000_000;
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "ahead"]));
    let (id, key) = (d["id"].clone(), d["key"].clone());
    let addr = c.start();
    assert_eq!(skewed(addr), 0);

    let before = now_us();
    // A backlog sample two hours old says nothing about the clock.
    post(addr, &id, &key, before - 2 * HOUR, false);
    assert_eq!(skewed(addr), 0);
    // The newest sample three hours ahead: flagged, stored now.
    post(addr, &id, &key, before + 3 * HOUR, true);
    let after = now_us();
    assert_eq!(skewed(addr), 1);
    let offset = clock_offset(addr, &id, &key)
        .as_i64()
        .expect("an offset while flagged");
    assert!(
        (3 * 3600 - 60..=3 * 3600).contains(&offset),
        "three hours ahead: {offset} s"
    );
    // The clock is set: cleared.
    post(addr, &id, &key, now_us() + 1_000_000, true);
    assert_eq!(skewed(addr), 0);
    assert_eq!(clock_offset(addr, &id, &key), serde_json::Value::Null);
    assert!(c.stop().success());

    let counts = cpu_points(
        &c,
        &id,
        &[
            (before - 2 * HOUR - 1, before - 2 * HOUR + 1),
            (before, after + 1),
            (after + HOUR, after + 4 * HOUR),
        ],
    );
    assert_eq!(
        counts,
        [1, 1, 0],
        "backlog at its time, future at arrival, none ahead"
    );
}
