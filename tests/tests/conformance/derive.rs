//! Derivation of every reference payload: the points, snapshot and sessions the payloads'
//! README says the reference writes (values checked), from the files read at test time.

use edgemon_collector::derive::sessions::{self, OpenSession, SessionKey};
use edgemon_collector::derive::transform::Options;
use edgemon_collector::derive::{self, Derived, DeviceInfo, Metric};
use edgemon_collector::tsdb::{FieldValue, Retention};
use edgemon_shared::validate::parse_and_validate;
use edgemon_tests::{fixtures, json_files};
use serde_json::{Value, json};
use std::path::PathBuf;
use uuid::Uuid;

const T: i64 = 1_787_320_000_000_000;
const NOW: i64 = T + 250_000;
const YUNLINK: &str = "Shenzhen Yunlink Technology Co., Ltd";

fn payloads() -> PathBuf {
    fixtures().join("openwisp/payloads")
}

fn device() -> DeviceInfo {
    DeviceInfo {
        id: Uuid::from_u128(0x5f0a_1c2e_0000_4000_8000_0000_0000_0001),
        organization_id: Uuid::from_u128(0x0e9a_0000_0000_4000_8000_0000_0000_0002),
        location_id: None,
        floorplan_id: None,
    }
}

/// Validates and derives `file` after the snapshot `previous` (as the reference stores it).
fn derive_file(file: &str, previous: Option<&Value>) -> Derived {
    let body = std::fs::read(payloads().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let sample = parse_and_validate(&body).unwrap_or_else(|e| panic!("{file}: {e}"));
    derive::derive(&device(), previous, sample, T, Options::default())
}

fn names(d: &Derived) -> Vec<&str> {
    d.metrics.iter().map(|m| m.name.as_str()).collect()
}

fn metric<'a>(d: &'a Derived, name: &str) -> &'a Metric {
    d.metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name:?} in {:?}", names(d)))
}

fn field<'a>(d: &'a Derived, name: &str, field: &str) -> &'a FieldValue {
    let m = metric(d, name);
    assert_eq!(m.points.len(), 1, "{name}");
    m.points[0]
        .fields
        .get(field)
        .unwrap_or_else(|| panic!("{name} has no field {field}"))
}

fn int(v: i64) -> FieldValue {
    FieldValue::Int(v)
}

fn float(v: f64) -> FieldValue {
    FieldValue::Float(v)
}

#[test]
fn every_payload_derives_and_round_trips_its_snapshot() {
    for file in json_files(&payloads()) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let d = derive_file(&name, None);
        for m in &d.metrics {
            for p in &m.points {
                assert_eq!(p.measurement, m.kind.key, "{name}: {}", m.name);
                assert_eq!(p.tags["content_type"], "config.device", "{name}");
                assert_eq!(p.tags["object_id"], device().id.to_string(), "{name}");
                assert!(p.time_us >= T, "{name}");
                assert!(
                    !p.fields.is_empty(),
                    "{name}: {} has an empty point",
                    m.name
                );
            }
        }
        let points = d.points(device().id, NOW);
        let snapshot = points.last().unwrap();
        assert_eq!(snapshot.measurement, "device_data");
        assert_eq!(snapshot.retention, Retention::Short);
        assert_eq!(snapshot.time_us, NOW);
        let FieldValue::Str(text) = &snapshot.fields["data"] else {
            panic!("{name}: data is a string field")
        };
        let back: Value = serde_json::from_str(text).unwrap();
        assert_eq!(back, d.snapshot, "{name}");
        // Deriving the stored snapshot again as the previous one gives zero deltas.
        let again = derive_file(&name, Some(&d.snapshot));
        for m in again.metrics.iter().filter(|m| m.kind.key == "traffic") {
            for f in ["rx_bytes", "tx_bytes"] {
                assert_eq!(m.points[0].fields[f], int(0), "{name}: {} {f}", m.name);
            }
        }
    }
}

