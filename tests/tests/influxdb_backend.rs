//! The InfluxDB backend against a real `influxd` (started per test on free ports):
//! the reference's names and retention policies, and the same chart answers as the
//! embedded store for the same samples.

use edgemon_collector::charts::range::{RangeParams, resolve};
use edgemon_collector::charts::read::{Found, device_charts, general_charts};
use edgemon_collector::derive::{self, DeviceInfo, PreviousCounters, transform};
use edgemon_collector::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
use edgemon_collector::tsdb::influx::{Durations, InfluxStore, Settings};
use edgemon_collector::tsdb::{FieldValue, Point, Retention, TimeSeries};
use edgemon_tests::influxd::Influxd;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use uuid::Uuid;

const HOUR_US: i64 = 3_600_000_000;

fn now_us() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap()
}

fn settings(server: &Influxd, database: &str) -> Settings {
    Settings {
        url: server.url(),
        database: database.into(),
        username: None,
        password: None,
        ca_file: None,
        timeout: Duration::from_secs(10),
    }
}

const REFERENCE: Durations = Durations {
    default_secs: 26_280 * 3600,
    short_secs: 24 * 3600,
};

/// A router's sample: cumulative counters, load, memory, disk, WiFi clients, an LTE modem.
fn sample(i: i64) -> Vec<u8> {
    let n = u64::try_from(i).unwrap();
    let clients: Vec<Value> = (0..(n % 4))
        .map(|c| json!({"mac": format!("44:d1:fa:00:00:{:02x}", (n + c) % 7), "auth": true,
                         "assoc": true, "authorized": true, "ht": true, "vht": true, "wmm": true, "mfp": false}))
        .collect();
    serde_json::to_vec(&json!({
        "type": "DeviceMonitoring",
        "general": {"hostname": "ap1", "local_time": 1_764_000_000, "uptime": 3600},
        "resources": {
            "load": [0.1 + f64::from(u32::try_from(n % 17).unwrap()) / 10.0, 0.2, 0.1], "cpus": 2,
            "memory": {"total": 100_000_000, "free": 40_000_000 - n % 13 * 100_000, "buffered": 10_000_000, "shared": 1000},
            "disk": [{"filesystem": "/dev/root", "mount_point": "/", "size_bytes": 1000,
                      "used_bytes": 250 + n % 9, "available_bytes": 750, "used_percent": 25}]
        },
        "interfaces": [{
            "name": "eth0.2", "type": "ethernet", "up": true,
            "statistics": {"rx_bytes": n * 1_000_003 % 5_000_000_000, "tx_bytes": n * 70_001}
        }, {
            "name": "wlan0", "type": "wireless", "up": true,
            "statistics": {"rx_bytes": n * 123_457, "tx_bytes": n * 54_321},
            "wireless": {"mode": "access_point", "ssid": "edge", "channel": 36, "frequency": 5180,
                         "htmode": "VHT80", "noise": -95, "tx_power": 20, "signal": -50,
                         "country": "IT", "clients": clients}
        }, {
            "name": "wwan0", "type": "modem-manager", "up": true,
            "mobile": {"imei": "300000000000000", "operator_code": "22210", "operator_name": "x",
                       "connection_status": "connected", "power_status": "on",
                       "manufacturer": "m", "model": "m",
                       "signal": {"lte": {"rssi": -51 - i % 20, "rsrp": -75 - i % 7,
                                          "rsrq": -8 - i % 5, "snr": 13 + i % 3}}}
        }]
    }))
    .unwrap()
}

/// Every point the collector would write for samples every `step_us` over `span_us`
/// before `end_us`, plus ping results.
fn history(device: Uuid, org: Uuid, end_us: i64, span_us: i64, step_us: i64) -> Vec<Point> {
    let info = DeviceInfo {
        id: device,
        organization_id: org,
        location_id: None,
        floorplan_id: None,
    };
    let options = transform::Options {
        mac_vendor_detection: false,
    };
    let mut previous = PreviousCounters::none();
    let mut points = Vec::new();
    let mut t = end_us - span_us;
    let mut i = 0;
    while t < end_us {
        i += 1;
        let valid = edgemon_shared::validate::parse_and_validate(&sample(i)).unwrap();
        let d = derive::derive_after(&info, &previous, valid, t, options);
        previous = PreviousCounters::from_snapshot(&d.snapshot);
        // The snapshot goes to `short` (24 h); both backends drop older points at write
        // (InfluxDB with a 400), so history keeps only recent ones.
        points.extend(
            d.into_points(device, t)
                .into_iter()
                .filter(|p| p.retention == Retention::Default || t > now_us() - 20 * HOUR_US),
        );
        let loss = f64::from(u32::try_from(i % 5).unwrap()) * 10.0;
        points.push(
            Point::new("ping", t + 1)
                .tag("content_type", "config.device")
                .tag("object_id", device.to_string())
                .field("reachable", FieldValue::Int(i64::from(i % 5 != 0)))
                .field("loss", FieldValue::Float(loss))
                .field("rtt_min", FieldValue::Float(1.5))
                .field("rtt_avg", FieldValue::Float(2.0 + loss / 100.0))
                .field("rtt_max", FieldValue::Float(9.25)),
        );
        t += step_us;
    }
    points
}

