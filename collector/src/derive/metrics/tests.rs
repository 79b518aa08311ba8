use super::previous::increment;
use super::*;
use crate::tsdb::FieldValue;
use FieldValue::{Float, Int};
use edgemon_shared::netjson::Memory;
use edgemon_shared::validate::parse_and_validate;
use proptest::prelude::*;
use serde_json::{Value, json};

const T: i64 = 1_700_000_000_000_000;

fn device() -> DeviceInfo {
    DeviceInfo {
        id: Uuid::parse_str("d9d2e0c6-1b2a-4c8e-9f0a-0123456789ab").unwrap(),
        organization_id: Uuid::parse_str("a0000000-0000-4000-8000-000000000001").unwrap(),
        location_id: None,
        floorplan_id: None,
    }
}

fn doc(value: &Value) -> DeviceMonitoring {
    parse_and_validate(value.to_string().as_bytes())
        .expect("test documents are valid")
        .doc
}

fn run(value: &Value) -> Vec<Metric> {
    derive(&device(), &PreviousCounters::none(), &doc(value), T)
}

fn by_name<'a>(metrics: &'a [Metric], name: &str) -> &'a Metric {
    metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name:?} in {:?}", names(metrics)))
}

fn names(metrics: &[Metric]) -> Vec<&str> {
    metrics.iter().map(|m| m.name.as_str()).collect()
}

fn field<'a>(metric: &'a Metric, name: &str) -> &'a FieldValue {
    &metric.points[0].fields[name]
}

fn iface(name: &str, stats: &Value) -> Value {
    json!({"name": name, "statistics": stats})
}

fn with_interfaces(ifaces: &[Value]) -> Value {
    json!({"type": "DeviceMonitoring", "interfaces": ifaces})
}

#[test]
fn traffic_without_previous_is_the_whole_counter() {
    let m = run(&with_interfaces(&[iface(
        "br-lan",
        &json!({"rx_bytes": 324, "tx_bytes": 145}),
    )]));
    let traffic = by_name(&m, "br-lan traffic");
    assert_eq!(traffic.kind, kind::TRAFFIC);
    assert_eq!(traffic.main_tags["ifname"], "br_lan");
    assert_eq!(field(traffic, "rx_bytes"), &FieldValue::Int(324));
    assert_eq!(field(traffic, "tx_bytes"), &FieldValue::Int(145));
    let p = &traffic.points[0];
    assert_eq!(p.measurement, "traffic");
    assert_eq!(p.time_us, T);
    assert_eq!(p.tags["content_type"], "config.device");
    assert_eq!(p.tags["object_id"], "d9d2e0c6-1b2a-4c8e-9f0a-0123456789ab");
    assert_eq!(
        p.tags["organization_id"],
        "a0000000-0000-4000-8000-000000000001"
    );
    assert_eq!(p.tags["ifname"], "br_lan");
    assert!(!p.tags.contains_key("location_id"));
}

#[test]
fn traffic_delta_and_reset() {
    let prev = PreviousCounters::from_snapshot(&with_interfaces(&[
        iface("wlan0", &json!({"rx_bytes": 324, "tx_bytes": 145})),
        iface("wlan1", &json!({"rx_bytes": 2275})),
    ]));
    let cur = doc(&with_interfaces(&[
        iface("wlan0", &json!({"rx_bytes": 983, "tx_bytes": 100})),
        iface("wlan1", &json!({"rx_bytes": 2275, "tx_bytes": 7})),
        iface("eth0", &json!({"tx_bytes": 5})),
    ]));
    let m = derive(&device(), &prev, &cur, T);
    let w0 = by_name(&m, "wlan0 traffic");
    assert_eq!(field(w0, "rx_bytes"), &FieldValue::Int(983 - 324));
    assert_eq!(
        field(w0, "tx_bytes"),
        &FieldValue::Int(100),
        "reset keeps the new counter"
    );
    let w1 = by_name(&m, "wlan1 traffic");
    assert_eq!(field(w1, "rx_bytes"), &FieldValue::Int(0));
    assert_eq!(
        field(w1, "tx_bytes"),
        &FieldValue::Int(7),
        "no previous tx: from zero"
    );
    let e0 = by_name(&m, "eth0 traffic");
    assert_eq!(
        field(e0, "rx_bytes"),
        &FieldValue::Int(0),
        "missing rx counts as 0"
    );
}

