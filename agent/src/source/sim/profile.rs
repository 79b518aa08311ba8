//! What a simulated router *is* (fixed for its whole life): model, radios, ports, modem,
//! the pool of WiFi clients that may visit it, and the rates its values evolve at.
//! Everything is drawn from the seed; nothing here depends on time.

use super::rng::{below, hash, range, tag, unit};

/// A hardware model the fleet is drawn from (boards OpenWrt 24.10 supports).
#[derive(Debug)]
pub struct Model {
    pub name: &'static str,
    pub board: &'static str,
    pub target: &'static str,
    /// `system` of `ubus call system board` and `model name` of /proc/cpuinfo.
    pub cpu: &'static str,
    pub cpus: u32,
    pub ram_mib: u64,
    /// Overlay filesystem type, its device, and its size.
    pub overlay: (&'static str, &'static str, u64),
    pub wifi_chip: &'static str,
    /// Radio bands, in radio order.
    pub bands: &'static [Band],
    /// Number of `lanN` switch ports.
    pub lan_ports: u8,
    /// The built-in cellular modem (manufacturer, model), if any.
    pub modem: Option<(&'static str, &'static str)>,
}

const MIB: u64 = 1024 * 1024;

pub const MODELS: &[Model] = &[
    Model {
        name: "GL.iNet GL-MT3000",
        board: "glinet,gl-mt3000",
        target: "mediatek/filogic",
        cpu: "ARMv8 Processor rev 4",
        cpus: 2,
        ram_mib: 512,
        overlay: ("ubifs", "/dev/ubi0_1", 200 * MIB),
        wifi_chip: "MediaTek MT7981",
        bands: &[Band::G2, Band::G5],
        lan_ports: 1,
        modem: None,
    },
    Model {
        name: "Linksys E8450 (UBI)",
        board: "linksys,e8450-ubi",
        target: "mediatek/mt7622",
        cpu: "ARMv8 Processor rev 4",
        cpus: 2,
        ram_mib: 512,
        overlay: ("ubifs", "/dev/ubi0_2", 90 * MIB),
        wifi_chip: "MediaTek MT7622",
        bands: &[Band::G2, Band::G5],
        lan_ports: 4,
        modem: None,
    },
    Model {
        name: "TP-Link Archer C6 v3",
        board: "tplink,archer-c6-v3",
        target: "ramips/mt7621",
        cpu: "MIPS 1004Kc V2.15",
        cpus: 4,
        ram_mib: 128,
        overlay: ("jffs2", "/dev/mtdblock6", 9 * MIB),
        wifi_chip: "MediaTek MT7613BE",
        bands: &[Band::G2, Band::G5],
        lan_ports: 4,
        modem: None,
    },
    Model {
        name: "GL.iNet GL-AR300M (NOR)",
        board: "glinet,gl-ar300m-nor",
        target: "ath79/generic",
        cpu: "Qualcomm Atheros QCA9533 ver 2 rev 0",
        cpus: 1,
        ram_mib: 128,
        overlay: ("jffs2", "/dev/mtdblock5", 12 * MIB),
        wifi_chip: "Qualcomm Atheros QCA9533",
        bands: &[Band::G2],
        lan_ports: 1,
        modem: None,
    },
    Model {
        name: "Teltonika RUTX11",
        board: "teltonika,rutx11",
        target: "ipq40xx/generic",
        cpu: "ARMv7 Processor rev 5 (v7l)",
        cpus: 4,
        ram_mib: 256,
        overlay: ("ubifs", "/dev/ubi0_1", 80 * MIB),
        wifi_chip: "Qualcomm Atheros IPQ4019",
        bands: &[Band::G2, Band::G5],
        lan_ports: 3,
        modem: Some(("Quectel", "EG06-E")),
    },
    Model {
        name: "GL.iNet GL-X3000",
        board: "glinet,gl-x3000",
        target: "mediatek/filogic",
        cpu: "ARMv8 Processor rev 4",
        cpus: 2,
        ram_mib: 512,
        overlay: ("ext4", "/dev/loop0", 7000 * MIB),
        wifi_chip: "MediaTek MT7981",
        bands: &[Band::G2, Band::G5],
        lan_ports: 1,
        modem: Some(("Quectel", "RM520N-GL")),
    },
];