async fn write_all(store: &dyn TimeSeries, points: &[Point]) {
    for chunk in points.chunks(5000) {
        store.write(chunk.to_vec()).await.unwrap();
    }
}

fn rows(answer: &Value) -> Vec<Value> {
    answer["results"][0]["series"]
        .as_array()
        .map(|s| {
            s.iter()
                .flat_map(|s| s["values"].as_array().unwrap().clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Configured durations are created, changed durations altered, equal ones kept.
async fn policies_follow_the_configuration(server: &Influxd, store: &InfluxStore) {
    let custom = Durations {
        default_secs: 720 * 3600,
        short_secs: 2 * 3600,
    };
    let changes = store.prepare(custom).await.unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    let mut rps = store.retention_policies().await.unwrap();
    rps.sort();
    assert_eq!(
        rps,
        [
            ("autogen".into(), "720h0m0s".into()),
            ("short".into(), "2h0m0s".into())
        ]
    );
    store.prepare(REFERENCE).await.unwrap();
    assert!(store.prepare(REFERENCE).await.unwrap().is_empty());
    let policies = server.query("openwisp2", "SHOW RETENTION POLICIES");
    let mut rps: Vec<(String, String, bool)> = rows(&policies)
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().into(),
                r[1].as_str().unwrap().into(),
                r[4].as_bool().unwrap(),
            )
        })
        .collect();
    rps.sort();
    assert_eq!(
        rps,
        [
            ("autogen".into(), "26280h0m0s".into(), true),
            ("short".into(), "24h0m0s".into(), false)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_come_back_with_the_reference_names_and_policies() {
    let dir = tempfile::tempdir().unwrap();
    let server = Influxd::start(&dir.path().join("influxd"));
    let store = InfluxStore::new(settings(&server, "openwisp2")).unwrap();

    policies_follow_the_configuration(&server, &store).await;

    let (device, org) = (Uuid::from_u128(0xabc), Uuid::from_u128(0xdef));
    let now = now_us();
    let points = history(device, org, now, 3 * HOUR_US, HOUR_US);
    store.write(points.clone()).await.unwrap();
    let id = device.to_string();
    let traffic = server.query(
        "openwisp2",
        &format!(
            "SELECT rx_bytes, tx_bytes FROM autogen.traffic WHERE content_type = 'config.device' \
             AND object_id = '{id}' AND ifname = 'eth0_2' AND organization_id = '{org}'"
        ),
    );
    let want: Vec<(i64, i64)> = points
        .iter()
        .filter(|p| p.measurement == "traffic" && p.tags["ifname"] == "eth0_2")
        .map(|p| match (&p.fields["rx_bytes"], &p.fields["tx_bytes"]) {
            (FieldValue::Int(r), FieldValue::Int(t)) => (*r, *t),
            other => panic!("{other:?}"),
        })
        .collect();
    let got: Vec<(i64, i64)> = rows(&traffic)
        .iter()
        .map(|r| (r[1].as_i64().unwrap(), r[2].as_i64().unwrap()))
        .collect();
    assert_eq!((got.len(), got), (3, want));
    for (q, n) in [
        (
            format!("SELECT cpu_usage, load_1, load_5, load_15 FROM cpu WHERE object_id = '{id}'"),
            3,
        ),
        (
            format!("SELECT percent_used, total_memory FROM memory WHERE object_id = '{id}'"),
            3,
        ),
        (
            format!("SELECT used_disk FROM disk WHERE object_id = '{id}'"),
            3,
        ),
        (
            format!(
                "SELECT clients FROM wifi_clients WHERE object_id = '{id}' AND ifname = 'wlan0'"
            ),
            1 + 2 + 3,
        ),
        (
            format!(
                "SELECT signal_strength, signal_power, signal_quality, snr, access_tech FROM signal WHERE object_id = '{id}' AND ifname = 'wwan0'"
            ),
            3,
        ),
        (
            format!("SELECT data FROM short.device_data WHERE pk = '{id}'"),
            3,
        ),
        (
            format!("SELECT reachable, loss, rtt_avg FROM ping WHERE object_id = '{id}'"),
            3,
        ),
    ] {
        assert_eq!(rows(&server.query("openwisp2", &q)).len(), n, "{q}");
    }
    latest_and_deletion(&server, &store, &points, &id).await;
}

/// The device data is read back through the trait as well, typed; device deletion
/// drops its series in every policy.
async fn latest_and_deletion(server: &Influxd, store: &InfluxStore, points: &[Point], id: &str) {
    let id = id.to_owned();
    let latest = store
        .latest(
            Retention::Short,
            "device_data".into(),
            vec![("pk".into(), id.clone())],
        )
        .await
        .unwrap()
        .unwrap();
    let want = points
        .iter()
        .filter(|p| p.measurement == "device_data")
        .max_by_key(|p| p.time_us)
        .unwrap();
    assert_eq!(&latest, want);
    let cpu = store
        .latest(
            Retention::Default,
            "cpu".into(),
            vec![("object_id".into(), id.clone())],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(cpu.fields["cpu_usage"], FieldValue::Float(_)));
    // Device deletion drops its series in every policy.
    store
        .delete_series("device_data".into(), vec![("pk".into(), id.clone())])
        .await
        .unwrap();
    assert!(
        rows(&server.query(
            "openwisp2",
            &format!("SELECT data FROM short.device_data WHERE pk = '{id}'")
        ))
        .is_empty()
    );
}

/// Charts rendered from each backend for the same points, as comparable JSON.
fn rendered(found: &[Found]) -> Vec<(String, Value)> {
    found
        .iter()
        .map(|f| (f.metric.clone(), f.chart.json.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_draw_the_same_charts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Influxd::start(&dir.path().join("influxd"));
    let influx = InfluxStore::new(settings(&server, "charts")).unwrap();
    influx.prepare(REFERENCE).await.unwrap();
    let embedded = Arc::new(
        EmbeddedStore::open(
            dir.path().join("timeseries.redb"),
            EmbeddedConfig::default(),
            Arc::new(SystemClock),
        )
        .unwrap(),
    );
    let (device, org) = (Uuid::from_u128(0x1234), Uuid::from_u128(0x5678));
    let now = now_us();
    // A year and a bit at one sample every 7 h 13 min (so buckets hold 0, 1 or more),
    // and the last two days every 9 minutes.
    let mut points = history(
        device,
        org,
        now - 2 * 24 * HOUR_US,
        380 * 24 * HOUR_US,
        433 * 60_000_000,
    );
    points.extend(history(device, org, now, 2 * 24 * HOUR_US, 9 * 60_000_000));
    write_all(embedded.as_ref(), &points).await;
    write_all(&influx, &points).await;

    let tz = jiff::tz::TimeZone::get("Europe/Rome").unwrap();
    let day = |d: i64| {
        jiff::Timestamp::from_microsecond(now - d * 24 * HOUR_US)
            .unwrap()
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let (start, end) = (day(40), day(1));
    let mut ranges: Vec<RangeParams<'_>> = ["1d", "3d", "7d", "30d", "365d"]
        .iter()
        .map(|t| RangeParams {
            time: Some(t),
            ..RangeParams::default()
        })
        .collect();
    ranges.push(RangeParams {
        start: Some(&start),
        end: Some(&end),
        timezone: Some("Europe/Rome"),
        ..RangeParams::default()
    });
    let mut compared = 0;
    for params in ranges {
        let range = resolve(params, now, &jiff::tz::TimeZone::UTC).unwrap();
        let a = rendered(
            &device_charts(embedded.as_ref(), device, &range)
                .await
                .unwrap(),
        );
        let b = rendered(&device_charts(&influx, device, &range).await.unwrap());
        let names: Vec<&str> = a.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            a.len(),
            12,
            "every default chart (traffic per interface) has data: {names:?}"
        );
        for ((ma, ja), (mb, jb)) in a.iter().zip(&b) {
            assert_eq!(ma, mb);
            assert_eq!(ja, jb, "{:?} {ma}", params.time);
            compared += 1;
        }
        assert_eq!(a.len(), b.len());
        let ifnames = vec!["eth0_2".to_owned()];
        let ga = rendered(
            &general_charts(embedded.as_ref(), &[org], &ifnames, &range)
                .await
                .unwrap(),
        );
        let gb = rendered(
            &general_charts(&influx, &[org], &ifnames, &range)
                .await
                .unwrap(),
        );
        assert!(!ga.is_empty());
        assert_eq!(ga, gb, "general charts, {:?}", params.time);
    }
    assert_eq!(compared, 6 * 12);
}
