//! The simulated router's WiFi answers: `network.wireless status`, `iwinfo info` and
//! `assoclist`, and hostapd's `get_clients`, all built from the clients associated now.

use super::dynamics::At;
use super::profile::{Band, Profile, Radio};
use super::rng::{smooth, tag};
use serde_json::{Map, Value, json};

fn radio_by_ifname<'a>(p: &'a Profile, ifname: &str) -> Option<&'a Radio> {
    p.radios.iter().find(|r| r.ifname() == ifname)
}

/// `ubus call network.wireless status`.
pub fn status(p: &Profile) -> String {
    let mut out = Map::new();
    for r in &p.radios {
        let band = match r.band {
            Band::G2 => "2g",
            Band::G5 => "5g",
        };
        out.insert(
            format!("radio{}", r.index),
            json!({
                "up": true, "pending": false, "autostart": true, "disabled": false,
                "retry_setup_failed": false,
                "config": {
                    "path": format!("platform/soc/18000000.wifi+{}", r.index), "band": band,
                    "channel": r.channel.to_string(), "htmode": r.htmode, "country": "DE",
                    "txpower": r.txpower, "cell_density": 0,
                },
                "interfaces": [{
                    "section": format!("default_radio{}", r.index), "ifname": r.ifname(),
                    "config": {"ssid": r.ssid, "encryption": "sae-mixed", "mode": "ap", "network": ["lan"]},
                    "vlans": [], "stations": [],
                }],
            }),
        );
    }
    Value::Object(out).to_string()
}

fn clients_on<'a>(at: &'a At, r: &Radio) -> impl Iterator<Item = usize> + 'a {
    let index = r.index;
    at.clients()
        .into_iter()
        .filter(move |i| at.p.clients[*i].radio == index)
}

/// A client's signal now: its usual level plus drift.
fn signal(at: &At, i: usize) -> i64 {
    let c = &at.p.clients[i];
    c.signal
        + (4.0 * smooth(at.p.seed, tag("client-signal") ^ i as u64, at.t, 120.0)).round() as i64
}

fn noise(at: &At, r: &Radio) -> i64 {
    let wobble =
        (2.0 * smooth(at.p.seed, tag("noise") ^ r.index as u64, at.t, 300.0)).round() as i64;
    r.noise + wobble
}

/// `ubus call iwinfo info {"device":"<if>"}`; `None` for an unknown device.
pub fn info(at: &At, ifname: &str) -> Option<String> {
    let r = radio_by_ifname(at.p, ifname)?;
    let (hwmodes, htmodes): (&[&str], &[&str]) = match r.band {
        Band::G2 => (&["b", "g", "n", "ax"], &["HT20", "HT40", "HE20", "HE40"]),
        Band::G5 => (
            &["ac", "n", "ax"],
            &[
                "HT20", "HT40", "VHT20", "VHT40", "VHT80", "HE20", "HE40", "HE80",
            ],
        ),
    };
    Some(
        json!({
            "phy": format!("phy{}", r.index),
            "ssid": r.ssid,
            "bssid": super::profile::mac(at.p.seed, 2 + u8::try_from(r.index).unwrap_or(0)),
            "country": "DE",
            "mode": "Master",
            "channel": r.channel,
            "center_chan1": r.channel,
            "frequency": r.frequency(),
            "frequency_offset": 0,
            "txpower": r.txpower,
            "txpower_offset": 0,
            "quality_max": 70,
            "noise": noise(at, r),
            "htmodes": htmodes,
            "hwmodes": hwmodes,
            "hwmode": "ax",
            "htmode": r.htmode,
            "hardware": {"name": at.p.model.wifi_chip},
            "encryption": {"enabled": true, "wpa": [2, 3], "authentication": ["psk", "sae"], "ciphers": ["ccmp"]},
        })
        .to_string(),
    )
}

/// Bytes a client moved since it associated (mean rate scaled by the site's activity).
fn client_bytes(at: &At, i: usize) -> (u64, u64) {
    let since = at.t - at.joined(i).unwrap_or(at.t);
    let rate = at.p.down_rate / at.p.clients.len() as f64;
    let down = (rate * since * at.activity()) as u64;
    (down / 5, down)
}

/// `ubus call hostapd.<if> get_clients`; `None` for an unknown interface.
pub fn hostapd_clients(at: &At, ifname: &str) -> Option<String> {
    let r = radio_by_ifname(at.p, ifname)?;
    let mut clients = Map::new();
    for (aid, i) in clients_on(at, r).enumerate() {
        let c = &at.p.clients[i];
        let (rx, tx) = client_bytes(at, i);
        clients.insert(
            c.mac.clone(),
            json!({
                "auth": true, "assoc": true, "authorized": true, "preauth": false, "wds": false,
                "wmm": true, "ht": true, "vht": c.vht, "he": c.he, "wps": false, "mfp": c.mfp,
                "rrm": [0, 0, 0, 0, 0], "extended_capabilities": [0, 0, 0, 2],
                "aid": aid + 1,
                "signal": signal(at, i),
                "bytes": {"rx": rx, "tx": tx},
                "packets": {"rx": rx / 600, "tx": tx / 900},
                "rate": {"rx": 6_000 + 1_000 * (aid as u64 % 100), "tx": 72_200 * (1 + u64::from(c.vht) + u64::from(c.he))},
            }),
        );
    }
    Some(json!({"freq": r.frequency(), "clients": clients}).to_string())
}

/// `ubus call iwinfo assoclist {"device":"<if>"}`; `None` for an unknown device.
pub fn assoclist(at: &At, ifname: &str) -> Option<String> {
    let r = radio_by_ifname(at.p, ifname)?;
    let results: Vec<Value> = clients_on(at, r)
        .map(|i| {
            let c = &at.p.clients[i];
            let (rx, tx) = client_bytes(at, i);
            let connected = (at.t - at.joined(i).unwrap_or(at.t)) as u64;
            json!({
                "mac": c.mac.to_uppercase(), "signal": signal(at, i), "signal_avg": signal(at, i),
                "noise": noise(at, r), "inactive": 100, "connected_time": connected,
                "thr": 50_000, "authorized": true, "authenticated": true, "preamble": "short",
                "wme": true, "mfp": c.mfp, "tdls": false,
                "rx": {"bytes": rx, "packets": rx / 600, "ht": true, "vht": c.vht, "he": c.he, "mhz": 20, "rate": 6000},
                "tx": {"bytes": tx, "packets": tx / 900, "ht": true, "vht": c.vht, "he": c.he, "mhz": 20, "rate": 72200},
            })
        })
        .collect();
    Some(json!({ "results": results }).to_string())
}
