//! One collection: ask the source for every raw input, parse, assemble the document.
//! A source that fails is skipped with a warning naming it; the sample is still produced.

use super::netlink::{self, Dump};
use super::{
    ParseError, cpu, dhcp, disk, ipaddr, loadavg, meminfo, modem, neigh, netdev, ntp, sysfs,
    ubus_network, ubus_system, uci, wireless,
};
use crate::source::{Source, SourceError};
use edgemon_shared::netjson::{
    Address, AgentInfo, DeviceMonitoring, General, Interface, Resources,
};
use std::collections::BTreeMap;
use std::fmt::Display;
use std::time::Duration;

/// A sample and what went wrong while taking it.
#[derive(Debug)]
pub struct Collected {
    pub doc: DeviceMonitoring,
    /// `source: problem`, one per skipped source (absent OpenWrt tools are not problems).
    pub warnings: Vec<String>,
}

struct Ctx<'a> {
    src: &'a dyn Source,
    warnings: Vec<String>,
    /// Interface index -> name over netlink, read once per collection when first needed.
    links: Option<BTreeMap<u32, String>>,
}

impl Ctx<'_> {
    /// A kernel table over netlink, parsed with the interface names. `None` when the
    /// source has no netlink (captures, the simulator: the `ip` commands answer then) or
    /// the dump failed (a warning says why, and the `ip` commands are tried).
    fn kernel<T>(
        &mut self,
        dump: Dump,
        parse: impl FnOnce(&[u8], &BTreeMap<u32, String>) -> Result<T, ParseError>,
    ) -> Option<T> {
        if self.links.is_none() {
            let buf = self.netlink(Dump::Links)?;
            self.links = Some(self.keep(Dump::Links.name(), netlink::links(&buf))?);
        }
        let buf = self.netlink(dump)?;
        let parsed = parse(&buf, self.links.as_ref()?);
        self.keep(dump.name(), parsed)
    }

    fn netlink(&mut self, dump: Dump) -> Option<Vec<u8>> {
        let r = self.src.netlink(dump);
        self.answer(dump.name(), r)
    }

    fn keep<T, E: Display>(&mut self, what: &str, r: Result<T, E>) -> Option<T> {
        r.map_err(|e| self.warnings.push(format!("{what}: {e}")))
            .ok()
    }

    fn answer<T>(&mut self, what: &str, r: Result<T, SourceError>) -> Option<T> {
        match r {
            Ok(t) => Some(t),
            Err(SourceError::Absent(_)) => None,
            Err(e) => self.keep(what, Err(e)),
        }
    }

    fn read(&mut self, path: &str) -> Option<String> {
        let r = self.src.read(path);
        self.answer(path, r)
    }

    fn run(&mut self, argv: &[&str]) -> Option<String> {
        let r = self.src.run(argv);
        self.answer(&argv.join(" "), r)
    }

    fn ubus(&mut self, object: &str, method: &str, arg: Option<&str>) -> Option<String> {
        let mut argv = vec!["ubus", "call", object, method];
        argv.extend(arg);
        self.run(&argv)
    }

    fn uci(&mut self, config: &str) -> Vec<uci::Section> {
        self.read(&format!("/etc/config/{config}"))
            .map(|t| uci::parse(&t))
            .unwrap_or_default()
    }
}

/// Takes one sample. `cpu_gap` is the pause between the two `/proc/stat` reads.
pub fn collect(src: &dyn Source, cpu_gap: Duration) -> Collected {
    let mut cx = Ctx {
        src,
        warnings: Vec::new(),
        links: None,
    };
    let doc = DeviceMonitoring {
        general: Some(general(&mut cx)),
        resources: Some(resources(&mut cx, cpu_gap)),
        ..DeviceMonitoring::default()
    };
    let doc = network(&mut cx, doc);
    let doc = DeviceMonitoring {
        neighbors: neighbors(&mut cx),
        dhcp_leases: leases(&mut cx),
        edgemon: Some(AgentInfo {
            agent_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            ntp_synced: ntp_synced(&mut cx),
            ..AgentInfo::default()
        }),
        ..doc
    };
    Collected {
        doc,
        warnings: cx.warnings,
    }
}

