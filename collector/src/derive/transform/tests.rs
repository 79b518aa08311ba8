use super::*;
use proptest::prelude::*;
use serde_json::json;

const YUNLINK: &str = "Shenzhen Yunlink Technology Co., Ltd";

fn client(extra: &Value) -> Value {
    let mut c = json!({
        "mac": "44:d1:fa:00:00:01", "auth": true, "authorized": true,
        "ht": true, "vht": false, "wmm": true, "mfp": false
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn with_htmode(htmode: &str, client: &Value) -> Value {
    json!({"type": "DeviceMonitoring", "interfaces": [{
        "name": "wlan0",
        "wireless": {"htmode": htmode, "clients": [client]}
    }]})
}

fn transformed(mut doc: Value) -> Value {
    transform(&mut doc, Options::default());
    doc
}

fn first_client(doc: &Value) -> &Value {
    &doc["interfaces"][0]["wireless"]["clients"][0]
}

#[test]
fn noht_nulls_every_capability() {
    let doc = transformed(with_htmode("NOHT", &client(&json!({"he": true}))));
    let c = first_client(&doc);
    assert_eq!(
        (&c["ht"], &c["vht"], &c["he"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    // `he` is only nulled when present.
    let doc = transformed(with_htmode("NOHT", &client(&json!({}))));
    assert!(first_client(&doc).get("he").is_none());
}

#[test]
fn ht_modes_null_only_false_vht_and_he() {
    let doc = transformed(with_htmode("HT20", &client(&json!({"he": false}))));
    let c = first_client(&doc);
    assert_eq!(c["ht"], json!(true));
    assert_eq!(c["vht"], Value::Null);
    assert_eq!(c["he"], Value::Null);

    let doc = transformed(with_htmode(
        "HT40",
        &client(&json!({"vht": true, "he": true})),
    ));
    let c = first_client(&doc);
    assert_eq!((&c["vht"], &c["he"]), (&json!(true), &json!(true)));
}

#[test]
fn vht_modes_null_only_false_he() {
    let doc = transformed(with_htmode("VHT80", &client(&json!({"he": false}))));
    let c = first_client(&doc);
    assert_eq!(c["vht"], json!(false));
    assert_eq!(c["he"], Value::Null);
}

#[test]
fn he_and_unknown_modes_keep_everything() {
    for mode in ["HE40", "NEW_MODE", ""] {
        let doc = transformed(with_htmode(mode, &client(&json!({"he": false}))));
        let c = first_client(&doc);
        assert_eq!(
            (&c["vht"], &c["he"]),
            (&json!(false), &json!(false)),
            "{mode}"
        );
    }
}

#[test]
fn bitrate_becomes_mbit_rounded_like_python() {
    // Python: round(x / 1000, 1)
    for (kbit, mbit) in [
        (json!(1100), json!(1.1)),
        (json!(866_700), json!(866.7)),
        (json!(250), json!(0.2)), // 0.25 is an exact half: to even
        (json!(750), json!(0.8)),
        (json!(150), json!(0.1)), // 0.15 is below the half in binary
        (json!(0), json!(0.0)),
        (json!(1_234.5), json!(1.2)),
        (json!(-250), json!(-0.2)),
    ] {
        let mut doc = json!({"type": "DeviceMonitoring", "interfaces": [{"name": "w", "wireless": {"bitrate": kbit.clone()}}]});
        transform(&mut doc, Options::default());
        assert_eq!(doc["interfaces"][0]["wireless"]["bitrate"], mbit, "{kbit}");
    }
}

#[test]
fn signal_values_become_floats_in_every_section() {
    let mut doc = json!({"type": "DeviceMonitoring", "interfaces": [{"name": "m", "mobile": {"signal": {
        "lte": {"rssi": -51, "rsrq": -8.5},
        "threshold": {"rssi": 1, "flag": true, "text": " -3 ", "bad": "x", "none": null}
    }}}]});
    transform(&mut doc, Options::default());
    let signal = &doc["interfaces"][0]["mobile"]["signal"];
    assert!(signal["lte"]["rssi"].is_f64());
    assert_eq!(signal["lte"]["rssi"], json!(-51.0));
    assert_eq!(signal["lte"]["rsrq"], json!(-8.5));
    assert_eq!(signal["threshold"]["rssi"], json!(1.0));
    assert_eq!(signal["threshold"]["flag"], json!(1.0));
    assert_eq!(signal["threshold"]["text"], json!(-3.0));
    assert_eq!(
        signal["threshold"]["bad"],
        json!("x"),
        "kept where Python raises"
    );
    assert_eq!(signal["threshold"]["none"], Value::Null);
    // Rendered as Python's json.dumps renders floats.
    assert!(
        serde_json::to_string(signal)
            .unwrap()
            .contains("\"rssi\":-51.0")
    );
}

#[test]
fn vendors_on_clients_neighbours_and_leases() {
    let mut doc = json!({
        "type": "DeviceMonitoring",
        "interfaces": [{"name": "wlan0", "wireless": {"clients": [client(&json!({"vendor": "forged"}))]}}],
        "neighbors": [
            {"ip": "10.0.0.1", "interface": "br-lan", "mac": "44:D1:FA:00:00:02"},
            {"ip": "10.0.0.2", "interface": "br-lan", "state": "FAILED"},
            {"ip": "10.0.0.3", "interface": "br-lan", "mac": ""}
        ],
        "dhcp_leases": [
            {"expiry": 1, "ip": "10.0.0.4", "mac": "02:00:00:00:00:01", "client_name": "x", "client_id": "y"}
        ]
    });
    transform(&mut doc, Options::default());
    assert_eq!(
        first_client(&doc)["vendor"],
        json!(YUNLINK),
        "overwrites what was sent"
    );
    assert_eq!(doc["neighbors"][0]["vendor"], json!(YUNLINK));
    assert_eq!(doc["neighbors"][1]["vendor"], json!(""));
    assert_eq!(doc["neighbors"][2]["vendor"], json!(""));
    assert_eq!(doc["dhcp_leases"][0]["vendor"], json!(""), "unregistered");
}

#[test]
fn vendor_detection_off_adds_nothing() {
    let mut doc = json!({
        "type": "DeviceMonitoring",
        "interfaces": [{"name": "wlan0", "wireless": {"htmode": "HT20", "clients": [client(&json!({}))]}}],
        "neighbors": [{"ip": "10.0.0.1", "interface": "br-lan", "mac": "44:D1:FA:00:00:02"}]
    });
    transform(
        &mut doc,
        Options {
            mac_vendor_detection: false,
        },
    );
    assert!(first_client(&doc).get("vendor").is_none());
    assert!(doc["neighbors"][0].get("vendor").is_none());
    assert_eq!(
        first_client(&doc)["vht"],
        Value::Null,
        "htmode rules still apply"
    );
}

#[test]
fn member_order_and_unknown_members_are_kept() {
    let doc = json!({"type": "DeviceMonitoring", "zzz": {"a": 1}, "general": {"uptime": 5}, "interfaces": []});
    let out = transformed(doc.clone());
    assert_eq!(out, doc);
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&doc).unwrap()
    );
}

proptest! {
    /// Without a bitrate (the one rule that rescales), transforming a snapshot again
    /// changes nothing: floats stay floats, nulls stay null, vendors are the same.
    #[test]
    fn idempotent_without_bitrate(
        htmode in prop_oneof![Just("NOHT"), Just("HT20"), Just("VHT80"), Just("HE40"), Just("X")],
        ht in any::<bool>(), vht in any::<bool>(), he in proptest::option::of(any::<bool>()),
        rssi in -120i64..0,
    ) {
        let mut c = client(&json!({"ht": ht, "vht": vht}));
        if let Some(he) = he { c["he"] = json!(he); }
        let mut doc = with_htmode(htmode, &c);
        doc["interfaces"][0]["mobile"] = json!({"signal": {"gsm": {"rssi": rssi}}});
        let once = transformed(doc);
        let twice = transformed(once.clone());
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn capabilities_only_ever_become_null(
        htmode in "[A-Z]{0,4}[0-9]{0,3}", ht in any::<bool>(), vht in any::<bool>(), he in any::<bool>(),
    ) {
        let doc = transformed(with_htmode(&htmode, &client(&json!({"ht": ht, "vht": vht, "he": he}))));
        let c = first_client(&doc);
        for (key, was) in [("ht", ht), ("vht", vht), ("he", he)] {
            prop_assert!(c[key] == json!(was) || c[key].is_null());
        }
    }
}