#[test]
fn no_byte_counters_no_traffic() {
    let m = run(&with_interfaces(&[
        iface("a", &json!({"rx_packets": 5})),
        json!({"name": "b"}),
    ]));
    assert!(m.is_empty(), "{:?}", names(&m));
}

#[test]
fn previous_from_snapshot_reads_integral_floats_and_last_duplicate() {
    let prev = PreviousCounters::from_snapshot(&with_interfaces(&[
        iface("x", &json!({"rx_bytes": 1})),
        iface("x", &json!({"rx_bytes": 1.5e14, "tx_bytes": "7"})),
    ]));
    assert_eq!(prev.get("x", previous::Direction::Rx), 150_000_000_000_000);
    assert_eq!(prev.get("x", previous::Direction::Tx), 0);
    assert_eq!(prev.get("y", previous::Direction::Rx), 0);
    let typed = PreviousCounters::from_document(&doc(&with_interfaces(&[iface(
        "x",
        &json!({"rx_bytes": 9}),
    )])));
    assert_eq!(typed.get("x", previous::Direction::Rx), 9);
}

#[test]
fn huge_delta_saturates_at_i64() {
    let m = run(&with_interfaces(&[iface(
        "x",
        &json!({"rx_bytes": u64::MAX}),
    )]));
    assert_eq!(
        field(by_name(&m, "x traffic"), "rx_bytes"),
        &FieldValue::Int(i64::MAX)
    );
}

#[test]
fn location_and_floorplan_tags_on_traffic_and_clients_only() {
    let mut dev = device();
    dev.location_id = Some(Uuid::from_u128(7));
    dev.floorplan_id = Some(Uuid::from_u128(8));
    let v = json!({"type": "DeviceMonitoring",
        "resources": {"load": [0.5, 0.1, 0.0], "cpus": 2},
        "interfaces": [{"name": "wlan0", "statistics": {"rx_bytes": 1},
            "wireless": {"ssid": "s", "mode": "access_point", "channel": 1, "frequency": 2412,
                "tx_power": 1, "noise": -90, "country": "US", "clients": []}}]});
    let m = derive(&dev, &PreviousCounters::none(), &doc(&v), T);
    for name in ["wlan0 traffic", "wlan0 wifi clients"] {
        let metric = by_name(&m, name);
        assert_eq!(
            metric.extra_tags["location_id"],
            Uuid::from_u128(7).to_string()
        );
        assert_eq!(
            metric.extra_tags["floorplan_id"],
            Uuid::from_u128(8).to_string()
        );
    }
    let cpu = by_name(&m, "CPU usage");
    assert!(cpu.extra_tags.is_empty() && cpu.main_tags.is_empty());
    assert_eq!(
        cpu.points[0].tags.keys().collect::<Vec<_>>(),
        ["content_type", "object_id"]
    );
    assert!(
        by_name(&m, "wlan0 wifi clients").points.is_empty(),
        "metric kept without points"
    );
}

fn wifi(clients: &[&str]) -> Value {
    let clients: Vec<Value> = clients
        .iter()
        .map(|mac| json!({"mac": mac, "auth": true, "authorized": true, "ht": true, "vht": false, "wmm": true, "mfp": false}))
        .collect();
    json!({"type": "DeviceMonitoring", "interfaces": [{"name": "wlan1",
        "wireless": {"ssid": "s", "mode": "access_point", "channel": 1, "frequency": 2412,
            "tx_power": 1, "noise": -90, "country": "US", "clients": clients}}]})
}

#[test]
fn one_client_point_per_mac_one_microsecond_apart() {
    let m = run(&wifi(&[
        "aa:00:00:00:00:01",
        "aa:00:00:00:00:02",
        "aa:00:00:00:00:03",
    ]));
    let c = by_name(&m, "wlan1 wifi clients");
    assert_eq!(c.kind.key, "wifi_clients");
    assert_eq!(c.kind.configuration, "clients");
    let got: Vec<(i64, &FieldValue)> = c
        .points
        .iter()
        .map(|p| (p.time_us, &p.fields["clients"]))
        .collect();
    assert_eq!(
        got,
        [
            (T, &FieldValue::Str("aa:00:00:00:00:01".into())),
            (T + 1, &FieldValue::Str("aa:00:00:00:00:02".into())),
            (T + 2, &FieldValue::Str("aa:00:00:00:00:03".into())),
        ]
    );
}