const RELEASES: &[(&str, &str)] = &[
    ("24.10.0", "r28427"),
    ("24.10.1", "r28597"),
    ("24.10.2", "r28739"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    G2,
    G5,
}

#[derive(Debug, Clone)]
pub struct Radio {
    /// `radioN`; its AP interface is `phyN-ap0`.
    pub index: usize,
    pub band: Band,
    pub channel: u32,
    pub htmode: &'static str,
    pub txpower: i64,
    /// The noise floor in dBm; the reading wobbles around it.
    pub noise: i64,
    pub ssid: String,
}

impl Radio {
    pub fn ifname(&self) -> String {
        format!("phy{}-ap0", self.index)
    }

    pub fn frequency(&self) -> u32 {
        match self.band {
            Band::G2 => 2407 + 5 * self.channel,
            Band::G5 => 5000 + 5 * self.channel,
        }
    }
}

/// A device that may associate with the router (phone, laptop, TV...).
#[allow(clippy::struct_excessive_bools)] // independent capability flags, as hostapd lists them
#[derive(Debug, Clone)]
pub struct Client {
    pub mac: String,
    /// Index into [`Profile::radios`].
    pub radio: usize,
    /// Share of its slots it is present in at the busiest hour.
    pub presence: f64,
    /// Length of its presence slots: it joins or leaves only at slot boundaries.
    pub slot: f64,
    /// Always associated (printers, TVs, cameras): keeps some clients at night.
    pub always_on: bool,
    pub he: bool,
    pub vht: bool,
    pub mfp: bool,
    /// Its usual signal in dBm.
    pub signal: i64,
    /// The DHCP host name it sends (`*` when none).
    pub name: String,
    /// Last octet of its DHCP address on the LAN.
    pub host: u8,
}

#[derive(Debug, Clone)]
pub struct Modem {
    pub manufacturer: &'static str,
    pub model: &'static str,
    pub imei: String,
    pub operator_code: &'static str,
    pub operator_name: &'static str,
    /// The sysfs path ModemManager and UCI name the modem by.
    pub path: &'static str,
    /// Mean LTE RSRP (dBm) at this site.
    pub rsrp: f64,
}

/// Everything about one simulated router that does not change with time.
#[derive(Debug, Clone)]
pub struct Profile {
    pub seed: u64,
    pub hostname: String,
    pub model: &'static Model,
    pub release: (&'static str, String),
    /// Seconds east of UTC (procd's `localtime`; the day's rhythm follows it).
    pub utc_offset: i64,
    pub radios: Vec<Radio>,
    pub clients: Vec<Client>,
    pub modem: Option<Modem>,
    /// Third octet of the LAN `192.168.X.0/24`.
    pub lan_net: u8,
    /// Last octet of the WAN address in `198.51.100.0/24`.
    pub wan_host: u8,
    /// Whether a wired host is plugged into `lan1`.
    pub wired_host: bool,
    /// The device reboots once per period of this length (seconds), at a random moment.
    pub reboot_period: f64,
    pub reboot_phase: f64,
    /// Mean WAN download rate (bytes/s); upload is `up_ratio` of it.
    pub down_rate: f64,
    pub up_ratio: f64,
    /// Mean busy share of the CPUs.
    pub cpu_busy: f64,
    /// Used share of RAM after boot, and how much more per day of uptime (a leak).
    pub mem_used: f64,
    pub mem_leak_per_day: f64,
    /// Overlay usage: from `disk_lo` it fills by `disk_per_day` up to `disk_hi`, then an
    /// imagined cleanup brings it back.
    pub disk_lo: f64,
    pub disk_hi: f64,
    pub disk_per_day: f64,
    /// A second, shorter traffic rhythm (seconds) and its phase, on top of the day's.
    pub wobble_period: f64,
    pub wobble_phase: f64,
}

const SSIDS: &[&str] = &["edge-office", "cafe-guest", "branch-net", "mesh-community"];
const NAMES: &[&str] = &[
    "android", "iphone", "laptop", "desktop", "tv", "printer", "tablet", "camera",
];
const UTC_OFFSETS: &[i64] = &[0, 3600, 7200];

/// A locally administered unicast MAC address unique per (seed, index).
pub fn mac(seed: u64, index: u8) -> String {
    let s = seed.to_be_bytes();
    format!("02:ed:{:02x}:{:02x}:{:02x}:{index:02x}", s[5], s[6], s[7])
}

fn client_mac(seed: u64, i: u64) -> String {
    let h = hash(seed, &[tag("client-mac"), i]).to_be_bytes();
    // Phones randomise their MAC: locally administered (bit 1), unicast (bit 0 clear).
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        (h[0] | 0x02) & 0xfe,
        h[1],
        h[2],
        h[3],
        h[4],
        h[5]
    )
}

/// A 15-digit IMEI with a valid Luhn check digit.
fn imei(seed: u64) -> String {
    let body: String = (0..14)
        .map(|i| {
            if i < 2 {
                '8'
            } else {
                char::from(b'0' + u8::try_from(below(seed, &[tag("imei"), i], 10)).unwrap_or(0))
            }
        })
        .collect();
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap_or(0);
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn radio(seed: u64, index: usize, band: Band) -> Radio {
    let i = index as u64;
    let (channels, htmodes, txpower): (&[u32], &[&str], (f64, f64)) = match band {
        Band::G2 => (&[1, 6, 11], &["HE20", "HT20", "HE40"], (14.0, 21.0)),
        Band::G5 => (
            &[36, 44, 52, 100, 149],
            &["HE80", "VHT80", "HE40"],
            (17.0, 24.0),
        ),
    };
    let ssid = SSIDS[below(seed, &[tag("ssid")], SSIDS.len())];
    Radio {
        index,
        band,
        channel: channels[below(seed, &[tag("channel"), i], channels.len())],
        htmode: htmodes[below(seed, &[tag("htmode"), i], htmodes.len())],
        txpower: range(seed, &[tag("txpower"), i], txpower.0, txpower.1) as i64,
        noise: range(seed, &[tag("noise"), i], -98.0, -88.0) as i64,
        ssid: ssid.to_owned(),
    }
}

fn client(seed: u64, i: u64, radios: &[Radio]) -> Client {
    let r = |what: &str| unit(seed, &[tag(what), i]);
    // Dual-band clients prefer 5 GHz when the router has it.
    let radio = usize::from(radios.len() > 1 && r("band") < 0.65);
    let kind = NAMES[below(seed, &[tag("client-kind"), i], NAMES.len())];
    let always_on = matches!(kind, "tv" | "printer" | "camera") && r("always") < 0.7;
    let five = radios[radio].band == Band::G5;
    Client {
        mac: client_mac(seed, i),
        radio,
        presence: range(seed, &[tag("presence"), i], 0.3, 0.95),
        slot: range(seed, &[tag("slot"), i], 900.0, 5400.0).round(),
        always_on,
        he: r("he") < 0.5,
        vht: five && r("vht") < 0.9,
        mfp: r("mfp") < 0.4,
        signal: range(seed, &[tag("signal"), i], -78.0, -42.0) as i64,
        name: if r("anonymous") < 0.2 {
            "*".to_owned()
        } else {
            format!("{kind}-{:04x}", hash(seed, &[tag("name"), i]) & 0xffff)
        },
        host: 100 + u8::try_from(i).unwrap_or(0),
    }
}

impl Profile {
    /// The router of device number `seed` (its hostname is `demo-ap-<seed>`).
    pub fn new(seed: u64) -> Self {
        let model = &MODELS[below(seed, &[tag("model")], MODELS.len())];
        let (version, rev) = RELEASES[below(seed, &[tag("release")], RELEASES.len())];
        let radios: Vec<Radio> = model
            .bands
            .iter()
            .enumerate()
            .map(|(i, b)| radio(seed, i, *b))
            .collect();
        let pool = 4 + below(seed, &[tag("pool")], 37) as u64;
        let clients = (0..pool).map(|i| client(seed, i, &radios)).collect();
        let modem = model.modem.map(|(manufacturer, name)| Modem {
            manufacturer,
            model: name,
            imei: imei(seed),
            operator_code: if unit(seed, &[tag("operator")]) < 0.5 {
                "00101"
            } else {
                "99970"
            },
            operator_name: "Demo Mobile",
            path: "/sys/devices/platform/soc/usb3/2-1",
            rsrp: range(seed, &[tag("rsrp")], -112.0, -80.0),
        });
        let busy = if unit(seed, &[tag("hot")]) < 0.08 {
            0.5
        } else {
            range(seed, &[tag("cpu")], 0.03, 0.25)
        };
        let leak = if unit(seed, &[tag("leaky")]) < 0.12 {
            range(seed, &[tag("leak")], 0.02, 0.08)
        } else {
            0.0
        };
        let disk_lo = range(seed, &[tag("disk-lo")], 0.05, 0.4);
        Profile {
            seed,
            hostname: format!("demo-ap-{seed:02}"),
            model,
            release: (
                version,
                format!("{rev}-{:010x}", hash(seed, &[tag("rev")]) >> 24),
            ),
            utc_offset: UTC_OFFSETS[below(seed, &[tag("tz")], UTC_OFFSETS.len())],
            radios,
            clients,
            modem,
            lan_net: 1 + below(seed, &[tag("lan")], 250) as u8,
            // Distinct for 250 consecutive device numbers.
            wan_host: 2 + (seed % 250) as u8,
            wired_host: unit(seed, &[tag("wired")]) < 0.6,
            reboot_period: range(seed, &[tag("reboot")], 4.0, 40.0) * 86_400.0,
            reboot_phase: range(seed, &[tag("reboot-phase")], 0.0, 86_400.0 * 40.0),
            // Log-uniform between 20 kB/s and 2 MB/s.
            down_rate: 20_000.0 * 100f64.powf(unit(seed, &[tag("rate")])),
            up_ratio: range(seed, &[tag("up")], 0.08, 0.4),
            cpu_busy: busy.min(0.95 / super::dynamics::DIURNAL_MAX),
            mem_used: range(seed, &[tag("mem")], 0.25, 0.6),
            mem_leak_per_day: leak,
            disk_lo,
            disk_hi: (disk_lo + range(seed, &[tag("disk-hi")], 0.2, 0.6)).min(0.95),
            disk_per_day: range(seed, &[tag("disk-rate")], 0.0005, 0.01),
            wobble_period: range(seed, &[tag("wobble")], 2400.0, 5400.0),
            wobble_phase: range(seed, &[tag("wobble-phase")], 0.0, 6.3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imeis_pass_the_luhn_check_and_macs_are_local_unicast() {
        for seed in 0..50 {
            let i = imei(seed);
            assert_eq!(i.len(), 15);
            let sum: u32 = i
                .chars()
                .rev()
                .enumerate()
                .map(|(k, c)| {
                    let d = c.to_digit(10).unwrap();
                    if k % 2 == 1 {
                        (d * 2) / 10 + (d * 2) % 10
                    } else {
                        d
                    }
                })
                .sum();
            assert_eq!(sum % 10, 0, "{i}");
            let first = u8::from_str_radix(&client_mac(seed, 3)[..2], 16).unwrap();
            assert_eq!(first & 0x03, 0x02);
        }
        assert_ne!(mac(1, 0), mac(2, 0));
        assert_ne!(mac(1, 0), mac(1, 1));
    }

    #[test]
    fn the_fleet_mixes_models_modems_and_radio_counts() {
        let fleet: Vec<Profile> = (0..60).map(Profile::new).collect();
        assert!(fleet.iter().any(|p| p.modem.is_some()));
        assert!(fleet.iter().any(|p| p.modem.is_none()));
        assert!(fleet.iter().any(|p| p.radios.len() == 1));
        assert!(fleet.iter().any(|p| p.radios.len() == 2));
        assert_eq!(fleet[7].hostname, "demo-ap-07");
        for p in &fleet {
            assert!(p.clients.iter().all(|c| c.radio < p.radios.len()));
            assert!(p.disk_lo < p.disk_hi && p.disk_hi <= 0.95);
            // The busiest moment must stay below 100 % CPU (see dynamics::diurnal).
            assert!(p.cpu_busy * super::super::dynamics::DIURNAL_MAX < 1.0);
        }
    }
}
