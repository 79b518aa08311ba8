//! One case per validation rule, with payloads of our own. Each expected verdict is what
//! python-jsonschema says for the reference schema (checked with tests/tests/conformance/
//! oracle.py when the case was written).

use super::*;
use serde_json::Value;

/// The expected rejection: (path, message); `None` when the document is valid.
type Verdict = Option<(&'static str, &'static str)>;

/// (name, document, expected verdict)
const CASES: &[(&str, &str, Verdict)] = &[
    (
        "root_must_be_an_object",
        r"[]",
        Some(("", "[] is not of type 'object'")),
    ),
    (
        "type_is_required",
        r"{}",
        Some(("", "'type' is a required property")),
    ),
    (
        "type_must_be_device_monitoring",
        r#"{"type": "Foo"}"#,
        Some(("type", "'Foo' is not one of ['DeviceMonitoring']")),
    ),
    (
        "integral_float_is_an_integer",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "eth0", "mtu": 1500.0}]}"#,
        None,
    ),
    (
        "fractional_number_is_not_an_integer",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "eth0", "mtu": 1.5}]}"#,
        Some(("interfaces/0/mtu", "1.5 is not of type 'integer'")),
    ),
    (
        "boolean_is_not_an_integer",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "eth0", "mtu": true}]}"#,
        Some(("interfaces/0/mtu", "True is not of type 'integer'")),
    ),
    (
        "load_items_are_numbers",
        r#"{"type": "DeviceMonitoring", "resources": {"load": [0.5, 1, 2.25]}}"#,
        None,
    ),
    (
        "string_load_is_rejected",
        r#"{"type": "DeviceMonitoring", "resources": {"load": ["0.5"]}}"#,
        Some(("resources/load/0", "'0.5' is not of type 'number'")),
    ),
    (
        "misplaced_min_items_in_load_ranks_below_type",
        r#"{"type": "DeviceMonitoring", "resources": {"load": [[1]]}}"#,
        Some(("resources/load/0", "[1] is not of type 'number'")),
    ),
    (
        "misplaced_max_items_in_load_ranks_below_type",
        r#"{"type": "DeviceMonitoring", "resources": {"load": [[1, 2, 3, 4]]}}"#,
        Some(("resources/load/0", "[1, 2, 3, 4] is not of type 'number'")),
    ),
    (
        "ipv6_scope_id_is_not_an_ipv6",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "e", "addresses": [{"proto": "static", "family": "ipv6", "address": "fe80::1%eth0", "mask": 64}]}]}"#,
        Some((
            "interfaces/0/addresses/0/address",
            "'fe80::1%eth0' is not valid under any of the given schemas",
        )),
    ),
    (
        "neighbor_ip_must_be_a_string",
        r#"{"type": "DeviceMonitoring", "neighbors": [{"ip": 5, "interface": "br-lan"}]}"#,
        Some(("neighbors/0/ip", "5 is not of type 'string'")),
    ),
    (
        "extra_neighbor_members_are_listed_sorted",
        r#"{"type": "DeviceMonitoring", "neighbors": [{"ip": "::1", "interface": "br-lan", "extra": 1, "another": 2}]}"#,
        Some((
            "neighbors/0",
            "Additional properties are not allowed ('another', 'extra' were unexpected)",
        )),
    ),
    (
        "extra_disk_member_is_named",
        r#"{"type": "DeviceMonitoring", "resources": {"disk": [{"mount_point": "/", "filesystem": "f", "used_bytes": 1, "available_bytes": 1, "used_percent": 1, "size_bytes": 2, "inode": 3}]}}"#,
        Some((
            "resources/disk/0",
            "Additional properties are not allowed ('inode' was unexpected)",
        )),
    ),
    (
        "duplicate_interfaces_are_rejected",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "eth0"}, {"name": "eth0"}]}"#,
        Some((
            "interfaces",
            "[{'name': 'eth0'}, {'name': 'eth0'}] has non-unique elements",
        )),
    ),
    (
        "one_and_one_point_zero_are_equal_for_uniqueness",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "eth0", "mtu": 1}, {"name": "eth0", "mtu": 1.0}]}"#,
        Some((
            "interfaces",
            "[{'name': 'eth0', 'mtu': 1}, {'name': 'eth0', 'mtu': 1.0}] has non-unique elements",
        )),
    ),
    (
        "true_is_not_one_for_uniqueness",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "eth0", "up": true}, {"name": "eth0", "up": 1}]}"#,
        Some(("interfaces/1/up", "1 is not of type 'boolean'")),
    ),
    (
        "shallow_uniqueness_error_beats_deeper_required",
        r#"{"type": "DeviceMonitoring", "interfaces": [{}, {}]}"#,
        Some(("interfaces", "[{}, {}] has non-unique elements")),
    ),
    (
        "shallow_enum_error_beats_deeper_required",
        r#"{"type": "X", "interfaces": [{}]}"#,
        Some(("type", "'X' is not one of ['DeviceMonitoring']")),
    ),
    (
        "imei_too_short",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "m", "mobile": {"imei": "abc", "operator_code": "1234", "operator_name": "o", "connection_status": "c", "power_status": "p", "manufacturer": "m", "model": "m"}}]}"#,
        Some(("interfaces/0/mobile/imei", "'abc' is too short")),
    ),
    (
        "imei_too_long",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "m", "mobile": {"imei": "1234567890123456789", "operator_code": "1234", "operator_name": "o", "connection_status": "c", "power_status": "p", "manufacturer": "m", "model": "m"}}]}"#,
        Some((
            "interfaces/0/mobile/imei",
            "'1234567890123456789' is too long",
        )),
    ),
    (
        "imei_must_be_digits",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "m", "mobile": {"imei": "12345678901234a", "operator_code": "1234", "operator_name": "o", "connection_status": "c", "power_status": "p", "manufacturer": "m", "model": "m"}}]}"#,
        Some((
            "interfaces/0/mobile/imei",
            "'12345678901234a' does not match '^[0-9]*$'",
        )),
    ),
    (
        "imei_may_end_with_a_newline_as_python_dollar_allows",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "m", "mobile": {"imei": "123456789012345\n", "operator_code": "1234", "operator_name": "o", "connection_status": "c", "power_status": "p", "manufacturer": "m", "model": "m", "signal": {"lte": {"snr": 1}}}}]}"#,
        None,
    ),
    (
        "empty_5g_fails_any_of",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "m", "mobile": {"imei": "123456789012345", "operator_code": "1234", "operator_name": "o", "connection_status": "c", "power_status": "p", "manufacturer": "m", "model": "m", "signal": {"5g": {}}}}]}"#,
        Some((
            "interfaces/0/mobile/signal/5g",
            "{} is not valid under any of the given schemas",
        )),
    ),
    (
        "umts_requires_ecio",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "m", "mobile": {"imei": "123456789012345", "operator_code": "1234", "operator_name": "o", "connection_status": "c", "power_status": "p", "manufacturer": "m", "model": "m", "signal": {"umts": {"rscp": -90}}}}]}"#,
        Some((
            "interfaces/0/mobile/signal/umts",
            "'ecio' is a required property",
        )),
    ),
    (
        "rrm_needs_five_items",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": "w", "wireless": {"channel": 1, "country": "US", "frequency": 2412, "mode": "access_point", "noise": -95, "ssid": "s", "tx_power": 6, "clients": [{"mac": "a", "auth": true, "authorized": true, "ht": true, "vht": false, "wmm": true, "mfp": false, "rrm": [0, 0, 0, 0]}]}}]}"#,
        Some((
            "interfaces/0/wireless/clients/0/rrm",
            "[0, 0, 0, 0] is too short",
        )),
    ),
    (
        "leading_zero_ipv4_lease_is_rejected",
        r#"{"type": "DeviceMonitoring", "dhcp_leases": [{"expiry": 1.5, "ip": "192.168.1.01", "mac": "m", "client_name": "c", "client_id": "i"}]}"#,
        Some((
            "dhcp_leases/0/ip",
            "'192.168.1.01' is not valid under any of the given schemas",
        )),
    ),
    (
        "memory_requires_buffered",
        r#"{"type": "DeviceMonitoring", "resources": {"memory": {"total": 1, "free": 1}}}"#,
        Some(("resources/memory", "'buffered' is a required property")),
    ),
    (
        "general_uptime_is_an_integer",
        r#"{"type": "DeviceMonitoring", "general": {"uptime": "5", "hostname": 7}}"#,
        Some(("general/uptime", "'5' is not of type 'integer'")),
    ),
    (
        "interfaces_must_be_an_array",
        r#"{"type": "DeviceMonitoring", "interfaces": {}}"#,
        Some(("interfaces", "{} is not of type 'array'")),
    ),
    (
        "later_sibling_wins_a_tie",
        r#"{"type": "DeviceMonitoring", "interfaces": [{"name": 1}, {"name": 2}]}"#,
        Some(("interfaces/1/name", "2 is not of type 'string'")),
    ),
    (
        "later_member_wins_a_tie",
        r#"{"type": "DeviceMonitoring", "general": {"uptime": "5"}, "resources": {"cpus": "2"}}"#,
        Some(("resources/cpus", "'2' is not of type 'integer'")),
    ),
];

