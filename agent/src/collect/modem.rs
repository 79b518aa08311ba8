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

#[cfg(test)]
mod tests {
    use super::*;

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
