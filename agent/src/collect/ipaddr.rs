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

#[cfg(test)]
mod tests {
    use super::*;

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