#[test]
fn each_rule_gives_the_reference_verdict() {
    for (name, doc, expected) in CASES {
        let value: Value = serde_json::from_str(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = validate(&value).err().map(|e| (e.path_string(), e.message));
        let expected = expected.map(|(p, m)| (p.to_owned(), m.to_owned()));
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn rejection_renders_like_the_reference() {
    let doc: Value =
        serde_json::from_str(r#"{"type": "DeviceMonitoring", "interfaces": [{}]}"#).unwrap();
    let err = validate(&doc).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid data in \"#/interfaces/0\", validator says:\n\n'name' is a required property"
    );
    let root = validate(&Value::Null).unwrap_err();
    assert_eq!(
        root.to_string(),
        "Invalid data in \"#/\", validator says:\n\nNone is not of type 'object'"
    );
}

#[test]
fn counters_the_schema_accepts_but_64_bits_cannot_hold_are_refused_with_their_path() {
    let body = br#"{"type": "DeviceMonitoring", "interfaces": [{"name": "eth0", "statistics": {"rx_bytes": -5}}]}"#;
    let value: Value = serde_json::from_slice(body).unwrap();
    assert!(
        validate(&value).is_ok(),
        "the reference accepts a negative counter"
    );
    match parse_and_validate(body) {
        Err(DocumentError::OutOfRange(e)) => {
            assert_eq!(e.path_string(), "interfaces/0/statistics/rx_bytes");
            assert!(e.message.contains("-5"), "{}", e.message);
        }
        other => panic!("expected OutOfRange, got {other:?}"),
    }
}

#[test]
fn parse_and_validate_keeps_the_raw_document_and_types_it() {
    let body = br#"{"type": "DeviceMonitoring", "custom": {"x": 1}, "interfaces": [{"name": "eth0", "mtu": 1500.0, "statistics": {"rx_bytes": 18446744073709551615}}]}"#;
    let v = parse_and_validate(body).unwrap();
    assert_eq!(v.raw["custom"]["x"], 1);
    let iface = &v.doc.interfaces.as_ref().unwrap()[0];
    assert_eq!(iface.mtu, Some(1500));
    assert_eq!(iface.statistics.as_ref().unwrap().rx_bytes, Some(u64::MAX));
    assert_eq!(v.doc.extra["custom"]["x"], 1);
    assert_eq!(
        parse_validated(body).unwrap(),
        v,
        "the worker's re-parse types the same"
    );
}

#[test]
fn parse_validated_still_refuses_what_64_bits_cannot_hold_with_its_path() {
    let body = br#"{"type": "DeviceMonitoring", "interfaces": [{"name": "eth0", "statistics": {"tx_bytes": 1e30}}]}"#;
    match parse_validated(body) {
        Err(DocumentError::OutOfRange(e)) => {
            assert_eq!(e.path_string(), "interfaces/0/statistics/tx_bytes");
        }
        other => panic!("expected OutOfRange, got {other:?}"),
    }
}

#[test]
fn malformed_json_is_a_parse_error() {
    let err = parse_and_validate(b"{\"type\": ").unwrap_err();
    assert!(matches!(err, DocumentError::Json(_)));
    assert!(err.to_string().starts_with("JSON parse error - "), "{err}");
}
