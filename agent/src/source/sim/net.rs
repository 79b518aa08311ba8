//! The simulated router's network devices and their answers: netifd's
//! `network.device status` and `network.interface dump`, `/proc/net/dev`,
//! `/sys/class/net/<if>/…`, and the neighbour table.

use super::dynamics::At;
use super::profile::{Band, Profile, mac};
use super::rng::{tag, unit};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Loopback,
    /// The CPU port DSA switch ports hang off (`eth0`).
    Conduit,
    /// A switch port (`wan`, `lanN`); `up` when a cable is plugged in.
    Port {
        up: bool,
    },
    Bridge,
    /// The AP interface of radio N.
    Wifi(usize),
    /// The cellular modem's network device.
    Modem,
}

/// One network device and its mean traffic (bytes per average-activity second).
#[derive(Debug, Clone)]
pub struct Dev {
    pub name: String,
    pub kind: Kind,
    pub mac: String,
    pub mtu: i64,
    pub rx: f64,
    pub tx: f64,
}

impl Dev {
    pub fn up(&self) -> bool {
        !matches!(self.kind, Kind::Port { up: false })
    }

    /// The 23 netdev counters now, in `/proc/net/dev` order then the sysfs-only ones.
    pub fn counters(&self, at: &At) -> [(&'static str, u64); 23] {
        let s = at.traffic_seconds();
        let bytes = |rate: f64| (rate * s).floor() as u64;
        let (rxb, txb) = (bytes(self.rx), bytes(self.tx));
        // Average packet sizes: downloads are mostly full frames, uploads mostly ACKs.
        let (rxp, txp) = (rxb / 700, txb / 900);
        let wifi = matches!(self.kind, Kind::Wifi(_));
        let per = |n: u64, per_million: u64| n / 1_000_000 * per_million;
        let multicast = if matches!(self.kind, Kind::Bridge | Kind::Port { .. }) {
            rxp / 100
        } else {
            0
        };
        let rx_crc = if wifi { per(rxp, 40) } else { 0 };
        [
            ("rx_bytes", rxb),
            ("rx_packets", rxp),
            ("rx_errors", rx_crc),
            ("rx_dropped", per(rxp, if wifi { 300 } else { 20 })),
            ("rx_fifo_errors", 0),
            ("rx_frame_errors", 0),
            ("rx_compressed", 0),
            ("multicast", multicast),
            ("tx_bytes", txb),
            ("tx_packets", txp),
            ("tx_errors", 0),
            ("tx_dropped", per(txp, if wifi { 150 } else { 0 })),
            ("tx_fifo_errors", 0),
            ("collisions", 0),
            ("tx_carrier_errors", 0),
            ("tx_compressed", 0),
            ("rx_crc_errors", rx_crc),
            ("rx_length_errors", 0),
            ("rx_missed_errors", 0),
            ("rx_over_errors", 0),
            ("tx_aborted_errors", 0),
            ("tx_heartbeat_errors", 0),
            ("tx_window_errors", 0),
        ]
    }
}

/// Every network device of the router, in `ip link` order.
pub fn devices(p: &Profile) -> Vec<Dev> {
    let (d, u) = (p.down_rate, p.down_rate * p.up_ratio);
    let wired = if p.wired_host { 0.3 } else { 0.0 };
    let mut devs = vec![
        Dev {
            name: "lo".into(),
            kind: Kind::Loopback,
            mac: "00:00:00:00:00:00".into(),
            mtu: 65536,
            rx: 150.0,
            tx: 150.0,
        },
        Dev {
            name: "eth0".into(),
            kind: Kind::Conduit,
            mac: mac(p.seed, 0),
            mtu: 1504,
            rx: d + wired * u,
            tx: u + wired * d,
        },
    ];
    for n in 1..=p.model.lan_ports {
        let up = n == 1 && p.wired_host;
        devs.push(Dev {
            name: format!("lan{n}"),
            kind: Kind::Port { up },
            mac: mac(p.seed, 0),
            mtu: 1500,
            rx: if up { wired * u } else { 0.0 },
            tx: if up { wired * d } else { 0.0 },
        });
    }
    devs.push(Dev {
        name: "wan".into(),
        kind: Kind::Port { up: true },
        mac: mac(p.seed, 1),
        mtu: 1500,
        rx: d,
        tx: u,
    });
    let two = p.radios.len() > 1;
    for r in &p.radios {
        let share = match (two, r.band) {
            (false, _) => 0.7,
            (true, Band::G5) => 0.5,
            (true, Band::G2) => 0.2,
        };
        devs.push(Dev {
            name: r.ifname(),
            kind: Kind::Wifi(r.index),
            mac: mac(p.seed, 2 + u8::try_from(r.index).unwrap_or(0)),
            mtu: 1500,
            rx: share * u,
            tx: share * d,
        });
    }
    devs.push(Dev {
        name: "br-lan".into(),
        kind: Kind::Bridge,
        mac: mac(p.seed, 0),
        mtu: 1500,
        rx: 1.02 * u,
        tx: 0.98 * d,
    });
    if p.modem.is_some() {
        devs.push(Dev {
            name: "wwan0".into(),
            kind: Kind::Modem,
            mac: mac(p.seed, 9),
            mtu: 1500,
            rx: 0.3 * d,
            tx: 0.3 * u,
        });
    }
    devs
}

/// The bridge's ports: every switch port except `wan`, and the AP interfaces.
pub fn bridge_members(devs: &[Dev]) -> Vec<String> {
    devs.iter()
        .filter(|d| {
            matches!(d.kind, Kind::Wifi(_))
                || (matches!(d.kind, Kind::Port { .. }) && d.name != "wan")
        })
        .map(|d| d.name.clone())
        .collect()
}

fn statistics(dev: &Dev, at: &At) -> Value {
    let mut m: Vec<(&str, u64)> = dev.counters(at).to_vec();
    m.sort_unstable_by_key(|(k, _)| *k);
    Value::Object(
        m.into_iter()
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect(),
    )
}

/// `ubus call network.device status`.
pub fn device_status(at: &At) -> String {
    let devs = devices(at.p);
    let mut out = Map::new();
    for d in &devs {
        let mut o = Map::new();
        let ty = if d.kind == Kind::Bridge {
            "bridge"
        } else {
            "Network device"
        };
        o.insert("external".into(), json!(matches!(d.kind, Kind::Wifi(_))));
        o.insert("present".into(), json!(true));
        o.insert("type".into(), json!(ty));
        o.insert("up".into(), json!(d.up()));
        o.insert("carrier".into(), json!(d.up()));
        if let Kind::Port { .. } | Kind::Conduit = d.kind {
            let up = d.up();
            let modes = [
                "10baseT-H",
                "10baseT-F",
                "100baseT-H",
                "100baseT-F",
                "1000baseT-F",
            ];
            o.insert("link-advertising".into(), json!(modes));
            o.insert("link-supported".into(), json!(modes));
            o.insert("autoneg".into(), json!(true));
            if up {
                o.insert("speed".into(), json!("1000F"));
            }
        }
        if d.kind == Kind::Bridge {
            o.insert("bridge-members".into(), json!(bridge_members(&devs)));
        }
        if let Kind::Wifi(_) = d.kind {
            o.insert("wireless".into(), json!(true));
        }
        o.insert("mtu".into(), json!(d.mtu));
        o.insert("mtu6".into(), json!(d.mtu));
        o.insert("macaddr".into(), json!(d.mac));
        o.insert("txqueuelen".into(), json!(1000));
        o.insert("ipv6".into(), json!(d.kind != Kind::Loopback));
        o.insert("multicast".into(), json!(d.kind != Kind::Loopback));
        o.insert("statistics".into(), statistics(d, at));
        out.insert(d.name.clone(), Value::Object(o));
    }
    Value::Object(out).to_string()
}

pub fn lan_ip(p: &Profile, host: u8) -> String {
    format!("192.168.{}.{host}", p.lan_net)
}

fn uptime_since(at: &At, after_boot: f64) -> i64 {
    (at.uptime() - after_boot).max(0.0) as i64
}

/// `ubus call network.interface dump`: `lan` (static), `wan` (DHCP), `wan6` (DHCPv6) and,
/// with a modem, `mobile` (ModemManager).
pub fn interface_dump(at: &At) -> String {
    let p = at.p;
    let route = |target: &str, nexthop: &str| json!([{"target": target, "mask": 0, "nexthop": nexthop, "source": ""}]);
    let mut ifaces = vec![
        json!({
            "interface": "lan", "up": true, "pending": false, "available": true, "autostart": true,
            "dynamic": false, "uptime": uptime_since(at, 3.0), "l3_device": "br-lan", "proto": "static",
            "device": "br-lan", "metric": 0, "dns_metric": 0, "delegation": true,
            "ipv4-address": [{"address": lan_ip(p, 1), "mask": 24}],
            "ipv6-address": [],
            "ipv6-prefix-assignment": [{"address": format!("fd{:02x}:ed{:02x}:{}::", p.seed % 256, p.lan_net, p.lan_net), "mask": 60,
                "local-address": {"address": format!("fd{:02x}:ed{:02x}:{}::1", p.seed % 256, p.lan_net, p.lan_net), "mask": 60}}],
            "route": [], "dns-server": [], "dns-search": [], "neighbors": [],
            "inactive": {"ipv4-address": [], "ipv6-address": [], "route": [], "dns-server": [], "dns-search": [], "neighbors": []},
            "data": {}
        }),
        json!({
            "interface": "loopback", "up": true, "pending": false, "available": true, "autostart": true,
            "dynamic": false, "uptime": uptime_since(at, 3.0), "l3_device": "lo", "proto": "static",
            "device": "lo", "metric": 0, "dns_metric": 0, "delegation": true,
            "ipv4-address": [{"address": "127.0.0.1", "mask": 8}], "ipv6-address": [],
            "route": [], "dns-server": [], "dns-search": [], "neighbors": [], "data": {}
        }),
        json!({
            "interface": "wan", "up": true, "pending": false, "available": true, "autostart": true,
            "dynamic": false, "uptime": uptime_since(at, 8.0), "l3_device": "wan", "proto": "dhcp",
            "device": "wan", "metric": 0, "dns_metric": 0, "delegation": true,
            "ipv4-address": [{"address": format!("198.51.100.{}", p.wan_host), "mask": 24}],
            "ipv6-address": [],
            "route": route("0.0.0.0", "198.51.100.1"),
            "dns-server": ["198.51.100.53", "203.0.113.53"], "dns-search": ["isp.example"],
            "neighbors": [], "data": {"leasetime": 43200}
        }),
        json!({
            "interface": "wan6", "up": true, "pending": false, "available": true, "autostart": true,
            "dynamic": false, "uptime": uptime_since(at, 12.0), "l3_device": "wan", "proto": "dhcpv6",
            "device": "wan", "metric": 0, "dns_metric": 0, "delegation": true,
            "ipv4-address": [],
            "ipv6-address": [{"address": format!("2001:db8:{:x}::{:x}", p.seed % 0xffff, p.wan_host), "mask": 64,
                "preferred": 3600, "valid": 7200}],
            "route": route("::", "fe80::1"),
            "dns-server": ["2001:db8::53"], "dns-search": [], "neighbors": [], "data": {}
        }),
    ];
    if p.modem.is_some() {
        ifaces.push(json!({
            "interface": "mobile", "up": true, "pending": false, "available": true, "autostart": true,
            "dynamic": false, "uptime": uptime_since(at, 40.0), "l3_device": "wwan0", "proto": "modemmanager",
            "device": p.modem.as_ref().map(|m| m.path), "metric": 10, "dns_metric": 0, "delegation": true,
            "ipv4-address": [{"address": format!("10.{}.{}.{}", 64 + p.seed % 64, p.lan_net, 2 + p.wan_host % 250), "mask": 30}],
            "ipv6-address": [],
            "route": route("0.0.0.0", &format!("10.{}.{}.1", 64 + p.seed % 64, p.lan_net)),
            "dns-server": ["10.64.0.53"], "dns-search": [], "neighbors": [], "data": {}
        }));
    }
    json!({ "interface": ifaces }).to_string()
}

/// `/proc/net/dev`.
pub fn proc_net_dev(at: &At) -> String {
    let mut out = String::from(
        "Inter-|   Receive                                                |  Transmit\n \
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
    );
    for d in devices(at.p) {
        let c = d.counters(at);
        let row: Vec<String> = c[..16].iter().map(|(_, v)| v.to_string()).collect();
        out.push_str(&format!("{:>6}: {}\n", d.name, row.join(" ")));
    }
    out
}

/// A `/sys/class/net/<if>/<attr>` file, or `None` when the device or file does not exist.
pub fn sysfs(at: &At, rest: &str) -> Option<Result<String, &'static str>> {
    let (name, attr) = rest.split_once('/')?;
    let devs = devices(at.p);
    let d = devs.iter().find(|d| d.name == name)?;
    let loopback = d.kind == Kind::Loopback;
    let text = match attr {
        // A port without link (and a virtual device) has no speed: reading it fails.
        "speed" | "duplex" if !matches!(d.kind, Kind::Port { up: true } | Kind::Conduit) => {
            return Some(Err("Invalid argument"));
        }
        "address" => d.mac.clone(),
        "mtu" => d.mtu.to_string(),
        "tx_queue_len" | "speed" => "1000".into(),
        "operstate" if loopback => "unknown".into(),
        "operstate" => if d.up() { "up" } else { "down" }.into(),
        "flags" if loopback => "0x9".into(),
        "flags" => "0x1003".into(),
        "duplex" => "full".into(),
        "uevent" => {
            let devtype = match d.kind {
                Kind::Bridge => "DEVTYPE=bridge\n",
                Kind::Wifi(_) => "DEVTYPE=wlan\n",
                Kind::Modem => "DEVTYPE=wwan\n",
                _ => "",
            };
            let index = devs.iter().position(|x| x.name == d.name).unwrap_or(0) + 1;
            format!("{devtype}INTERFACE={name}\nIFINDEX={index}\n")
        }
        "bridge/stp_state" if d.kind == Kind::Bridge => "0".into(),
        "phy80211/name" => match d.kind {
            Kind::Wifi(i) => format!("phy{i}"),
            _ => return None,
        },
        a => {
            let counter = a.strip_prefix("statistics/")?;
            let v = d.counters(at).iter().find(|(k, _)| *k == counter)?.1;
            v.to_string()
        }
    };
    Some(Ok(text + "\n"))
}

