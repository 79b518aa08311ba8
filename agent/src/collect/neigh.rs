//! Neighbours: `ip -json neigh`, else `ip neigh` text, else `/proc/net/arp` -> `neighbors[]`.
//! Same fallbacks and field mapping as the reference.

use super::ParseError;
use edgemon_shared::netjson::Neighbor;
use serde::Deserialize;

#[derive(Deserialize)]
struct JsonNeigh {
    dst: String,
    dev: String,
    lladdr: Option<String>,
    #[serde(default)]
    state: Vec<String>,
}

/// `ip -json neigh`. Entries without a link-layer address (FAILED, INCOMPLETE) keep no `mac`.
pub fn parse_ip_json(text: &str) -> Result<Vec<Neighbor>, ParseError> {
    let entries: Vec<JsonNeigh> = serde_json::from_str(text)?;
    Ok(entries
        .into_iter()
        .map(|e| Neighbor {
            ip: e.dst,
            interface: e.dev,
            mac: e.lladdr,
            state: e.state.into_iter().next(),
            vendor: None,
        })
        .collect())
}

/// `ip neigh` text: `IP dev IF lladdr MAC ... STATE`; lines without `lladdr` are skipped.
pub fn parse_ip_text(text: &str) -> Vec<Neighbor> {
    text.lines()
        .filter_map(|line| {
            let w: Vec<&str> = line.split_whitespace().collect();
            let dev = w.iter().position(|x| *x == "dev")?;
            let ll = w.iter().position(|x| *x == "lladdr")?;
            Some(Neighbor {
                ip: (*w.first()?).to_owned(),
                interface: (*w.get(dev + 1)?).to_owned(),
                mac: Some((*w.get(ll + 1)?).to_owned()),
                state: w
                    .get(ll + 2..)
                    .and_then(<[&str]>::last)
                    .map(|s| (*s).to_owned()),
                vendor: None,
            })
        })
        .collect()
}

/// `/proc/net/arp`: `IP HWtype Flags MAC Mask Device`; the state is unknown there.
pub fn parse_arp(text: &str) -> Vec<Neighbor> {
    text.lines()
        .filter(|l| !l.starts_with("IP address"))
        .filter_map(|line| {
            let w: Vec<&str> = line.split_whitespace().collect();
            let [ip, _, _, mac, _, dev] = w[..] else {
                return None;
            };
            Some(Neighbor {
                ip: ip.to_owned(),
                interface: dev.to_owned(),
                mac: Some(mac.to_owned()),
                state: None,
                vendor: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_takes_the_first_state_and_tolerates_no_lladdr() {
        let n = parse_ip_json(
            r#"[{"dst":"10.1.1.1","dev":"br0","lladdr":"aa:bb:cc:dd:ee:ff","state":["REACHABLE","ROUTER"]},
                {"dst":"fd00::9","dev":"br0","state":["FAILED"]},{"dst":"10.1.1.9","dev":"br0"}]"#,
        )
        .unwrap();
        assert_eq!(n[0].state.as_deref(), Some("REACHABLE"));
        assert_eq!(n[1].mac, None);
        assert_eq!(n[2].state, None);
    }

    #[test]
    fn json_rejects_garbage_and_truncation() {
        assert!(parse_ip_json("Not Valid JSoN").is_err());
        assert!(parse_ip_json(r#"[{"dst":"10.1.1.1","dev":"#).is_err());
        assert!(parse_ip_json(r#"[{"dev":"x"}]"#).is_err());
    }

    #[test]
    fn text_lines() {
        let n = parse_ip_text(
            "10.1.1.1 dev br0 lladdr aa:bb:cc:dd:ee:ff ref 1 used 0/0/0 probes 1 REACHABLE\n\
             10.1.1.2 dev br0  FAILED\nfe80::1 dev wan lladdr 11:22:33:44:55:66 router STALE\n\
             10.1.1.3 dev br0 lladdr\n",
        );
        assert_eq!(n.len(), 2);
        assert_eq!(
            (n[0].interface.as_str(), n[0].state.as_deref()),
            ("br0", Some("REACHABLE"))
        );
        assert_eq!(n[1].state.as_deref(), Some("STALE"));
    }

    #[test]
    fn arp_table() {
        let n = parse_arp(
            "IP address       HW type     Flags       HW address            Mask     Device\n\
             192.168.1.10     0x1         0x2         aa:bb:cc:dd:ee:ff     *        br-lan\n\
             192.168.1.11     0x1\n",
        );
        assert_eq!(n.len(), 1);
        assert_eq!(
            (
                n[0].ip.as_str(),
                n[0].interface.as_str(),
                n[0].state.as_deref()
            ),
            ("192.168.1.10", "br-lan", None)
        );
    }
}