fn resources(res: &Value) -> Vec<Metric> {
    run(&json!({"type": "DeviceMonitoring", "resources": res}))
}

#[test]
fn cpu_from_load_and_cpus() {
    let m = resources(&json!({"load": [1, 0.5, 0.25], "cpus": 4}));
    let cpu = by_name(&m, "CPU usage");
    assert_eq!(cpu.points[0].measurement, "cpu");
    assert_eq!(field(cpu, "cpu_usage"), &FieldValue::Float(25.0));
    assert_eq!(field(cpu, "load_1"), &FieldValue::Float(1.0));
    assert_eq!(field(cpu, "load_5"), &FieldValue::Float(0.5));
    assert_eq!(field(cpu, "load_15"), &FieldValue::Float(0.25));
    // Python: 100 * 0.07 / 3 == 2.3333333333333335
    let m = resources(&json!({"load": [0.07, 0, 0], "cpus": 3}));
    assert_eq!(
        field(by_name(&m, "CPU usage"), "cpu_usage"),
        &FieldValue::Float(2.333_333_333_333_333_5)
    );
}

#[test]
fn cpu_needs_load_and_nonzero_cpus() {
    assert!(resources(&json!({"load": [1, 1, 1]})).is_empty());
    assert!(resources(&json!({"cpus": 1})).is_empty());
    assert!(resources(&json!({"load": [1, 1, 1], "cpus": 0})).is_empty());
    assert!(resources(&json!({"load": [], "cpus": 1})).is_empty());
    let m = resources(&json!({"load": [2], "cpus": 1}));
    let cpu = by_name(&m, "CPU usage");
    assert_eq!(cpu.points[0].fields.len(), 2, "only the loads sent");
}

#[test]
fn disk_aggregates_partitions() {
    let d = |used: u64, size: u64| json!({"filesystem": "f", "mount_point": "/", "size_bytes": size, "used_bytes": used, "available_bytes": 0, "used_percent": 0});
    let m = resources(&json!({"disk": [d(18_792, 258_016), d(3_872, 16_112)]}));
    assert_eq!(
        field(by_name(&m, "Disk usage"), "used_disk"),
        &FieldValue::Float(8.267_670_577_248_584)
    );
    let m = resources(&json!({"disk": [d(0, 0)]}));
    assert_eq!(
        field(by_name(&m, "Disk usage"), "used_disk"),
        &FieldValue::Float(100.0)
    );
    let m = resources(&json!({"disk": []}));
    assert_eq!(
        field(by_name(&m, "Disk usage"), "used_disk"),
        &FieldValue::Float(100.0)
    );
}

fn mem(extra: &Value) -> Value {
    let mut m =
        json!({"total": 249_774_080, "free": 224_497_664, "buffered": 974_848, "shared": 86_016});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    json!({"memory": m})
}

#[test]
fn memory_available_rule() {
    // Python: 100 * (1 - (224497664 + 974848) / 249774080) == 9.729419481797308
    let from_free = FieldValue::Float(9.729_419_481_797_308);
    let m = resources(&mem(&json!({})));
    let memory = by_name(&m, "Memory usage");
    assert_eq!(field(memory, "percent_used"), &from_free);
    assert!(!memory.points[0].fields.contains_key("available_memory"));
    assert!(!memory.points[0].fields.contains_key("cached_memory"));
    assert_eq!(field(memory, "total_memory"), &FieldValue::Int(249_774_080));
    assert_eq!(field(memory, "free_memory"), &FieldValue::Int(224_497_664));
    assert_eq!(field(memory, "buffered_memory"), &FieldValue::Int(974_848));
    assert_eq!(field(memory, "shared_memory"), &FieldValue::Int(86_016));

    let m = resources(&mem(&json!({"available": 2_232_664, "cached": 5})));
    let memory = by_name(&m, "Memory usage");
    assert_eq!(
        field(memory, "percent_used"),
        &from_free,
        "available < free: free is used"
    );
    assert_eq!(
        field(memory, "available_memory"),
        &FieldValue::Int(2_232_664)
    );
    assert_eq!(field(memory, "cached_memory"), &FieldValue::Int(5));

    // Python: 100 * (1 - (230000000 + 974848) / 249774080) == 7.527...
    let m = resources(&mem(&json!({"available": 230_000_000})));
    let want = 100.0 * (1.0 - (230_000_000.0 + 974_848.0) / 249_774_080.0);
    assert_eq!(
        field(by_name(&m, "Memory usage"), "percent_used"),
        &FieldValue::Float(want)
    );
}

