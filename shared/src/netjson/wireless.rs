//! Radio links: `wireless` (WiFi interface and its clients) and `mobile` (cellular modem).

use super::{Extra, num};
use serde::{Deserialize, Serialize};

/// A WiFi interface. The schema requires `channel`, `country`, `frequency`, `mode`, `noise`,
/// `ssid` and `tx_power`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Wireless {
    pub ssid: String,
    /// `access_point`, `station`, `802.11s`, `adhoc`, or the driver's word.
    pub mode: String,
    #[serde(deserialize_with = "num::i64")]
    pub channel: i64,
    /// MHz.
    #[serde(deserialize_with = "num::i64")]
    pub frequency: i64,
    /// dBm.
    #[serde(deserialize_with = "num::i64")]
    pub tx_power: i64,
    /// dBm.
    #[serde(deserialize_with = "num::i64")]
    pub noise: i64,
    /// ISO 3166 country code of the regulatory domain.
    pub country: String,
    /// dBm.
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub signal: Option<i64>,
    /// `HT20`, `VHT80`, `HE40`, `NOHT`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub htmode: Option<String>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub quality: Option<i64>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub quality_max: Option<i64>,
    /// kbit/s as iwinfo reports it (the reference server shows it in Mbit/s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Vec<WirelessClient>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A station associated with a WiFi interface. The schema requires `mac`, `auth`,
/// `authorized`, `ht`, `vht`, `wmm` and `mfp`.
// The schema's capability flags are booleans; an enum would not round-trip them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WirelessClient {
    pub mac: String,
    pub auth: bool,
    pub authorized: bool,
    pub ht: bool,
    pub vht: bool,
    pub wmm: bool,
    pub mfp: bool,
    /// WiFi 6 capability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub he: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assoc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preauth: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wds: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wps: Option<bool>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub aid: Option<i64>,
    /// dBm.
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub signal: Option<i64>,
    /// dBm.
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub noise: Option<i64>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub bitrate: Option<i64>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub quality: Option<i64>,
    #[serde(
        default,
        deserialize_with = "num::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub quality_max: Option<i64>,
    /// Radio resource management capabilities: exactly five integers.
    #[serde(
        default,
        deserialize_with = "num::opt_vec_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub rrm: Option<Vec<i64>>,
    /// hostapd taxonomy signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Added by the server from the MAC's OUI; agents do not send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A cellular modem (ModemManager). The schema requires every member but `signal`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mobile {
    /// 15 to 17 digits.
    pub imei: String,
    /// MCC+MNC, 4 to 6 digits.
    pub operator_code: String,
    pub operator_name: String,
    /// ModemManager's state, e.g. `connected`, `registered`.
    pub connection_status: String,
    /// ModemManager's power state, e.g. `on`, `low`.
    pub power_status: String,
    pub manufacturer: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
    /// edgemon extension: the access technologies the modem reports in use
    /// (ModemManager's `access-technologies`, e.g. `["lte"]`); the reference only infers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_technologies: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The technologies a `signal` object can carry, from the least to the most evolved; the
/// index is the reference's `access_tech` metric value.
pub const ACCESS_TECHNOLOGIES: [&str; 6] = ["gsm", "cdma1x", "evdo", "umts", "lte", "5g"];

/// Signal readings per technology (`mmcli --signal-get`). `lte` and `5g` need at least one
/// of `rssi`, `rsrp`, `rsrq`, `snr`; `umts` needs `ecio`; `gsm` needs `rssi`;
/// `cdma1x` needs `rssi` and `ecio`; `evdo` needs `rssi`, `ecio`, `io` and `sinr`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsm: Option<SignalValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdma1x: Option<SignalValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evdo: Option<SignalValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub umts: Option<SignalValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<SignalValues>,
    #[serde(rename = "5g", default, skip_serializing_if = "Option::is_none")]
    pub nr5g: Option<SignalValues>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Signal {
    /// The sections present, keyed by their [`ACCESS_TECHNOLOGIES`] name.
    pub fn sections(&self) -> impl Iterator<Item = (&'static str, &SignalValues)> {
        [
            &self.gsm,
            &self.cdma1x,
            &self.evdo,
            &self.umts,
            &self.lte,
            &self.nr5g,
        ]
        .into_iter()
        .zip(ACCESS_TECHNOLOGIES)
        .filter_map(|(section, name)| section.as_ref().map(|v| (name, v)))
    }
}

/// Readings of one technology, in dBm or dB.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SignalValues {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsrp: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsrq: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rscp: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sinr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<f64>,
    #[serde(flatten)]
    pub extra: Extra,
}
