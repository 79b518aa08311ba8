//! ModemManager: `mmcli -J -m <modem>` and `mmcli -J -m <modem> --signal-get` -> `mobile`.
//! `--` (ModemManager's "unknown") is dropped everywhere; a section left empty is omitted.

use super::ParseError;
use edgemon_shared::netjson::{Mobile, Signal, SignalValues};
use serde_json::Value;

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))?
        .as_str()
        .filter(|s| *s != "--" && !s.is_empty())
}

/// The modem's identity and state. Fails when a member the reference schema requires is
/// unknown, since the server would reject the whole sample for it.
pub fn parse_modem(json: &str) -> Result<Mobile, ParseError> {
    let v: Value = serde_json::from_str(json)?;
    let m = v
        .get("modem")
        .ok_or_else(|| ParseError::new("no `modem` object"))?;
    let need = |path: &[&str]| {
        text(m, path)
            .map(str::to_owned)
            .ok_or_else(|| ParseError::new(format!("modem.{} is unknown", path.join("."))))
    };
    let access: Vec<String> = m
        .pointer("/generic/access-technologies")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|s| *s != "--")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(Mobile {
        imei: need(&["3gpp", "imei"])?,
        operator_code: need(&["3gpp", "operator-code"])?,
        operator_name: need(&["3gpp", "operator-name"])?,
        connection_status: need(&["generic", "state"])?,
        power_status: need(&["generic", "power-state"])?,
        manufacturer: need(&["generic", "manufacturer"])?,
        model: need(&["generic", "model"])?,
        signal: None,
        access_technologies: (!access.is_empty()).then_some(access),
        extra: edgemon_shared::netjson::Extra::new(),
    })
}

fn section(v: &Value, name: &str) -> Option<SignalValues> {
    let obj = v.get(name)?.as_object()?;
    let num = |k: &str| {
        obj.get(k)?
            .as_str()
            .filter(|s| *s != "--")?
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
    };
    let s = SignalValues {
        rssi: num("rssi"),
        rsrp: num("rsrp"),
        rsrq: num("rsrq"),
        snr: num("snr"),
        rscp: num("rscp"),
        ecio: num("ecio"),
        sinr: num("sinr"),
        io: num("io"),
        extra: edgemon_shared::netjson::Extra::new(),
    };
    (s != SignalValues::default()).then_some(s)
}

/// Signal per technology; `None` when no technology has a known value.
pub fn parse_signal(json: &str) -> Result<Option<Signal>, ParseError> {
    let v: Value = serde_json::from_str(json)?;
    let sig = v
        .pointer("/modem/signal")
        .ok_or_else(|| ParseError::new("no `modem.signal` object"))?;
    let s = Signal {
        gsm: section(sig, "gsm"),
        cdma1x: section(sig, "cdma1x"),
        evdo: section(sig, "evdo"),
        umts: section(sig, "umts"),
        lte: section(sig, "lte"),
        nr5g: section(sig, "5g"),
        extra: edgemon_shared::netjson::Extra::new(),
    };
    Ok((s != Signal::default()).then_some(s))
}

/// `mmcli -L -J`: the D-Bus paths of the modems ModemManager knows.
pub fn parse_list(json: &str) -> Result<Vec<String>, ParseError> {
    let v: Value = serde_json::from_str(json)?;
    let list = v
        .get("modem-list")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::new("no `modem-list` array"))?;
    list.iter()
        .map(|m| {
            m.as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| ParseError::new(format!("modem-list entry {m} is not a path")))
        })
        .collect()
}

/// Where a modem sits: its sysfs device (what netifd's `option device` names) and ports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ports {
    pub device: Option<String>,
    pub primary: Option<String>,
    /// Network ports (`wwan0 (net)` -> `wwan0`), in ModemManager's order.
    pub net: Vec<String>,
}

impl Ports {
    /// The interface the modem's data belongs to: the first net port that `exists`, else
    /// the primary port if it exists, else the first net port (or the primary port) as the
    /// name of an interface to create.
    pub fn interface(&self, exists: impl Fn(&str) -> bool) -> Option<String> {
        self.net
            .iter()
            .find(|p| exists(p))
            .or(self.primary.as_ref().filter(|p| exists(p)))
            .or(self.net.first())
            .or(self.primary.as_ref())
            .cloned()
    }
}

