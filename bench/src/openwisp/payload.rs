//! Simulated NetJSON DeviceMonitoring documents: a dual-band OpenWrt access point with a
//! WAN port, a LAN bridge, two radios with associated clients, DHCP leases and neighbours.
//!
//! Pure: the document of device `d` at round `r` is a function of `(d, r, time)` only, so
//! each run sends the same bytes. Counters grow every round (by a per-device rate), the
//! client list changes between rounds, and load, memory and uptime move, so the
//! collector's derivation does real work (traffic deltas, wifi_clients, sessions).

use serde::Serialize;
use serde_json::Value;

/// Seconds between two rounds of one device in simulated time (the agent's default
/// interval); also how much `uptime` grows per round.
pub const DEFAULT_INTERVAL_S: i64 = 300;

/// A stable pseudo-random number for `(device, salt)` (splitmix64): varies devices without
/// a random generator, so documents are reproducible.
fn mix(device: u32, salt: u64) -> u64 {
    let mut z = (u64::from(device) << 20 ^ salt).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A locally administered MAC address, unique per `(device, slot)`.
pub fn mac(device: u32, slot: u8) -> String {
    let [a, b, c, d] = device.to_be_bytes();
    format!("02:{a:02x}:{b:02x}:{c:02x}:{d:02x}:{slot:02x}")
}

/// The device's own hostname.
pub fn hostname(device: u32) -> String {
    format!("loadgen-ap-{device:05}")
}

/// Interface counters at `round`: `base + round × rate`, never decreasing.
fn counter(device: u32, salt: u64, round: u64, max_rate: u64) -> u64 {
    let base = mix(device, salt) % 1_000_000_000;
    let rate = 1 + mix(device, salt + 1) % max_rate;
    base + round * rate
}

/// An interface's counters (`statistics`).
#[derive(Debug, Serialize)]
struct Statistics {
    collisions: u64,
    multicast: u64,
    rx_bytes: u64,
    rx_dropped: u64,
    rx_errors: u64,
    rx_packets: u64,
    tx_bytes: u64,
    tx_dropped: u64,
    tx_errors: u64,
    tx_packets: u64,
}

fn statistics(device: u32, salt: u64, round: u64) -> Statistics {
    let rx_bytes = counter(device, salt, round, 50_000_000);
    let tx_bytes = counter(device, salt + 2, round, 10_000_000);
    Statistics {
        collisions: 0,
        multicast: counter(device, salt + 4, round, 100),
        rx_bytes,
        rx_dropped: counter(device, salt + 6, round, 3),
        rx_errors: 0,
        rx_packets: rx_bytes / 900,
        tx_bytes,
        tx_dropped: 0,
        tx_errors: 0,
        tx_packets: tx_bytes / 700,
    }
}

/// An associated WiFi client.
#[derive(Debug, Serialize)]
#[allow(clippy::struct_excessive_bools)] // the fields of `iwinfo assoclist`
struct Client {
    mac: String,
    auth: bool,
    assoc: bool,
    authorized: bool,
    ht: bool,
    vht: bool,
    he: bool,
    wmm: bool,
    mfp: bool,
    wds: bool,
    wps: bool,
    preauth: bool,
    aid: u64,
    signal: i64,
    noise: i64,
}

/// Associated clients of one radio at `round`: 1 to 6 of a pool of 8 per radio.
fn clients(device: u32, radio: u8, round: u64) -> Vec<Client> {
    let count = 1 + mix(device, round * 2 + u64::from(radio)) % 6;
    (0..count)
        .map(|i| {
            let slot = radio * 16 + u8::try_from((round + i) % 8).expect("below 8");
            let signal = -40 - i64::try_from(mix(device, u64::from(slot)) % 45).expect("small");
            Client {
                mac: mac(device, 0x80 | slot),
                auth: true,
                assoc: true,
                authorized: true,
                ht: true,
                vht: radio == 1,
                he: false,
                wmm: true,
                mfp: false,
                wds: false,
                wps: false,
                preauth: false,
                aid: i + 1,
                signal,
                noise: -95,
            }
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct Wireless {
    ssid: &'static str,
    mode: &'static str,
    channel: u32,
    frequency: u32,
    tx_power: u32,
    noise: i64,
    country: &'static str,
    htmode: &'static str,
    signal: i64,
    quality: u32,
    quality_max: u32,
    bitrate: u32,
    clients: Vec<Client>,
}

#[derive(Debug, Serialize)]
#[allow(clippy::struct_field_names)] // NetJSON's names
struct Address {
    address: String,
    mask: u32,
    family: &'static str,
    proto: &'static str,
}

/// One interface; the fields of its kind only.
#[derive(Debug, Serialize)]
struct Interface {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    up: bool,
    mac: String,
    mtu: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    speed: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    txqueuelen: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multicast: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stp: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bridge_members: Option<[&'static str; 4]>,
    statistics: Statistics,
    #[serde(skip_serializing_if = "Option::is_none")]
    addresses: Option<[Address; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wireless: Option<Wireless>,
}

impl Interface {
    fn new(name: &'static str, kind: &'static str, mac: String, statistics: Statistics) -> Self {
        Interface {
            name,
            kind,
            up: true,
            mac,
            mtu: 1500,
            speed: None,
            txqueuelen: None,
            multicast: None,
            stp: None,
            bridge_members: None,
            statistics,
            addresses: None,
            wireless: None,
        }
    }
}

fn radio(device: u32, radio: u8, round: u64) -> Interface {
    let (name, channel, frequency, htmode) = if radio == 0 {
        ("wlan0", 6, 2437, "HT20")
    } else {
        ("wlan1", 36, 5180, "VHT80")
    };
    Interface {
        txqueuelen: Some(1000),
        multicast: Some(true),
        wireless: Some(Wireless {
            ssid: "edgemon-loadgen",
            mode: "access_point",
            channel,
            frequency,
            tx_power: 20,
            noise: -95,
            country: "DE",
            htmode,
            signal: -50,
            quality: 60,
            quality_max: 70,
            bitrate: 144_400,
            clients: clients(device, radio, round),
        }),
        ..Interface::new(
            name,
            "wireless",
            mac(device, 0x10 + radio),
            statistics(device, 100 + u64::from(radio) * 10, round),
        )
    }
}

#[derive(Debug, Serialize)]
struct General {
    hostname: String,
    local_time: i64,
    uptime: u64,
}

#[derive(Debug, Serialize)]
struct Memory {
    total: u64,
    free: u64,
    shared: u64,
    buffered: u64,
    available: u64,
    cached: u64,
}

#[derive(Debug, Serialize)]
struct Swap {
    total: u64,
    free: u64,
}

#[derive(Debug, Serialize)]
struct Disk {
    filesystem: &'static str,
    mount_point: &'static str,
    size_bytes: u64,
    used_bytes: u64,
    available_bytes: u64,
    used_percent: u64,
}

#[derive(Debug, Serialize)]
struct Resources {
    load: [f64; 3],
    cpus: u32,
    memory: Memory,
    swap: Swap,
    disk: [Disk; 1],
}

#[derive(Debug, Serialize)]
struct Lease {
    expiry: i64,
    mac: String,
    ip: String,
    client_name: String,
    client_id: String,
}

#[derive(Debug, Serialize)]
struct Neighbor {
    ip: String,
    mac: String,
    interface: &'static str,
    state: &'static str,
}

/// A DeviceMonitoring document, typed: serialising it costs a fraction of building and
/// serialising the same document as a `serde_json::Value` (the load generator makes one
/// per request, on the cores the collector under test needs).
#[derive(Debug, Serialize)]
struct Monitoring {
    #[serde(rename = "type")]
    kind: &'static str,
    general: General,
    resources: Resources,
    interfaces: [Interface; 4],
    dhcp_leases: [Lease; 2],
    neighbors: [Neighbor; 1],
}

fn monitoring(device: u32, round: u64, time_s: i64) -> Monitoring {
    let uptime = 3600 + mix(device, 1) % 86_400 + round * 300;
    let load = |salt: u64| {
        f64::from(u32::try_from(mix(device, round ^ salt) % 200).expect("small")) / 100.0
    };
    let total: u64 = 268_435_456;
    let free = 60_000_000 + mix(device, round + 7) % 40_000_000;
    let net = format!("{}.{}", device >> 8 & 0xff, device & 0xff);
    let lease = |i: u8| Lease {
        expiry: time_s + 43_200,
        mac: mac(device, 0xa0 + i),
        ip: format!("10.{net}.{}", 100 + i),
        client_name: format!("client-{i}"),
        client_id: format!("01:{}", mac(device, 0xa0 + i)),
    };
    let address = |address: String, mask: u32, proto: &'static str| {
        Some([Address {
            address,
            mask,
            family: "ipv4",
            proto,
        }])
    };
    Monitoring {
        kind: "DeviceMonitoring",
        general: General {
            hostname: hostname(device),
            local_time: time_s,
            uptime,
        },
        resources: Resources {
            load: [load(11), load(13), load(17)],
            cpus: 2,
            memory: Memory {
                total,
                free,
                shared: 1_200_000,
                buffered: 5_000_000,
                available: free + 30_000_000,
                cached: 25_000_000,
            },
            swap: Swap { total: 0, free: 0 },
            disk: [Disk {
                filesystem: "/dev/ubi0_1",
                mount_point: "/overlay",
                size_bytes: 52_428_800,
                used_bytes: 8_388_608,
                available_bytes: 44_040_192,
                used_percent: 16,
            }],
        },
        interfaces: [
            Interface {
                speed: Some("1000F"),
                addresses: address(format!("198.18.{net}"), 15, "dhcp"),
                ..Interface::new(
                    "wan",
                    "ethernet",
                    mac(device, 1),
                    statistics(device, 10, round),
                )
            },
            Interface {
                stp: Some(false),
                bridge_members: Some(["lan1", "lan2", "wlan0", "wlan1"]),
                addresses: address(format!("10.{net}.1"), 24, "static"),
                ..Interface::new(
                    "br-lan",
                    "bridge",
                    mac(device, 2),
                    statistics(device, 20, round),
                )
            },
            radio(device, 0, round),
            radio(device, 1, round),
        ],
        dhcp_leases: [lease(1), lease(2)],
        neighbors: [Neighbor {
            ip: format!("10.{net}.101"),
            mac: mac(device, 0xa1),
            interface: "br-lan",
            state: "REACHABLE",
        }],
    }
}

/// The document device `device` sends at `round`, when its clock reads `time_s` (Unix
/// seconds), as JSON text.
pub fn document_bytes(device: u32, round: u64, time_s: i64) -> Vec<u8> {
    serde_json::to_vec(&monitoring(device, round, time_s)).expect("documents always encode")
}

/// [`document_bytes`] as a JSON value.
pub fn document(device: u32, round: u64, time_s: i64) -> Value {
    serde_json::to_value(monitoring(device, round, time_s)).expect("documents always encode")
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgemon_shared::validate::validate;
    use proptest::prelude::*;

    fn rx_bytes(doc: &Value, interface: usize) -> u64 {
        doc["interfaces"][interface]["statistics"]["rx_bytes"]
            .as_u64()
            .expect("rx_bytes")
    }

    #[test]
    fn a_document_is_the_size_of_a_real_access_point_report() {
        let bytes = serde_json::to_vec(&document(7, 3, 1_764_000_000)).expect("encode");
        // the reference's own test payload is about 2.8 KB; stay in that range
        assert!(
            (2_000..4_500).contains(&bytes.len()),
            "{} bytes",
            bytes.len()
        );
    }

    #[test]
    fn macs_are_unique_per_device_and_slot() {
        assert_eq!(mac(0x0102_0304, 0x81), "02:01:02:03:04:81");
        assert_ne!(mac(1, 2), mac(2, 1));
    }

    proptest! {
        #[test]
        fn every_document_is_valid(device in any::<u32>(), round in 0u64..1_000_000, time_s in 0i64..4_000_000_000) {
            let doc = document(device, round, time_s);
            prop_assert!(validate(&doc).is_ok(), "{:?}", validate(&doc).err());
        }

        #[test]
        fn the_bytes_are_the_document(device in any::<u32>(), round in 0u64..1_000_000, time_s in 0i64..4_000_000_000) {
            let parsed: Value = serde_json::from_slice(&document_bytes(device, round, time_s)).expect("JSON");
            prop_assert_eq!(parsed, document(device, round, time_s));
        }

        #[test]
        fn counters_grow_every_round(device in any::<u32>(), round in 0u64..1_000_000) {
            let now = document(device, round, 0);
            let next = document(device, round + 1, 0);
            for i in 0..4 {
                prop_assert!(rx_bytes(&next, i) > rx_bytes(&now, i));
            }
        }

        #[test]
        fn documents_are_reproducible_and_differ_between_devices(device in 0u32..u32::MAX, round in 0u64..1000) {
            prop_assert_eq!(document(device, round, 5), document(device, round, 5));
            prop_assert_ne!(document(device, round, 5), document(device + 1, round, 5));
        }

        #[test]
        fn each_radio_has_one_to_six_distinct_clients(device in any::<u32>(), round in 0u64..1_000_000) {
            let doc = document(device, round, 0);
            for radio in 2..4 {
                let list = doc["interfaces"][radio]["wireless"]["clients"].as_array().expect("clients").clone();
                prop_assert!((1..=6).contains(&list.len()));
                let macs: std::collections::BTreeSet<&str> = list.iter().map(|c| c["mac"].as_str().expect("mac")).collect();
                prop_assert_eq!(macs.len(), list.len());
            }
        }
    }
}