fn general(cx: &mut Ctx) -> General {
    let board = cx.ubus("system", "board", None);
    let hostname = board.and_then(|t| {
        cx.keep("ubus system board", ubus_system::parse_board(&t))
            .flatten()
    });
    let hostname =
        hostname.or_else(|| Some(cx.read("/proc/sys/kernel/hostname")?.trim().to_owned()));
    let info = cx.ubus("system", "info", None);
    let info = info
        .and_then(|t| cx.keep("ubus system info", ubus_system::parse_info(&t)))
        .unwrap_or_default();
    let uptime = info.uptime.or_else(|| {
        let text = cx.read("/proc/uptime")?;
        text.split(['.', ' ']).next()?.parse().ok()
    });
    General {
        hostname,
        local_time: info.local_time.or_else(|| cx.src.now()),
        uptime,
        ..General::default()
    }
}

fn resources(cx: &mut Ctx, cpu_gap: Duration) -> Resources {
    let load = cx
        .read("/proc/loadavg")
        .and_then(|t| cx.keep("/proc/loadavg", loadavg::parse(&t)));
    let cpus = cx
        .read("/proc/cpuinfo")
        .and_then(|t| cx.keep("/proc/cpuinfo", cpu::count_cpus(&t)));
    let cpu_usage = match cx.src.read_twice("/proc/stat", cpu_gap) {
        Ok((a, b)) => cx.keep("/proc/stat", cpu::usage(&a, &b)),
        Err(e) => cx.answer::<()>("/proc/stat", Err(e)).and(None),
    };
    let (mut memory, mut swap) = cx
        .read("/proc/meminfo")
        .and_then(|t| cx.keep("/proc/meminfo", meminfo::parse(&t)))
        .map_or((None, None), |(m, s)| (Some(m), s));
    if memory.is_none() {
        let info = cx
            .ubus("system", "info", None)
            .and_then(|t| ubus_system::parse_info(&t).ok());
        if let Some(info) = info {
            (memory, swap) = (info.memory, info.swap);
        }
    }
    let disk = match cx.read("/proc/mounts") {
        Some(mounts) => Some(
            disk::real_mounts(&mounts)
                .into_iter()
                .filter_map(|(dev, mnt)| {
                    let s = cx.src.statvfs(&mnt);
                    let s = cx.keep(&format!("statvfs {mnt}"), s)?;
                    disk::from_statvfs(&dev, &mnt, s)
                })
                .collect(),
        ),
        None => cx
            .run(&["df", "-P"])
            .and_then(|t| cx.keep("df -P", disk::parse_df(&t))),
    };
    Resources {
        load,
        cpus,
        memory,
        swap,
        disk,
        cpu_usage,
        ..Resources::default()
    }
}

/// Interfaces, addresses, DNS: netifd's view when ubus answers, the kernel's for the rest.
fn network(cx: &mut Ctx, mut doc: DeviceMonitoring) -> DeviceMonitoring {
    let vpn: Vec<String> = cx
        .uci("openvpn")
        .iter()
        .filter_map(|s| s.get("dev"))
        .map(str::to_owned)
        .collect();
    let devices = cx.ubus("network.device", "status", None);
    let mut ifaces = devices
        .and_then(|t| {
            cx.keep(
                "ubus network.device status",
                ubus_network::parse_devices(&t, &vpn),
            )
        })
        .unwrap_or_default();
    kernel_interfaces(cx, &mut ifaces);
    wifi(cx, &mut ifaces);
    let dump = cx.ubus("network.interface", "dump", None);
    let mut modems = Vec::new();
    match dump.and_then(|t| cx.keep("ubus network.interface dump", ubus_network::parse_dump(&t))) {
        Some(logical) => {
            let (servers, search) = netifd_addresses(cx, &mut ifaces, &logical, &mut modems);
            extra_kernel_addresses(cx, &mut ifaces);
            doc.dns_servers = (!servers.is_empty()).then_some(servers);
            doc.dns_search = (!search.is_empty()).then_some(search);
        }
        None => kernel_addresses(cx, &mut ifaces),
    }
    listed_modems(cx, &mut ifaces, &modems);
    doc.interfaces = (!ifaces.is_empty()).then(|| ifaces.into_values().collect());
    doc
}