#[test]
fn memory_with_zero_total_is_not_written() {
    assert!(
        resources(&json!({"memory": {"total": 0, "free": 0, "buffered": 0, "shared": 0}}))
            .is_empty()
    );
}

fn mobile(signal: &Value) -> Vec<Metric> {
    run(
        &json!({"type": "DeviceMonitoring", "interfaces": [{"name": "wwan.0", "mobile": {
        "imei": "300000000000000", "operator_code": "22210", "operator_name": "x",
        "connection_status": "connected", "power_status": "on", "manufacturer": "m", "model": "m",
        "signal": signal}}]}),
    )
}

fn fields(metric: &Metric) -> Vec<(&str, &FieldValue)> {
    metric.points[0]
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect()
}

#[test]
fn lte_signal_metrics() {
    let m = mobile(&json!({"lte": {"rssi": -51, "rsrp": -75, "rsrq": -8, "snr": 13}}));
    assert_eq!(
        names(&m),
        ["signal strength", "signal quality", "access technology"]
    );
    for metric in &m {
        assert_eq!(metric.points[0].measurement, "signal");
        assert_eq!(metric.main_tags["ifname"], "wwan_0");
        assert!(metric.extra_tags.is_empty());
    }
    assert_eq!(
        fields(&m[0]),
        [
            ("signal_power", &Float(-75.0)),
            ("signal_strength", &Float(-51.0))
        ]
    );
    assert_eq!(
        fields(&m[1]),
        [("signal_quality", &Float(-8.0)), ("snr", &Float(13.0))]
    );
    assert_eq!(fields(&m[2]), [("access_tech", &Int(4))]);
}

#[test]
fn umts_uses_rscp_and_ecio() {
    let m = mobile(&json!({"umts": {"rssi": -69, "ecio": -5, "rscp": -90}}));
    assert_eq!(
        fields(&m[0]),
        [
            ("signal_power", &Float(-90.0)),
            ("signal_strength", &Float(-69.0))
        ]
    );
    assert_eq!(fields(&m[1]), [("snr", &Float(-5.0))]);
    assert_eq!(fields(&m[2]), [("access_tech", &Int(3))]);
}

#[test]
fn snr_precedence_sinr_then_ecio_then_snr() {
    let m = mobile(&json!({"evdo": {"rssi": -60, "ecio": -3, "io": -70, "sinr": 9, "snr": 1}}));
    assert_eq!(
        field(by_name(&m, "signal quality"), "snr"),
        &FieldValue::Float(9.0)
    );
    assert_eq!(
        field(by_name(&m, "access technology"), "access_tech"),
        &FieldValue::Int(2)
    );
}

#[test]
fn gsm_rssi_only_has_no_quality() {
    let m = mobile(&json!({"gsm": {"rssi": -70}}));
    assert_eq!(names(&m), ["signal strength", "access technology"]);
    assert_eq!(field(&m[1], "access_tech"), &FieldValue::Int(0));
}

#[test]
fn lte_rsrq_only_has_no_strength() {
    let m = mobile(&json!({"lte": {"rsrq": -8}}));
    assert_eq!(names(&m), ["signal quality", "access technology"]);
    assert_eq!(
        fields(&m[0]),
        [("signal_quality", &FieldValue::Float(-8.0))]
    );
}

