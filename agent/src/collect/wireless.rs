//! WiFi: `network.wireless status`, `iwinfo info`, `iwinfo assoclist` and
//! `hostapd.<if> get_clients` (ubus) -> `interfaces[].wireless`.

use super::ParseError;
use edgemon_shared::netjson::{Extra, Wireless, WirelessClient};
use serde_json::{Map, Value};

/// One WiFi interface of `network.wireless status`, with its radio's configured HT mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadioInterface {
    pub ifname: String,
    pub htmode: Option<String>,
}

/// Interfaces of every radio, radios in name order. A reply without radios is `[]`.
pub fn parse_status(json: &str) -> Result<Vec<RadioInterface>, ParseError> {
    let v: Map<String, Value> = serde_json::from_str(json)?;
    let mut out = Vec::new();
    for radio in v.values() {
        let htmode = radio.pointer("/config/htmode").and_then(Value::as_str);
        let Some(ifaces) = radio.get("interfaces").and_then(Value::as_array) else {
            continue;
        };
        for ifname in ifaces.iter().filter_map(|i| i.get("ifname")?.as_str()) {
            if ifname != "lo" {
                out.push(RadioInterface {
                    ifname: ifname.to_owned(),
                    htmode: htmode.map(str::to_owned),
                });
            }
        }
    }
    Ok(out)
}

/// iwinfo's mode words -> NetJSON's.
pub fn map_mode(mode: &str) -> String {
    match mode {
        "Master" => "access_point",
        "Client" => "station",
        "Mesh Point" => "802.11s",
        "Ad-Hoc" => "adhoc",
        other => other,
    }
    .to_owned()
}

/// Whether the clients come from `iwinfo assoclist` (peers of a mesh/ad-hoc link, or the
/// AP a station is associated with) rather than from hostapd.
pub fn clients_from_assoclist(iwinfo_mode: &str) -> bool {
    matches!(iwinfo_mode, "Ad-Hoc" | "Mesh Point" | "Client")
}

/// `iwinfo info`: the `wireless` object and iwinfo's raw mode word, or `None` when the
/// interface is not fully up (no channel yet: the schema would reject it).
pub fn parse_info(
    json: &str,
    htmode: Option<&str>,
) -> Result<Option<(Wireless, String)>, ParseError> {
    let v: Value = serde_json::from_str(json)?;
    let int = |k: &str| v.get(k).and_then(Value::as_i64);
    let string = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (Some(channel), Some(frequency), Some(tx_power)) =
        (int("channel"), int("frequency"), int("txpower"))
    else {
        return Ok(None);
    };
    let mode = string("mode");
    let w = Wireless {
        ssid: string("ssid"),
        mode: map_mode(&mode),
        channel,
        frequency,
        tx_power,
        noise: int("noise").unwrap_or(0),
        country: string("country"),
        signal: int("signal"),
        htmode: htmode.map(str::to_owned),
        quality: int("quality"),
        quality_max: int("quality_max"),
        bitrate: v.get("bitrate").and_then(Value::as_f64),
        clients: None,
        extra: Extra::new(),
    };
    Ok(Some((w, mode)))
}

/// `iwinfo assoclist`: `{"results": [...]}` with iwinfo's names mapped to NetJSON's.
pub fn parse_assoclist(json: &str) -> Result<Vec<WirelessClient>, ParseError> {
    let v: Value = serde_json::from_str(json)?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::new("no `results` array"))?;
    let mut out = Vec::new();
    for r in results {
        let Some(mac) = r.get("mac").and_then(Value::as_str) else {
            continue;
        };
        let flag = |p: &str| r.pointer(p).and_then(Value::as_bool);
        let mut extra = Extra::new();
        for (from, to) in [
            ("signal_avg", "signal_avg"),
            ("mesh llid", "mesh_llid"),
            ("mesh plid", "mesh_plid"),
            ("mesh plink", "mesh_plink"),
            ("mesh local PS", "mesh_local_ps"),
            ("mesh peer PS", "mesh_peer_ps"),
            ("mesh non-peer PS", "mesh_non_peer_ps"),
        ] {
            if let Some(x) = r.get(from) {
                extra.insert(to.to_owned(), x.clone());
            }
        }
        // iwinfo's `thr` is kbit/s; the reference sends it x1000 (bit/s).
        if let Some(thr) = r.get("thr").and_then(Value::as_u64) {
            extra.insert("throughput".into(), Value::from(thr.saturating_mul(1000)));
        }
        out.push(WirelessClient {
            mac: mac.to_owned(),
            auth: flag("/authenticated").unwrap_or(false),
            authorized: flag("/authorized").unwrap_or(false),
            ht: flag("/rx/ht").unwrap_or(false),
            vht: flag("/rx/vht").unwrap_or(false),
            he: flag("/rx/he"),
            wmm: flag("/wme").unwrap_or(false),
            mfp: flag("/mfp").unwrap_or(false),
            signal: r.get("signal").and_then(Value::as_i64),
            noise: r.get("noise").and_then(Value::as_i64),
            extra,
            ..WirelessClient::default()
        });
    }
    Ok(out)
}

