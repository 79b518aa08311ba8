//! The simulated router's UCI files (`/etc/config/network`, `dhcp`) and dnsmasq's lease
//! file, consistent with the devices and clients it reports elsewhere.

use super::dynamics::At;
use super::net::lan_ip;
use super::profile::{Profile, mac};

pub const LEASE_FILE: &str = "/tmp/dhcp.leases";
/// The `lan` pool's lease time (12 h).
const LEASE: f64 = 43_200.0;

/// `/etc/config/network`.
pub fn network(p: &Profile) -> String {
    let mut out = String::from(
        "config interface 'loopback'\n\toption device 'lo'\n\toption proto 'static'\n\
         \toption ipaddr '127.0.0.1'\n\toption netmask '255.0.0.0'\n\n\
         config globals 'globals'\n\toption ula_prefix 'fd00:ed::/48'\n\n\
         config device\n\toption name 'br-lan'\n\toption type 'bridge'\n\toption stp '0'\n",
    );
    for n in 1..=p.model.lan_ports {
        out.push_str(&format!("\tlist ports 'lan{n}'\n"));
    }
    out.push_str(&format!(
        "\nconfig interface 'lan'\n\toption device 'br-lan'\n\toption proto 'static'\n\
         \toption ipaddr '{}'\n\toption netmask '255.255.255.0'\n\toption ip6assign '60'\n\n\
         config interface 'wan'\n\toption device 'wan'\n\toption proto 'dhcp'\n\n\
         config interface 'wan6'\n\toption device 'wan'\n\toption proto 'dhcpv6'\n",
        lan_ip(p, 1)
    ));
    if let Some(m) = &p.modem {
        out.push_str(&format!(
            "\nconfig interface 'mobile'\n\toption device '{}'\n\toption proto 'modemmanager'\n\
             \toption apn 'internet'\n\toption iptype 'ipv4'\n\toption metric '10'\n",
            m.path
        ));
    }
    out
}

/// `/etc/config/dhcp`.
pub fn dhcp() -> String {
    format!(
        "config dnsmasq\n\toption domainneeded '1'\n\toption localise_queries '1'\n\
         \toption local '/lan/'\n\toption domain 'lan'\n\toption leasefile '{LEASE_FILE}'\n\
         \toption resolvfile '/tmp/resolv.conf.d/resolv.conf.auto'\n\n\
         config dhcp 'lan'\n\toption interface 'lan'\n\toption start '100'\n\toption limit '150'\n\
         \toption leasetime '12h'\n\n\
         config dhcp 'wan'\n\toption interface 'wan'\n\toption ignore '1'\n\n\
         config odhcpd 'odhcpd'\n\toption maindhcp '0'\n\toption leasefile '/tmp/hosts/odhcpd'\n"
    )
}

/// dnsmasq's lease file: one 12 h lease per associated client (renewed at half time since
/// it joined) and for the wired host, newest first, then the DUID line.
pub fn leases(at: &At) -> String {
    let p = at.p;
    let expiry = |joined: f64| {
        let renewed = joined + ((at.t - joined) / (LEASE / 2.0)).floor() * (LEASE / 2.0);
        (renewed + LEASE) as i64
    };
    let mut rows: Vec<(i64, String)> = Vec::new();
    if p.wired_host {
        let m = mac(p.seed, 0x10);
        rows.push((
            expiry(at.boot() + 20.0),
            format!(
                "{m} {} desktop-{:04x} 01:{m}",
                lan_ip(p, 10),
                p.seed & 0xffff
            ),
        ));
    }
    for i in at.clients() {
        let c = &p.clients[i];
        let joined = at.joined(i).unwrap_or(at.t);
        rows.push((
            expiry(joined),
            format!("{} {} {} 01:{}", c.mac, lan_ip(p, c.host), c.name, c.mac),
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out: String = rows
        .into_iter()
        .map(|(e, rest)| format!("{e} {rest}\n"))
        .collect();
    out.push_str(&format!("duid 00:04:{}\n", mac(p.seed, 0xd0)));
    out
}