/// The device and ports of `mmcli -J -m <modem>`.
pub fn parse_ports(json: &str) -> Result<Ports, ParseError> {
    let v: Value = serde_json::from_str(json)?;
    let g = v
        .pointer("/modem/generic")
        .ok_or_else(|| ParseError::new("no `modem.generic` object"))?;
    let net = g
        .get("ports")
        .and_then(Value::as_array)
        .map(|ports| {
            ports
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|p| p.strip_suffix(" (net)"))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(Ports {
        device: text(g, &["device"]).map(str::to_owned),
        primary: text(g, &["primary-port"]).map(str::to_owned),
        net,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modem_list_paths() {
        assert_eq!(
            parse_list(r#"{"modem-list":["/org/freedesktop/ModemManager1/Modem/0","/org/freedesktop/ModemManager1/Modem/3"]}"#).unwrap(),
            ["/org/freedesktop/ModemManager1/Modem/0", "/org/freedesktop/ModemManager1/Modem/3"]
        );
        assert!(parse_list(r#"{"modem-list":[]}"#).unwrap().is_empty());
        assert!(parse_list(r#"{"modem-list":[7]}"#).is_err());
        assert!(parse_list(r#"{"modem-list":"#).is_err());
        assert!(parse_list("{}").is_err());
        assert!(parse_list("error: couldn't find the ModemManager process in the bus").is_err());
    }

    #[test]
    fn ports_pick_the_net_port_that_exists() {
        let p = parse_ports(
            r#"{"modem":{"generic":{"device":"/sys/devices/usb1/1-1","primary-port":"cdc-wdm0",
               "ports":["cdc-wdm0 (qmi)","ttyUSB2 (at)","wwan0 (net)","wwan1 (net)"]}}}"#,
        )
        .unwrap();
        assert_eq!(p.device.as_deref(), Some("/sys/devices/usb1/1-1"));
        assert_eq!(p.net, ["wwan0", "wwan1"]);
        assert_eq!(p.interface(|n| n == "wwan1").as_deref(), Some("wwan1"));
        assert_eq!(
            p.interface(|n| n == "cdc-wdm0").as_deref(),
            Some("cdc-wdm0")
        );
        assert_eq!(p.interface(|_| false).as_deref(), Some("wwan0"));
    }

    #[test]
    fn ports_without_a_net_port_or_anything() {
        let p = parse_ports(r#"{"modem":{"generic":{"primary-port":"ttyACM0","ports":["ttyACM0 (at)"],"device":"--"}}}"#)
            .unwrap();
        assert_eq!((p.device.as_deref(), p.net.len()), (None, 0));
        assert_eq!(p.interface(|_| false).as_deref(), Some("ttyACM0"));
        let none = parse_ports(r#"{"modem":{"generic":{}}}"#).unwrap();
        assert_eq!(none.interface(|_| true), None);
        assert!(parse_ports(r#"{"modem":{}}"#).is_err());
        assert!(parse_ports(r#"{"modem":{"generic":{"ports":["#).is_err());
    }

    const MODEM: &str = r#"{"modem":{"3gpp":{"imei":"123456789012345","operator-code":"22201",
        "operator-name":"Op"},"generic":{"state":"connected","power-state":"on",
        "manufacturer":"Acme","model":"X1","access-technologies":["lte"]}}}"#;

    #[test]
    fn identity_and_access_technology() {
        let m = parse_modem(MODEM).unwrap();
        assert_eq!(
            (m.imei.as_str(), m.operator_code.as_str()),
            ("123456789012345", "22201")
        );
        assert_eq!(m.access_technologies.unwrap(), ["lte"]);
    }

    #[test]
    fn unknown_required_member_or_truncation_fails() {
        assert!(parse_modem(&MODEM.replace("\"22201\"", "\"--\"")).is_err());
        assert!(parse_modem(&MODEM[..60]).is_err());
        assert!(parse_modem("error: couldn't find modem").is_err());
    }

    #[test]
    fn signal_drops_dashes_and_empty_sections() {
        let s = parse_signal(
            r#"{"modem":{"signal":{"refresh":{"rate":"10"},"gsm":{"rssi":"--"},
               "lte":{"rsrp":"-92.00","rsrq":"-9.00","rssi":"-64.00","snr":"19.20","error-rate":"--"},
               "5g":{"rsrp":"--","rsrq":"--","snr":"--"},"threshold":{"rssi":"0"}}}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.gsm, None);
        assert_eq!(s.nr5g, None);
        let lte = s.lte.unwrap();
        assert_eq!((lte.rsrp, lte.snr), (Some(-92.0), Some(19.2)));
    }

    #[test]
    fn signal_not_polled_or_broken() {
        assert_eq!(
            parse_signal(r#"{"modem":{"signal":{"lte":{"rssi":"--"}}}}"#).unwrap(),
            None
        );
        assert!(parse_signal("").is_err());
        assert!(parse_signal(r#"{"modem":{}}"#).is_err());
    }
}