#[test]
fn section_choice() {
    assert!(mobile(&json!({})).is_empty());
    assert!(
        mobile(&json!({"threshold": {"rssi": -1}})).is_empty(),
        "unknown lone section"
    );
    let m = mobile(&json!({"lte": {"rssi": -51}, "umts": {"ecio": 2, "rssi": -80}}));
    assert_eq!(
        field(by_name(&m, "access technology"), "access_tech"),
        &FieldValue::Int(4)
    );
    assert_eq!(
        field(by_name(&m, "signal strength"), "signal_strength"),
        &FieldValue::Float(-51.0)
    );
    let m = mobile(&json!({"threshold": {"x": 1}, "gsm": {"rssi": -70}}));
    assert_eq!(
        field(by_name(&m, "access technology"), "access_tech"),
        &FieldValue::Int(0)
    );
}

#[test]
fn kinds_table_matches_the_reference() {
    let rows: Vec<(&str, &str, &str)> = kind::ALL
        .iter()
        .map(|k| (k.configuration, k.key, k.field_name))
        .collect();
    assert_eq!(
        rows,
        [
            ("traffic", "traffic", "rx_bytes"),
            ("signal_strength", "signal", "signal_strength"),
            ("signal_quality", "signal", "signal_quality"),
            ("access_tech", "signal", "access_tech"),
            ("clients", "wifi_clients", "clients"),
            ("cpu", "cpu", "cpu_usage"),
            ("disk", "disk", "used_disk"),
            ("memory", "memory", "percent_used"),
        ]
    );
}

proptest! {
    #[test]
    fn increment_is_never_negative_and_adds_up(value in any::<u64>(), previous in any::<u64>()) {
        let inc = increment(value, previous);
        prop_assert!(inc <= value);
        if value >= previous {
            prop_assert_eq!(previous + inc, value);
        } else {
            prop_assert_eq!(inc, value, "a reset keeps the whole new counter");
        }
    }

    /// Over a sequence of counter readings with resets, the deltas add up to the bytes
    /// really counted: each run between resets contributes its growth, plus the value
    /// reached after each reset.
    #[test]
    fn deltas_add_up_across_resets(readings in proptest::collection::vec(0u64..1 << 40, 1..20)) {
        let mut previous = PreviousCounters::none();
        let mut total: u128 = 0;
        let mut last = 0u64;
        let mut expected: u128 = 0;
        for (i, r) in readings.iter().enumerate() {
            let d = doc(&with_interfaces(&[iface("eth0", &json!({"rx_bytes": r}))]));
            let m = derive(&device(), &previous, &d, T + i64::try_from(i).unwrap());
            let FieldValue::Int(delta) = field(by_name(&m, "eth0 traffic"), "rx_bytes") else {
                panic!("traffic is an integer field");
            };
            prop_assert!(*delta >= 0);
            total += u128::try_from(*delta).unwrap();
            expected += u128::from(if *r >= last { r - last } else { *r });
            last = *r;
            previous = PreviousCounters::from_document(&d);
        }
        prop_assert_eq!(total, expected);
    }

    #[test]
    fn memory_percent_is_a_percentage(total in 1u64..1 << 40, free_part in 0.0f64..1.0, buf_part in 0.0f64..1.0) {
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (free, buffered) = {
            let free = (total as f64 * free_part) as u64;
            (free, ((total - free) as f64 * buf_part) as u64)
        };
        let m = Memory { total, free, buffered, shared: 0, ..Memory::default() };
        let p = resources::percent_used(&m).unwrap();
        prop_assert!((0.0..=100.0).contains(&p), "{p}");
    }

    /// Whatever sections are present, the choice is the most evolved known one.
    #[test]
    fn section_choice_is_most_evolved(present in proptest::collection::btree_set(0usize..6, 1..6)) {
        let mut signal = serde_json::Map::new();
        for &i in &present {
            let name = edgemon_shared::netjson::ACCESS_TECHNOLOGIES[i];
            signal.insert(name.into(), json!({"rssi": -50, "ecio": -1, "io": -1, "sinr": 1}));
        }
        let m = mobile(&Value::Object(signal));
        let want = i64::try_from(*present.iter().max().unwrap()).unwrap();
        prop_assert_eq!(field(by_name(&m, "access technology"), "access_tech"), &FieldValue::Int(want));
    }
}