/// Every `/sys/class/net` entry netifd did not report (all of them off OpenWrt).
fn kernel_interfaces(cx: &mut Ctx, ifaces: &mut BTreeMap<String, Interface>) {
    let Some(names) = (match cx.src.list("/sys/class/net") {
        Ok(n) => Some(n),
        Err(e) => cx.answer::<()>("/sys/class/net", Err(e)).and(None),
    }) else {
        return;
    };
    let mut stats = cx
        .read("/proc/net/dev")
        .and_then(|t| cx.keep("/proc/net/dev", netdev::parse(&t)))
        .unwrap_or_default();
    let missing: Vec<String> = names
        .into_iter()
        .filter(|n| !ifaces.contains_key(n))
        .collect();
    for name in missing {
        let base = format!("/sys/class/net/{name}");
        // Optional attributes (speed of a down link, bridge files) are quietly absent.
        let texts: Vec<Option<String>> = sysfs::ATTRIBUTES
            .iter()
            .map(|a| cx.src.read(&format!("{base}/{a}")).ok())
            .collect();
        let bridge_members = cx.src.list(&format!("{base}/brif")).ok();
        let stp = cx.src.read(&format!("{base}/bridge/stp_state")).ok();
        let is_wireless = cx.src.list(&format!("{base}/wireless")).is_ok()
            || cx.src.read(&format!("{base}/phy80211/name")).is_ok();
        let t = |i: usize| texts[i].as_deref();
        let attrs = sysfs::Attributes {
            address: t(0),
            mtu: t(1),
            tx_queue_len: t(2),
            operstate: t(3),
            flags: t(4),
            speed: t(5),
            duplex: t(6),
            uevent: t(7),
            is_wireless,
            is_bridge: bridge_members.is_some(),
            bridge_members: bridge_members.clone().unwrap_or_default(),
            stp_state: stp.as_deref(),
        };
        let mut st = stats.remove(&name);
        if let Some(st) = st.as_mut() {
            for c in sysfs::EXTRA_COUNTERS {
                if let Some(v) = cx
                    .src
                    .read(&format!("{base}/statistics/{c}"))
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                {
                    st.set(c, v);
                }
            }
        }
        ifaces.insert(name.clone(), sysfs::interface(&name, &attrs, st));
    }
}

fn wifi(cx: &mut Ctx, ifaces: &mut BTreeMap<String, Interface>) {
    let Some(status) = cx.ubus("network.wireless", "status", None) else {
        return;
    };
    let Some(radios) = cx.keep(
        "ubus network.wireless status",
        wireless::parse_status(&status),
    ) else {
        return;
    };
    for r in radios {
        let Some(iface) = ifaces.get_mut(&r.ifname) else {
            continue;
        };
        iface.kind = Some("wireless".into());
        let arg = format!("{{\"device\":\"{}\"}}", r.ifname);
        let Some(info) = cx.ubus("iwinfo", "info", Some(&arg)) else {
            continue;
        };
        let Some(Some((mut w, mode))) = cx.keep(
            &format!("ubus iwinfo info {}", r.ifname),
            wireless::parse_info(&info, r.htmode.as_deref()),
        ) else {
            continue;
        };
        let clients = if wireless::clients_from_assoclist(&mode) {
            let t = cx.ubus("iwinfo", "assoclist", Some(&arg));
            t.and_then(|t| {
                cx.keep(
                    &format!("ubus iwinfo assoclist {}", r.ifname),
                    wireless::parse_assoclist(&t),
                )
            })
        } else {
            let t = cx.ubus(&format!("hostapd.{}", r.ifname), "get_clients", None);
            t.and_then(|t| {
                cx.keep(
                    &format!("ubus hostapd.{} get_clients", r.ifname),
                    wireless::parse_hostapd_clients(&t),
                )
            })
        };
        w.clients = clients.filter(|c| !c.is_empty());
        iface.wireless = Some(w);
    }
}

