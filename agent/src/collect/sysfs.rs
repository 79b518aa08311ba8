//! `/sys/class/net/<if>/*` attribute values -> an `interfaces[]` entry on hosts without
//! netifd. Each attribute is one small file; the collector reads them and passes the text.

use edgemon_shared::netjson::{Interface, Statistics};

/// The counters `/proc/net/dev` lacks, read from `statistics/<name>`.
pub const EXTRA_COUNTERS: [&str; 7] = [
    "rx_crc_errors",
    "rx_length_errors",
    "rx_missed_errors",
    "rx_over_errors",
    "tx_aborted_errors",
    "tx_heartbeat_errors",
    "tx_window_errors",
];

/// The attribute files read for one interface.
pub const ATTRIBUTES: [&str; 8] = [
    "address",
    "mtu",
    "tx_queue_len",
    "operstate",
    "flags",
    "speed",
    "duplex",
    "uevent",
];

/// Raw attribute texts of one interface (`None` = unreadable, e.g. `speed` when down).
#[derive(Debug, Default)]
pub struct Attributes<'a> {
    pub address: Option<&'a str>,
    pub mtu: Option<&'a str>,
    pub tx_queue_len: Option<&'a str>,
    pub operstate: Option<&'a str>,
    pub flags: Option<&'a str>,
    pub speed: Option<&'a str>,
    pub duplex: Option<&'a str>,
    pub uevent: Option<&'a str>,
    /// Whether `wireless/` or `phy80211` exists (cfg80211 devices have no DEVTYPE on old kernels).
    pub is_wireless: bool,
    /// Whether `bridge/` exists.
    pub is_bridge: bool,
    /// Names in `brif/` (bridge ports).
    pub bridge_members: Vec<String>,
    /// `bridge/stp_state`.
    pub stp_state: Option<&'a str>,
}

const IFF_UP: u64 = 0x1;
const IFF_LOOPBACK: u64 = 0x8;
const IFF_MULTICAST: u64 = 0x1000;

fn num<T: std::str::FromStr>(s: Option<&str>) -> Option<T> {
    s?.trim().parse().ok()
}

fn hex(s: Option<&str>) -> Option<u64> {
    u64::from_str_radix(s?.trim().trim_start_matches("0x"), 16).ok()
}

/// The interface `type` word, from the `DEVTYPE` of `uevent` and the flags.
fn kind(a: &Attributes, flags: Option<u64>) -> &'static str {
    let devtype = a.uevent.and_then(|u| {
        u.lines()
            .find_map(|l| l.strip_prefix("DEVTYPE="))
            .map(str::trim)
    });
    if a.is_wireless || devtype == Some("wlan") {
        return "wireless";
    }
    if a.is_bridge || devtype == Some("bridge") {
        return "bridge";
    }
    if flags.is_some_and(|f| f & IFF_LOOPBACK != 0) {
        return "loopback";
    }
    match devtype {
        Some("vlan") => "vlan",
        Some("wireguard" | "tun" | "ifb" | "veth" | "macvlan" | "dummy") => "virtual",
        Some(_) => "other",
        // Physical NICs have no DEVTYPE; a device with a readable speed is a wired port.
        None if a.speed.is_some() => "ethernet",
        None => "virtual",
    }
}

/// Builds the interface; `stats` come from `/proc/net/dev` plus [`EXTRA_COUNTERS`].
pub fn interface(name: &str, a: &Attributes, stats: Option<Statistics>) -> Interface {
    let flags = hex(a.flags);
    let speed = num::<i64>(a.speed).filter(|s| *s >= 0).map(|s| {
        let duplex = match a.duplex.map(str::trim) {
            Some("full") => "F",
            Some("half") => "H",
            _ => "",
        };
        format!("{s}{duplex}")
    });
    let up = match a.operstate.map(str::trim) {
        Some("up") => Some(true),
        Some("down" | "lowerlayerdown" | "notpresent") => Some(false),
        _ => flags.map(|f| f & IFF_UP != 0),
    };
    Interface {
        name: name.to_owned(),
        kind: Some(kind(a, flags).to_owned()),
        up,
        mac: a
            .address
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty()),
        mtu: num(a.mtu),
        txqueuelen: num(a.tx_queue_len),
        speed,
        multicast: flags.map(|f| f & IFF_MULTICAST != 0),
        bridge_members: (a.is_bridge && !a.bridge_members.is_empty())
            .then(|| a.bridge_members.clone()),
        stp: a
            .is_bridge
            .then(|| num::<u8>(a.stp_state).is_some_and(|s| s != 0)),
        statistics: stats,
        ..Interface::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wired_port() {
        let a = Attributes {
            address: Some("52:54:00:12:34:56\n"),
            mtu: Some("1500\n"),
            tx_queue_len: Some("1000\n"),
            operstate: Some("up\n"),
            flags: Some("0x1003\n"),
            speed: Some("1000\n"),
            duplex: Some("full\n"),
            uevent: Some("INTERFACE=eth0\nIFINDEX=2\n"),
            ..Attributes::default()
        };
        let i = interface("eth0", &a, None);
        assert_eq!(i.kind.as_deref(), Some("ethernet"));
        assert_eq!(
            (i.up, i.mtu, i.txqueuelen),
            (Some(true), Some(1500), Some(1000))
        );
        assert_eq!(i.speed.as_deref(), Some("1000F"));
        assert_eq!(i.multicast, Some(true));
        assert_eq!((i.bridge_members, i.stp), (None, None));
    }

    #[test]
    fn a_bridge_with_ports_and_stp() {
        let a = Attributes {
            is_bridge: true,
            bridge_members: vec!["lan1".into(), "lan2".into()],
            stp_state: Some("1\n"),
            operstate: Some("unknown"),
            flags: Some("0x1003"),
            ..Attributes::default()
        };
        let i = interface("br-lan", &a, None);
        assert_eq!(i.kind.as_deref(), Some("bridge"));
        assert_eq!(i.up, Some(true), "unknown operstate falls back to IFF_UP");
        assert_eq!(i.bridge_members.unwrap(), ["lan1", "lan2"]);
        assert_eq!(i.stp, Some(true));
    }

    #[test]
    fn unreadable_or_garbage_attributes_are_left_out() {
        let a = Attributes {
            mtu: Some("lots"),
            flags: Some("zz"),
            speed: Some("-1"),
            address: Some(""),
            uevent: Some("DEVTYPE=wlan\n"),
            ..Attributes::default()
        };
        let i = interface("wlan0", &a, None);
        assert_eq!(i.kind.as_deref(), Some("wireless"));
        assert_eq!(
            (i.mtu, i.up, i.multicast, i.speed, i.mac),
            (None, None, None, None, None)
        );
    }
}
