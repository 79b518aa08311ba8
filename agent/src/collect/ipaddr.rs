//! `ip -json addr` and `ip -json route show default` -> addresses for hosts without netifd.

use super::ParseError;
use edgemon_shared::netjson::Address;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Link {
    ifname: String,
    #[serde(default)]
    addr_info: Vec<AddrInfo>,
}

#[derive(Deserialize)]
struct AddrInfo {
    family: String,
    local: Option<String>,
    prefixlen: Option<i64>,
    #[serde(default)]
    dynamic: bool,
}

#[derive(Deserialize)]
struct Route {
    dev: Option<String>,
    gateway: Option<String>,
}

/// Default gateways per device, from `ip -json route show default` (IPv4 or IPv6 table).
pub fn parse_default_routes(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let routes: Vec<Route> = serde_json::from_str(text)?;
    Ok(routes
        .into_iter()
        .filter_map(|r| Some((r.dev?, r.gateway?)))
        .collect())
}

/// Addresses per interface. `proto` is `dhcp` for kernel-`dynamic` addresses (DHCP, SLAAC)
/// and `static` otherwise; each family gets only its own family's gateway.
pub fn parse_addrs(
    text: &str,
    gw4: &BTreeMap<String, String>,
    gw6: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Vec<Address>>, ParseError> {
    let links: Vec<Link> = serde_json::from_str(text)?;
    let mut out = BTreeMap::new();
    for link in links {
        let addrs: Vec<Address> = link
            .addr_info
            .into_iter()
            .filter_map(|a| {
                let (family, gw) = match a.family.as_str() {
                    "inet" => ("ipv4", gw4),
                    "inet6" => ("ipv6", gw6),
                    _ => return None,
                };
                Some(Address {
                    address: a.local?,
                    mask: a.prefixlen?,
                    family: family.to_owned(),
                    proto: if a.dynamic { "dhcp" } else { "static" }.to_owned(),
                    gateway: gw.get(&link.ifname).cloned(),
                    extra: edgemon_shared::netjson::Extra::new(),
                })
            })
            .collect();
        if !addrs.is_empty() {
            out.insert(link.ifname, addrs);
        }
    }
    Ok(out)
}

/// Appends the kernel's addresses that `into` (netifd's, which carry proto and gateway) does
/// not already list. Addresses are compared as IPs, so `fe80::1` and `fe80:0::1` are one.
pub fn merge(into: &mut Vec<Address>, kernel: Vec<Address>) {
    let key = |a: &Address| {
        a.address
            .parse::<std::net::IpAddr>()
            .map_or_else(|_| a.address.clone(), |ip| ip.to_string())
    };
    for a in kernel {
        let k = key(&a);
        if !into.iter().any(|x| key(x) == k) {
            into.push(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(address: &str, proto: &str) -> Address {
        Address {
            address: address.to_owned(),
            mask: 64,
            family: "ipv6".to_owned(),
            proto: proto.to_owned(),
            gateway: None,
            extra: edgemon_shared::netjson::Extra::new(),
        }
    }

    #[test]
    fn merge_keeps_netifd_entries_and_adds_only_new_addresses() {
        let mut netifd = vec![addr("2001:db8::1", "dhcp")];
        netifd[0].gateway = Some("fe80::1".into());
        merge(
            &mut netifd,
            vec![
                addr("2001:db8:0::1", "static"),
                addr("fe80::2", "static"),
                addr("fe80::2", "static"),
            ],
        );
        let got: Vec<_> = netifd
            .iter()
            .map(|a| (a.address.as_str(), a.proto.as_str(), a.gateway.is_some()))
            .collect();
        assert_eq!(
            got,
            [("2001:db8::1", "dhcp", true), ("fe80::2", "static", false)]
        );
    }

    #[test]
    fn merge_into_nothing_takes_everything_and_odd_text_compares_as_text() {
        let mut none = Vec::new();
        merge(
            &mut none,
            vec![addr("not-an-ip", "static"), addr("not-an-ip", "x")],
        );
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].proto, "static");
    }

    #[test]
    fn addresses_with_per_family_gateways() {
        let gw4 = parse_default_routes(r#"[{"dst":"default","gateway":"192.0.2.1","dev":"eth0"}]"#)
            .unwrap();
        let gw6 = BTreeMap::new();
        let m = parse_addrs(
            r#"[{"ifname":"eth0","addr_info":[{"family":"inet","local":"192.0.2.9","prefixlen":24,"dynamic":true},
                {"family":"inet6","local":"fe80::1","prefixlen":64}]},{"ifname":"dummy0"}]"#,
            &gw4,
            &gw6,
        )
        .unwrap();
        let eth0 = &m["eth0"];
        assert_eq!(
            (eth0[0].proto.as_str(), eth0[0].gateway.as_deref()),
            ("dhcp", Some("192.0.2.1"))
        );
        assert_eq!(
            (eth0[1].family.as_str(), eth0[1].gateway.as_deref()),
            ("ipv6", None)
        );
        assert!(!m.contains_key("dummy0"));
    }

    #[test]
    fn malformed_and_truncated_json_is_an_error() {
        let e = BTreeMap::new();
        assert!(parse_addrs("[{\"ifname\":\"eth0\",", &e, &e).is_err());
        assert!(parse_addrs("Object \"addr\" is unknown", &e, &e).is_err());
        assert!(parse_default_routes("{}").is_err());
    }
}