/// Addresses, STP and modems from netifd's logical interfaces; returns the DNS lists and
/// adds the modems it reported (their `option device`) to `modems`.
fn netifd_addresses(
    cx: &mut Ctx,
    ifaces: &mut BTreeMap<String, Interface>,
    logical: &[ubus_network::LogicalInterface],
    modems: &mut Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let network = cx.uci("network");
    let (mut servers, mut search) = (Vec::new(), Vec::new());
    for l in logical {
        let Some(iface) = l.l3_device.as_deref().and_then(|d| ifaces.get_mut(d)) else {
            continue;
        };
        let addrs = iface.addresses.get_or_insert_with(Vec::new);
        for a in &l.addresses {
            if !addrs.iter().any(|x| x.address == a.address) {
                addrs.push(a.clone());
            }
        }
        if addrs.is_empty() {
            iface.addresses = None;
        } else if addrs[0].proto == "wireguard" {
            iface.kind = Some("virtual".into());
        }
        if iface.kind.as_deref() == Some("bridge") {
            let by_device = network
                .iter()
                .find(|s| s.kind == "device" && s.get("name") == l.device.as_deref());
            let by_iface = network
                .iter()
                .find(|s| s.name.as_deref() == Some(l.name.as_str()));
            iface.stp = by_device
                .or(by_iface)
                .and_then(|s| s.get("stp"))
                .map(|v| v == "1")
                .or(iface.stp);
        }
        for s in &l.dns_servers {
            if !servers.contains(s) {
                servers.push(s.clone());
            }
        }
        for s in &l.dns_search {
            if !search.contains(s) {
                search.push(s.clone());
            }
        }
        if l.proto == "modemmanager" {
            let modem = network
                .iter()
                .find(|s| s.name.as_deref() == Some(l.name.as_str()))
                .and_then(|s| s.get("device"));
            if let Some(modem) = modem {
                iface.kind = Some("modem-manager".into());
                iface.mobile = mobile(cx, modem);
                modems.push(modem.to_owned());
            }
        }
    }
    (servers, search)
}

/// A modem that fails to answer costs its `mobile` object only, never the sample.
fn mobile(cx: &mut Ctx, modem: &str) -> Option<edgemon_shared::netjson::Mobile> {
    let info = cx.run(&["mmcli", "-J", "-m", modem])?;
    mobile_from(cx, modem, &info)
}

/// Modems ModemManager knows (`mmcli -L -J`) that no netifd `proto modemmanager` interface
/// reported (a modem driven by another proto, or a host without netifd). Each one's data
/// goes to the interface named after its net port (else its primary port); when the kernel
/// has no such interface, one named after the port is added, with only `type` and `mobile`.
fn listed_modems(cx: &mut Ctx, ifaces: &mut BTreeMap<String, Interface>, reported: &[String]) {
    let Some(list) = cx.run(&["mmcli", "-L", "-J"]) else {
        return;
    };
    let Some(paths) = cx.keep("mmcli -L -J", modem::parse_list(&list)) else {
        return;
    };
    for path in paths {
        let Some(info) = cx.run(&["mmcli", "-J", "-m", &path]) else {
            continue;
        };
        let Some(ports) = cx.keep(&format!("mmcli -m {path}"), modem::parse_ports(&info)) else {
            continue;
        };
        if ports.device.as_ref().is_some_and(|d| reported.contains(d)) {
            continue;
        }
        let Some(name) = ports.interface(|n| ifaces.contains_key(n)) else {
            cx.warnings.push(format!(
                "mmcli -m {path}: the modem has no port to name its interface"
            ));
            continue;
        };
        if ifaces.get(&name).is_some_and(|i| i.mobile.is_some()) {
            continue;
        }
        let Some(m) = mobile_from(cx, &path, &info) else {
            continue;
        };
        let iface = ifaces.entry(name.clone()).or_insert_with(|| Interface {
            name,
            ..Interface::default()
        });
        iface.kind = Some("modem-manager".into());
        iface.mobile = Some(m);
    }
}

/// `mobile` from a modem's `mmcli -J -m` answer `info` plus its `--signal-get`.
fn mobile_from(cx: &mut Ctx, modem: &str, info: &str) -> Option<edgemon_shared::netjson::Mobile> {
    let mut m = cx.keep(&format!("mmcli -m {modem}"), modem::parse_modem(info))?;
    let signal = cx.run(&["mmcli", "-J", "-m", modem, "--signal-get"]);
    m.signal = signal
        .and_then(|t| {
            cx.keep(
                &format!("mmcli -m {modem} --signal-get"),
                modem::parse_signal(&t),
            )
        })
        .flatten();
    Some(m)
}

fn kernel_addresses(cx: &mut Ctx, ifaces: &mut BTreeMap<String, Interface>) {
    let Some(mut addrs) = netlink_addresses(cx, true).or_else(|| ip_addresses(cx)) else {
        return;
    };
    for (name, iface) in ifaces.iter_mut() {
        if let Some(a) = addrs.remove(name) {
            iface.addresses = Some(a);
        }
    }
}

