//! netifd: `ubus call network.device status` -> interfaces, and
//! `ubus call network.interface dump` -> their addresses, DNS, and which one is a modem.

use super::ParseError;
use edgemon_shared::netjson::{Address, Extra, Interface, Statistics};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Interfaces from `network.device status`, by name (`lo` left out). `vpn_devices` are
/// openvpn `dev` names: netifd calls them plain "Network device" too.
pub fn parse_devices(
    json: &str,
    vpn_devices: &[String],
) -> Result<BTreeMap<String, Interface>, ParseError> {
    let devices: Map<String, Value> = serde_json::from_str(json)?;
    let live = |name: &str| {
        devices.get(name).is_some_and(|d| {
            d.get("up").and_then(Value::as_bool) == Some(true)
                && d.get("present").and_then(Value::as_bool) == Some(true)
        })
    };
    let mut out = BTreeMap::new();
    for (name, d) in devices.iter().filter(|(n, _)| *n != "lo") {
        let s = |k: &str| d.get(k).and_then(Value::as_str);
        let ubus_type = s("type").unwrap_or_default();
        let members: Vec<String> = d
            .get("bridge-members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|m| live(m))
            .map(str::to_owned)
            .collect();
        let link_supported = d
            .get("link-supported")
            .and_then(Value::as_array)
            .filter(|l| !l.is_empty());
        let mut extra = Extra::new();
        let kind = if ubus_type == "Network device" {
            if let Some(l) = link_supported {
                extra.insert("link_supported".into(), Value::Array(l.clone()));
                "ethernet".to_owned()
            } else if vpn_devices.iter().any(|v| v == name) {
                "virtual".to_owned()
            } else {
                "other".to_owned()
            }
        } else {
            ubus_type.to_lowercase()
        };
        let statistics = d
            .get("statistics")
            .map(|st| serde_json::from_value::<Statistics>(st.clone()))
            .transpose()
            .map_err(|e| ParseError::new(format!("{name}.statistics: {e}")))?;
        out.insert(
            name.clone(),
            Interface {
                name: name.clone(),
                kind: Some(kind),
                up: d.get("up").and_then(Value::as_bool),
                mac: s("macaddr").map(str::to_owned),
                mtu: d.get("mtu").and_then(Value::as_i64),
                txqueuelen: d.get("txqueuelen").and_then(Value::as_i64),
                speed: s("speed").map(str::to_owned),
                multicast: d.get("multicast").and_then(Value::as_bool),
                bridge_members: (!members.is_empty()).then_some(members),
                statistics,
                extra,
                ..Interface::default()
            },
        );
    }
    Ok(out)
}

/// One logical interface of `network.interface dump`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogicalInterface {
    /// The UCI name (`lan`, `wan`, `mobile`).
    pub name: String,
    pub l3_device: Option<String>,
    pub device: Option<String>,
    pub proto: String,
    pub addresses: Vec<Address>,
    pub dns_servers: Vec<String>,
    pub dns_search: Vec<String>,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The default route's next hop for one family (`0.0.0.0` or `::` target, mask 0).
fn gateway(entry: &Value, target: &str) -> Option<String> {
    entry.get("route")?.as_array()?.iter().find_map(|r| {
        (r.get("target")?.as_str()? == target && r.get("mask").and_then(Value::as_i64) == Some(0))
            .then(|| r.get("nexthop")?.as_str().map(str::to_owned))?
    })
}

/// Parses the dump. Addresses carry their own family's default gateway; an address
/// without a mask (which the schema would reject) is left out.
pub fn parse_dump(json: &str) -> Result<Vec<LogicalInterface>, ParseError> {
    let v: Value = serde_json::from_str(json)?;
    let entries = v
        .get("interface")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::new("no `interface` array"))?;
    let mut out = Vec::new();
    for e in entries {
        let proto = e.get("proto").and_then(Value::as_str).unwrap_or_default();
        let proto = if proto == "dhcpv6" { "dhcp" } else { proto };
        let mut addresses: Vec<Address> = Vec::new();
        for (key, family, target) in [
            ("ipv4-address", "ipv4", "0.0.0.0"),
            ("ipv6-address", "ipv6", "::"),
        ] {
            let gw = gateway(e, target);
            for a in e.get(key).and_then(Value::as_array).into_iter().flatten() {
                let (Some(address), Some(mask)) = (
                    a.get("address").and_then(Value::as_str),
                    a.get("mask").and_then(Value::as_i64),
                ) else {
                    continue;
                };
                if addresses.iter().any(|x| x.address == address) {
                    continue;
                }
                addresses.push(Address {
                    address: address.to_owned(),
                    mask,
                    family: family.to_owned(),
                    proto: proto.to_owned(),
                    gateway: gw.clone(),
                    extra: Extra::new(),
                });
            }
        }
        out.push(LogicalInterface {
            name: e
                .get("interface")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            l3_device: e
                .get("l3_device")
                .and_then(Value::as_str)
                .map(str::to_owned),
            device: e.get("device").and_then(Value::as_str).map(str::to_owned),
            proto: proto.to_owned(),
            addresses,
            dns_servers: strings(e, "dns-server"),
            dns_search: strings(e, "dns-search"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICES: &str = r#"{
      "lo": {"type":"Network device","up":true},
      "br-lan": {"type":"bridge","up":true,"present":true,"macaddr":"aa:aa:aa:aa:aa:01","mtu":1500,
                 "bridge-members":["lan1","lan2","lan3"],"multicast":true},
      "lan1": {"type":"Network device","up":false,"present":true,"link-supported":["1000baseT-F"]},
      "lan2": {"type":"Network device","up":true,"present":true,"link-supported":["1000baseT-F"],"speed":"1000F",
               "statistics":{"rx_bytes":18446744073709551615,"tx_bytes":1}},
      "tun0": {"type":"Network device","up":true,"present":true},
      "wg0": {"type":"Network device","up":true,"present":true},
      "eth0.2": {"type":"VLAN","up":true,"present":true}
    }"#;

    #[test]
    fn device_types_members_and_counters() {
        let d = parse_devices(DEVICES, &["tun0".to_owned()]).unwrap();
        assert!(!d.contains_key("lo"));
        assert_eq!(
            d["br-lan"].bridge_members.as_deref(),
            Some(&["lan2".to_owned()][..])
        );
        assert_eq!(d["lan2"].kind.as_deref(), Some("ethernet"));
        assert_eq!(d["lan2"].extra["link_supported"][0], "1000baseT-F");
        assert_eq!(
            d["lan2"].statistics.as_ref().unwrap().rx_bytes,
            Some(u64::MAX)
        );
        assert_eq!(d["tun0"].kind.as_deref(), Some("virtual"));
        assert_eq!(d["wg0"].kind.as_deref(), Some("other"));
        assert_eq!(d["eth0.2"].kind.as_deref(), Some("vlan"));
    }

    #[test]
    fn malformed_devices() {
        assert!(parse_devices("[]", &[]).is_err());
        assert!(parse_devices(r#"{"x":{"statistics":{"rx_bytes":-1}}}"#, &[]).is_err());
        assert!(parse_devices(&DEVICES[..100], &[]).is_err());
    }

    #[test]
    fn dump_addresses_get_their_own_family_gateway() {
        let l = parse_dump(
            r#"{"interface":[{"interface":"wan","l3_device":"eth1","device":"eth1","proto":"dhcp",
               "ipv4-address":[{"address":"198.51.100.7","mask":24}],
               "ipv6-address":[{"address":"2001:db8::7","mask":64},{"address":"2001:db8::8"}],
               "route":[{"target":"0.0.0.0","mask":0,"nexthop":"198.51.100.1"}],
               "dns-server":["198.51.100.1"],"dns-search":["example"]},
               {"interface":"wan6","proto":"dhcpv6","up":false}]}"#,
        )
        .unwrap();
        let wan = &l[0];
        assert_eq!(
            wan.addresses.len(),
            2,
            "the address without a mask is dropped"
        );
        assert_eq!(wan.addresses[0].gateway.as_deref(), Some("198.51.100.1"));
        assert_eq!(wan.addresses[1].gateway, None);
        assert_eq!((wan.dns_servers.len(), wan.dns_search.len()), (1, 1));
        assert_eq!(
            (l[1].proto.as_str(), l[1].l3_device.as_deref()),
            ("dhcp", None)
        );
        assert!(parse_dump(r#"{"interface":{}}"#).is_err());
    }
}
