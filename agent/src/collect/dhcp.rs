//! dnsmasq lease files (path from UCI `dhcp`) -> `dhcp_leases[]`.

use super::uci::Section;
use edgemon_shared::netjson::DhcpLease;

/// Lease files of every `dnsmasq` section that names one.
pub fn lease_files(dhcp: &[Section]) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for s in dhcp.iter().filter(|s| s.kind == "dnsmasq") {
        if let Some(f) = s.get("leasefile").filter(|f| !files.iter().any(|x| x == f)) {
            files.push(f.to_owned());
        }
    }
    files
}

fn is_mac(s: &str) -> bool {
    s.len() == 17
        && s.split(':')
            .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `expiry mac ip name client-id` lines. The `duid` line and DHCPv6 lines
/// (`expiry iaid ipv6 name duid`, which the reference mis-reads as IPv4 leases) are skipped.
pub fn parse_leases(text: &str) -> Vec<DhcpLease> {
    text.lines()
        .filter_map(|line| {
            let w: Vec<&str> = line.split_whitespace().collect();
            let [expiry, mac, ip, name, id] = w[..] else {
                return None;
            };
            let expiry: u32 = expiry.parse().ok()?;
            if !is_mac(mac) {
                return None;
            }
            Some(DhcpLease {
                expiry: f64::from(expiry),
                ip: ip.to_owned(),
                mac: mac.to_owned(),
                client_name: name.to_owned(),
                client_id: id.to_owned(),
                vendor: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::uci;

    #[test]
    fn lease_file_paths_come_from_dnsmasq_sections() {
        let cfg = uci::parse(
            "config dnsmasq\n option leasefile '/tmp/dhcp.leases'\nconfig dnsmasq 'b'\n \
             option leasefile '/tmp/dhcp.leases'\nconfig odhcpd 'odhcpd'\n option leasefile '/tmp/hosts/odhcpd'\n",
        );
        assert_eq!(lease_files(&cfg), ["/tmp/dhcp.leases"]);
    }

    #[test]
    fn v4_leases_kept_duid_and_v6_lines_dropped() {
        let leases = parse_leases(
            "1700000000 aa:bb:cc:dd:ee:ff 192.168.1.20 laptop 01:aa:bb:cc:dd:ee:ff\n\
             1700000100 11:22:33:44:55:66 192.168.1.21 * *\n\
             duid 00:01:00:01:2c:3b:5a:11:aa:bb:cc:dd:ee:ff\n\
             1700000200 12345678 fd00::20 phone 00:01:00:01:aa\n\
             1700000300 aa:bb:cc:dd:ee:ff 192.168.1.22\nnot-a-number aa:bb:cc:dd:ee:ff 1.2.3.4 x y\n",
        );
        assert_eq!(leases.len(), 2);
        assert!((leases[0].expiry - 1_700_000_000.0).abs() < 0.5);
        assert_eq!(leases[1].client_name, "*");
    }
}