/// Addresses per interface over netlink, with the default gateways when `gateways`.
fn netlink_addresses(cx: &mut Ctx, gateways: bool) -> Option<BTreeMap<String, Vec<Address>>> {
    let none = BTreeMap::new;
    let (gw4, gw6) = if gateways {
        (
            cx.kernel(Dump::Routes4, netlink::default_routes)
                .unwrap_or_default(),
            cx.kernel(Dump::Routes6, netlink::default_routes)
                .unwrap_or_default(),
        )
    } else {
        (none(), none())
    };
    cx.kernel(Dump::Addresses, |buf, names| {
        netlink::addresses(buf, names, &gw4, &gw6)
    })
}

/// The same from `ip -json` (hosts whose source has no netlink: captures, the simulator).
fn ip_addresses(cx: &mut Ctx) -> Option<BTreeMap<String, Vec<Address>>> {
    let mut gw = |argv: &[&str]| {
        cx.run(argv)
            .and_then(|t| ipaddr::parse_default_routes(&t).ok())
            .unwrap_or_default()
    };
    let gw4 = gw(&["ip", "-4", "-json", "route", "show", "default"]);
    let gw6 = gw(&["ip", "-6", "-json", "route", "show", "default"]);
    let text = cx.run(&["ip", "-json", "addr", "show"])?;
    cx.keep("ip -json addr show", ipaddr::parse_addrs(&text, &gw4, &gw6))
}

/// On OpenWrt, the addresses the kernel has and netifd does not list (IPv6 link-local,
/// addresses added by hand), as the reference adds them from getifaddrs. netifd's entries
/// win; the kernel's get `proto` from the `dynamic` flag and no gateway. BusyBox `ip` has
/// no `-json` (needs `ip-full`), so a failing `ip -json addr show` is skipped quietly.
fn extra_kernel_addresses(cx: &mut Ctx, ifaces: &mut BTreeMap<String, Interface>) {
    let from_ip = |cx: &mut Ctx| {
        let text = cx.src.run(&["ip", "-json", "addr", "show"]).ok()?;
        let none = BTreeMap::new();
        cx.keep(
            "ip -json addr show",
            ipaddr::parse_addrs(&text, &none, &none),
        )
    };
    let Some(mut kernel) = netlink_addresses(cx, false).or_else(|| from_ip(cx)) else {
        return;
    };
    for (name, iface) in ifaces.iter_mut() {
        if let Some(k) = kernel.remove(name) {
            ipaddr::merge(iface.addresses.get_or_insert_with(Vec::new), k);
        }
    }
}

fn neighbors(cx: &mut Ctx) -> Option<Vec<edgemon_shared::netjson::Neighbor>> {
    if let Some(found) = cx.kernel(Dump::Neighbours, netlink::neighbours) {
        return (!found.is_empty()).then_some(found);
    }
    let json = cx
        .run(&["ip", "-json", "neigh"])
        .and_then(|t| neigh::parse_ip_json(&t).ok())
        .filter(|n| !n.is_empty());
    let found = json
        .or_else(|| {
            cx.run(&["ip", "neigh"])
                .map(|t| neigh::parse_ip_text(&t))
                .filter(|n| !n.is_empty())
        })
        .or_else(|| cx.read("/proc/net/arp").map(|t| neigh::parse_arp(&t)))?;
    (!found.is_empty()).then_some(found)
}

fn leases(cx: &mut Ctx) -> Option<Vec<edgemon_shared::netjson::DhcpLease>> {
    let files = dhcp::lease_files(&cx.uci("dhcp"));
    let leases: Vec<_> = files
        .iter()
        .filter_map(|f| cx.read(f))
        .flat_map(|t| dhcp::parse_leases(&t))
        .collect();
    (!leases.is_empty()).then_some(leases)
}

/// The kernel's `STA_UNSYNC` bit through BusyBox `adjtimex` (any NTP client, OpenWrt's
/// sysntpd included); without that applet, systemd-timesyncd's flag file (present = synced);
/// unknown (absent) otherwise rather than a guess.
fn ntp_synced(cx: &mut Ctx) -> Option<bool> {
    let kernel = cx
        .run(&["adjtimex"])
        .and_then(|t| cx.keep("adjtimex", ntp::parse_adjtimex(&t)));
    kernel.or_else(|| {
        cx.src
            .read("/run/systemd/timesync/synchronized")
            .ok()
            .map(|_| true)
    })
}

#[cfg(test)]
#[path = "sample_tests.rs"]
mod tests;