/// `hostapd.<if> get_clients`: each client's properties passed through, plus its `mac`.
/// A client whose properties lack a flag the schema requires is skipped.
pub fn parse_hostapd_clients(json: &str) -> Result<Vec<WirelessClient>, ParseError> {
    let v: Value = serde_json::from_str(json)?;
    let Some(clients) = v.get("clients").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    Ok(clients
        .iter()
        .filter_map(|(mac, props)| {
            let mut props = props.as_object()?.clone();
            props.insert("mac".into(), Value::from(mac.as_str()));
            serde_json::from_value(Value::Object(props)).ok()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists_interfaces_with_their_radio_htmode() {
        let s = parse_status(
            r#"{"radio0":{"config":{"htmode":"HE40"},"interfaces":[{"ifname":"phy0-ap0"},{"section":"x"}]},
                "radio1":{"config":{},"interfaces":[{"ifname":"phy1-mesh0"}]},"radio2":{"up":false}}"#,
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].htmode.as_deref(), Some("HE40"));
        assert_eq!(s[1].htmode, None);
        assert_eq!(parse_status("{}").unwrap(), vec![]);
        assert!(parse_status("[]").is_err());
    }

    #[test]
    fn info_maps_mode_and_needs_a_channel() {
        let (w, raw) = parse_info(
            r#"{"ssid":"cafe","mode":"Master","channel":36,"frequency":5180,"txpower":23,"noise":-95,
                "country":"DE","signal":-40,"quality":70,"quality_max":70,"bitrate":866700}"#,
            Some("VHT80"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (w.mode.as_str(), raw.as_str(), w.tx_power),
            ("access_point", "Master", 23)
        );
        assert_eq!(w.htmode.as_deref(), Some("VHT80"));
        assert_eq!(
            parse_info(
                r#"{"ssid":"x","mode":"Client","frequency":1,"txpower":1}"#,
                None
            )
            .unwrap(),
            None
        );
        assert!(parse_info(r#"{"ssid":"x","#, None).is_err());
    }

    #[test]
    fn assoclist_clients() {
        let c = parse_assoclist(
            r#"{"results":[{"mac":"AA:BB:CC:DD:EE:FF","authenticated":true,"authorized":true,"wme":true,
               "mfp":false,"signal":-50,"thr":1500,"mesh plink":"ESTAB","rx":{"ht":true,"vht":false,"he":true}},
               {"authenticated":true}]}"#,
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert!(c[0].auth && c[0].ht && c[0].wmm && !c[0].vht);
        assert_eq!(c[0].he, Some(true));
        assert_eq!(c[0].extra["throughput"], 1_500_000);
        assert_eq!(c[0].extra["mesh_plink"], "ESTAB");
        assert!(parse_assoclist("{}").is_err());
    }

    #[test]
    fn hostapd_clients_pass_through() {
        let c = parse_hostapd_clients(
            r#"{"freq":2412,"clients":{"aa:bb:cc:dd:ee:01":{"auth":true,"assoc":true,"authorized":true,
               "ht":true,"vht":false,"he":false,"wmm":true,"mfp":false,"aid":1,"rrm":[0,0,0,0,0],
               "bytes":{"rx":18446744073709551615,"tx":1},"signal":-61},
               "aa:bb:cc:dd:ee:02":{"auth":true}}}"#,
        )
        .unwrap();
        assert_eq!(
            c.len(),
            1,
            "the client without the required flags is skipped"
        );
        assert_eq!(c[0].mac, "aa:bb:cc:dd:ee:01");
        assert_eq!(c[0].extra["bytes"]["rx"], u64::MAX);
        assert_eq!(parse_hostapd_clients("{}").unwrap(), vec![]);
        assert!(parse_hostapd_clients("Command failed: Not found").is_err());
    }
}