#[test]
fn device_data_full() {
    let d = derive_file("device-data-full.json", None);
    let mut got = names(&d);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "CPU usage",
            "Disk usage",
            "Memory usage",
            "wlan0 traffic",
            "wlan0 wifi clients",
            "wlan1 traffic",
            "wlan1 wifi clients"
        ]
    );
    assert_eq!(field(&d, "wlan0 traffic", "rx_bytes"), &int(324));
    assert_eq!(field(&d, "wlan0 traffic", "tx_bytes"), &int(145));
    assert_eq!(field(&d, "wlan1 traffic", "rx_bytes"), &int(2275));
    assert_eq!(field(&d, "wlan1 traffic", "tx_bytes"), &int(826));
    let traffic = metric(&d, "wlan1 traffic");
    assert_eq!(traffic.points[0].tags["ifname"], "wlan1");
    assert_eq!(
        traffic.points[0].tags["organization_id"],
        device().organization_id.to_string()
    );

    assert_eq!(metric(&d, "wlan0 wifi clients").points.len(), 1);
    let wlan1 = metric(&d, "wlan1 wifi clients");
    let times: Vec<i64> = wlan1.points.iter().map(|p| p.time_us).collect();
    assert_eq!(times, [T, T + 1], "2nd client at +1 µs");
    assert_eq!(
        wlan1.points[1].fields["clients"],
        FieldValue::Str("c0:ee:fb:34:f5:4b".into())
    );

    for f in ["cpu_usage", "load_1", "load_5", "load_15"] {
        assert_eq!(field(&d, "CPU usage", f), &float(0.0), "{f}");
    }
    assert_eq!(
        field(&d, "Memory usage", "percent_used"),
        &float(9.729_419_481_797_308)
    );
    assert_eq!(
        field(&d, "Disk usage", "used_disk"),
        &float(8.267_670_577_248_584)
    );

    let ifaces = &d.snapshot["interfaces"];
    let c0 = &ifaces[0]["wireless"]["clients"][0];
    assert_eq!(
        (&c0["ht"], &c0["vht"], &c0["he"]),
        (&json!(true), &Value::Null, &Value::Null),
        "HT20"
    );
    assert!(c0.get("vendor").is_some_and(Value::is_string));
    assert_eq!(
        ifaces[1]["wireless"]["bitrate"],
        json!(1.1),
        "VHT80 bitrate in Mbit/s"
    );
    assert_eq!(
        ifaces[1]["wireless"]["clients"][0]["vht"],
        json!(false),
        "VHT80 keeps vht"
    );
}

#[test]
fn device_data_no_resources() {
    let d = derive_file("device-data-no-resources.json", None);
    assert_eq!(d.metrics.len(), 4, "{:?}", names(&d));
}

#[test]
fn minimal_payloads_write_no_metric() {
    for file in ["minimal-empty-interfaces.json", "minimal-type-only.json"] {
        assert!(derive_file(file, None).metrics.is_empty(), "{file}");
    }
}

#[test]
fn multiple_measurements_sequence_of_deltas() {
    // README: stored wlan0 rx/tx and wlan1 rx for full, -2, -3, -4 posted in order.
    let wlan0_rx = [324, 399_999_676, 100_000_000, 700_000_000];
    let wlan0_tx = [145, 99_999_855, 200_000_000, 300_000_000];
    let wlan1_rx = [2275, 1_999_997_725, 0, 1_000_000_000];
    let files = [
        "device-data-full.json",
        "multiple-measurements-2.json",
        "multiple-measurements-3.json",
        "multiple-measurements-4.json",
    ];
    let mut previous: Option<Value> = None;
    for (i, file) in files.iter().enumerate() {
        let d = derive_file(file, previous.as_ref());
        assert_eq!(
            field(&d, "wlan0 traffic", "rx_bytes"),
            &int(wlan0_rx[i]),
            "{file}"
        );
        assert_eq!(
            field(&d, "wlan0 traffic", "tx_bytes"),
            &int(wlan0_tx[i]),
            "{file}"
        );
        assert_eq!(
            field(&d, "wlan1 traffic", "rx_bytes"),
            &int(wlan1_rx[i]),
            "{file}"
        );
        previous = Some(d.snapshot);
    }
}