/// A `/sys/class/net…` directory listing, or `None` when it does not exist.
pub fn sysfs_list(p: &Profile, dir: &str) -> Option<Vec<String>> {
    let devs = devices(p);
    let mut names = match dir.strip_prefix("/sys/class/net")? {
        "" | "/" => devs.iter().map(|d| d.name.clone()).collect(),
        rest => {
            let (name, sub) = rest.trim_start_matches('/').split_once('/')?;
            let d = devs.iter().find(|d| d.name == name)?;
            match (sub, d.kind) {
                ("brif", Kind::Bridge) => bridge_members(&devs),
                ("wireless", Kind::Wifi(_)) => Vec::new(),
                _ => return None,
            }
        }
    };
    names.sort();
    Some(names)
}

/// Neighbours: the WAN gateway and every associated client or wired host.
/// `(ip, dev, mac, state)`.
pub fn neighbours(at: &At) -> Vec<(String, String, String, &'static str)> {
    let p = at.p;
    let bucket = (at.t / 30.0).floor();
    let state = |what: u64| {
        if unit(p.seed, &[tag("neigh"), what, bucket as i64 as u64]) < 0.7 {
            "REACHABLE"
        } else {
            "STALE"
        }
    };
    let mut out = vec![(
        "198.51.100.1".to_owned(),
        "wan".to_owned(),
        "02:00:5e:00:53:01".to_owned(),
        "REACHABLE",
    )];
    if p.wired_host {
        out.push((
            lan_ip(p, 10),
            "br-lan".into(),
            mac(p.seed, 0x10),
            state(1000),
        ));
    }
    for i in at.clients() {
        let c = &p.clients[i];
        out.push((
            lan_ip(p, c.host),
            "br-lan".into(),
            c.mac.clone(),
            state(i as u64),
        ));
    }
    out
}

/// `ip -json neigh`.
pub fn neigh_json(at: &At) -> String {
    let list: Vec<Value> = neighbours(at)
        .into_iter()
        .map(
            |(ip, dev, mac, state)| json!({"dst": ip, "dev": dev, "lladdr": mac, "state": [state]}),
        )
        .collect();
    Value::Array(list).to_string()
}

/// `ip neigh` (text).
pub fn neigh_text(at: &At) -> String {
    neighbours(at)
        .into_iter()
        .map(|(ip, dev, mac, state)| format!("{ip} dev {dev} lladdr {mac} {state}\n"))
        .collect()
}

/// `/proc/net/arp`.
pub fn arp(at: &At) -> String {
    let mut out = String::from(
        "IP address       HW type     Flags       HW address            Mask     Device\n",
    );
    for (ip, dev, mac, _) in neighbours(at) {
        out.push_str(&format!(
            "{ip:<16} 0x1         0x2         {mac}     *        {dev}\n"
        ));
    }
    out
}
