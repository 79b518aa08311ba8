//! The simulated router's ModemManager answers (`mmcli -J -m <modem>` and
//! `--signal-get`), with an LTE signal that drifts.

use super::dynamics::At;
use serde_json::json;

/// `mmcli -J -m <path>`; `None` without a modem.
pub fn modem(at: &At) -> Option<String> {
    let m = at.p.modem.as_ref()?;
    let quality = at
        .lte()
        .map_or(0.0, |l| ((l.rsrp + 125.0) * 2.2).clamp(0.0, 100.0));
    Some(
        json!({"modem": {
            "dbus-path": "/org/freedesktop/ModemManager1/Modem/0",
            "3gpp": {
                "imei": m.imei, "operator-code": m.operator_code, "operator-name": m.operator_name,
                "registration-state": "home", "pco": "--", "enabled-locks": [],
            },
            "cdma": {"activation-state": "--", "esn": "--", "meid": "--", "nid": "--", "sid": "--"},
            "generic": {
                "access-technologies": ["lte"],
                "bearers": ["/org/freedesktop/ModemManager1/Bearer/0"],
                "device": m.path,
                "drivers": ["qmi_wwan", "option"],
                "manufacturer": m.manufacturer,
                "model": m.model,
                "plugin": "quectel",
                "ports": ["cdc-wdm0 (qmi)", "ttyUSB2 (at)", "wwan0 (net)"],
                "power-state": "on",
                "primary-port": "cdc-wdm0",
                "revision": format!("{}R01A01M4G", m.model.replace('-', "")),
                "signal-quality": {"recent": "yes", "value": format!("{quality:.0}")},
                "state": "connected",
                "state-failed-reason": "--",
                "unlock-required": "--",
            },
        }})
        .to_string(),
    )
}

/// `mmcli -J -m <path> --signal-get`; `None` without a modem.
pub fn signal(at: &At) -> Option<String> {
    let l = at.lte()?;
    let f = |x: f64| format!("{x:.2}");
    Some(
        json!({"modem": {"signal": {
            "refresh": {"rate": "10"},
            "threshold": {"rssi": "0", "error-rate": "no"},
            "cdma1x": {"ecio": "--", "error-rate": "--", "rssi": "--"},
            "evdo": {"ecio": "--", "error-rate": "--", "io": "--", "rssi": "--", "sinr": "--"},
            "gsm": {"error-rate": "--", "rssi": "--"},
            "umts": {"ecio": "--", "error-rate": "--", "rscp": "--", "rssi": "--"},
            "lte": {"error-rate": "--", "rsrp": f(l.rsrp), "rsrq": f(l.rsrq), "rssi": f(l.rssi), "snr": f(l.snr)},
            "5g": {"error-rate": "--", "rsrp": "--", "rsrq": "--", "snr": "--"},
        }}})
        .to_string(),
    )
}