fn counters(file: &str) -> Vec<(String, i64, i64)> {
    let v: Value = serde_json::from_slice(&std::fs::read(payloads().join(file)).unwrap()).unwrap();
    v["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = &i["statistics"];
            (
                i["name"].as_str().unwrap().to_owned(),
                s["rx_bytes"].as_i64().unwrap_or(0),
                s["tx_bytes"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn traffic_counter_incremented_is_new_minus_previous() {
    let first = derive_file("device-data-full.json", None);
    let second = derive_file("traffic-counter-incremented.json", Some(&first.snapshot));
    let before = counters("device-data-full.json");
    for (name, rx, tx) in counters("traffic-counter-incremented.json") {
        let (_, prx, ptx) = before.iter().find(|(n, ..)| *n == name).unwrap();
        assert!(rx >= *prx && tx >= *ptx, "the fixture only grows");
        let m = format!("{name} traffic");
        assert_eq!(field(&second, &m, "rx_bytes"), &int(rx - prx));
        assert_eq!(field(&second, &m, "tx_bytes"), &int(tx - ptx));
    }
}

#[test]
fn missing_rx_bytes_is_zero() {
    let d = derive_file("missing-rx-bytes.json", None);
    assert_eq!(field(&d, "wlan0 traffic", "rx_bytes"), &int(0));
    assert_eq!(field(&d, "wlan0 traffic", "tx_bytes"), &int(145));
}

#[test]
fn memory_available_rule() {
    let d = derive_file("memory-without-available.json", None);
    assert_eq!(
        field(&d, "Memory usage", "percent_used"),
        &float(9.729_419_481_797_308)
    );
    assert!(
        !metric(&d, "Memory usage").points[0]
            .fields
            .contains_key("available_memory")
    );
    let d = derive_file("memory-available-less-than-free.json", None);
    assert_eq!(
        field(&d, "Memory usage", "percent_used"),
        &float(9.729_419_481_797_308)
    );
    assert_eq!(
        field(&d, "Memory usage", "available_memory"),
        &int(2_232_664)
    );
}

#[test]
fn cpu_only() {
    let d = derive_file("cpu-only.json", None);
    assert_eq!(names(&d), ["CPU usage"]);
    for f in ["cpu_usage", "load_1", "load_5", "load_15"] {
        assert_eq!(field(&d, "CPU usage", f), &float(0.0), "{f}");
    }
    let d = derive_file("cpu-only-load-100.json", None);
    assert_eq!(field(&d, "CPU usage", "cpu_usage"), &float(10_000.0));
}

/// (strength, power, quality, snr, access_tech) of a mobile payload.
fn signal(file: &str) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>, i64) {
    let d = derive_file(file, None);
    let get = |name: &str, f: &str| {
        d.metrics
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.points[0].fields.get(f).and_then(FieldValue::as_f64))
    };
    for m in &d.metrics {
        assert_eq!(m.points[0].tags["ifname"], "mobile0", "{file}");
        assert_eq!(m.kind.key, "signal", "{file}");
    }
    let FieldValue::Int(tech) = field(&d, "access technology", "access_tech") else {
        panic!("{file}: access_tech is an integer")
    };
    (
        get("signal strength", "signal_strength"),
        get("signal strength", "signal_power"),
        get("signal quality", "signal_quality"),
        get("signal quality", "snr"),
        *tech,
    )
}

#[test]
fn mobile_signal_metrics() {
    assert_eq!(
        signal("mobile-lte.json"),
        (Some(-51.0), Some(-75.0), Some(-8.0), Some(13.0), 4)
    );
    assert_eq!(
        signal("mobile-5g-charts.json"),
        (Some(-52.0), Some(-70.0), Some(-7.0), Some(12.0), 5)
    );
    assert_eq!(signal("mobile-5g.json").4, 5);
    assert_eq!(
        signal("mobile-lte-plus-umts.json"),
        (Some(-51.0), Some(-75.0), Some(-8.0), Some(13.0), 4)
    );
    assert_eq!(
        signal("mobile-umts-rscp-missing.json"),
        (Some(-69.0), None, None, Some(-5.0), 3)
    );
    assert_eq!(
        signal("mobile-gsm.json"),
        (Some(-70.0), None, None, None, 0)
    );
    assert_eq!(
        signal("mobile-zero-signals-lte-5g.json"),
        (Some(0.0), Some(0.0), Some(0.0), Some(0.0), 5)
    );
    assert_eq!(
        signal("mobile-lte-only-rssi.json"),
        (Some(-52.0), None, None, None, 4)
    );
    assert_eq!(
        signal("mobile-lte-only-rsrp.json"),
        (None, Some(-75.0), None, None, 4)
    );
    assert_eq!(
        signal("mobile-lte-only-snr.json"),
        (None, None, None, Some(13.0), 4)
    );
    assert_eq!(
        signal("mobile-5g-only-rsrq.json"),
        (None, None, Some(-8.0), None, 5)
    );
    assert_eq!(
        derive_file("mobile-umts-rscp-missing.json", None)
            .metrics
            .len(),
        3
    );
    assert_eq!(derive_file("mobile-gsm.json", None).metrics.len(), 2);
    for file in ["mobile-signal-empty.json", "mobile-signal-absent.json"] {
        assert!(derive_file(file, None).metrics.is_empty(), "{file}");
    }
    // The snapshot keeps the signal values as floats.
    let d = derive_file("mobile-lte.json", None);
    let text = d.snapshot.to_string();
    assert!(text.contains(r#""rssi":-51.0"#), "{text}");
}

#[test]
fn vendors_of_clients_neighbours_and_leases() {
    let d = derive_file("sample-data-dhcp-neighbors-addresses.json", None);
    assert!(!names(&d).contains(&"CPU usage"), "no cpus, no CPU metric");
    for iface in d.snapshot["interfaces"].as_array().unwrap() {
        for client in iface["wireless"]["clients"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(client["vendor"], json!(YUNLINK));
        }
    }
    for neighbor in d.snapshot["neighbors"].as_array().unwrap() {
        assert_eq!(neighbor["vendor"], json!(YUNLINK));
    }
    for lease in d.snapshot["dhcp_leases"].as_array().unwrap() {
        assert!(lease["vendor"].is_string(), "leases get a vendor key");
    }
}

#[test]
fn htmode_he40_keeps_capabilities() {
    let raw: Value = serde_json::from_slice(
        &std::fs::read(payloads().join("sample-data-htmode-he40.json")).unwrap(),
    )
    .unwrap();
    let d = derive_file("sample-data-htmode-he40.json", None);
    for (i, iface) in d.snapshot["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for (j, client) in iface["wireless"]["clients"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            for cap in ["ht", "vht", "he"] {
                assert_eq!(
                    client.get(cap),
                    raw["interfaces"][i]["wireless"]["clients"][j].get(cap)
                );
            }
        }
    }
}

#[test]
fn resources_sub_keys_are_optional() {
    let has = |file: &str, name: &str| names(&derive_file(file, None)).contains(&name);
    assert!(!has("sample-data-no-disk.json", "Disk usage"));
    assert!(has("sample-data-no-disk.json", "Memory usage"));
    assert!(!has("sample-data-no-memory.json", "Memory usage"));
    assert!(has("sample-data-no-memory.json", "Disk usage"));
    assert!(!has("sample-data-no-load.json", "CPU usage"));
    assert!(has("sample-data-no-load.json", "Disk usage"));
}

#[test]
fn wifi_sessions_ignore_the_mesh_interface() {
    let d = derive_file("wifi-sessions-with-mesh-interface.json", None);
    let c = sessions::update::<u32>(&[], &d.snapshot, NOW);
    assert_eq!(c.clients.len(), 3);
    assert_eq!(c.opened.len(), 3);
    assert!(c.opened.iter().all(|s| s.key.interface_name != "mesh0-mng"));
    // The same snapshot again keeps the three sessions open.
    let open: Vec<OpenSession<u32>> = c
        .opened
        .iter()
        .zip(0..)
        .map(|(s, id)| OpenSession {
            id,
            key: s.key.clone(),
            start_us: s.start_us,
        })
        .collect();
    let again = sessions::update(&open, &d.snapshot, NOW + 1);
    assert_eq!(again.kept, [0, 1, 2]);
    assert!(again.opened.is_empty() && again.closed.is_empty());
    // A snapshot without the clients closes them.
    let gone = sessions::update(
        &open,
        &derive_file("minimal-type-only.json", None).snapshot,
        NOW + 2,
    );
    assert_eq!(gone.closed.len(), 3);
}

#[test]
fn wifi_session_org1_interface() {
    let d = derive_file("wifi-session-org1-interface.json", None);
    let c = sessions::update::<u32>(&[], &d.snapshot, NOW);
    assert_eq!(c.opened.len(), 1);
    let SessionKey {
        interface_name,
        ssid,
        ..
    } = &c.opened[0].key;
    assert_eq!(
        (interface_name.as_str(), ssid.as_str()),
        ("org1_wlan0", "org1_wifi")
    );
}
