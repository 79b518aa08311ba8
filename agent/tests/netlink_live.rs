//! The agent's netlink dumps of this machine's kernel against what iproute2's `ip -json`
//! prints of the same tables at the same moment: the addresses (with their gateways) and
//! the neighbours in the sample must not depend on which path produced them.
//! iproute2 is installed by `scripts/deps`; without `ip` this test fails, it does not skip.

use edgemon_agent::collect::{ipaddr, neigh, netlink};
use edgemon_agent::source::{Live, Source};
use std::collections::BTreeSet;

fn ip(args: &[&str]) -> String {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .expect("iproute2's `ip` runs (scripts/deps installs it)");
    assert!(out.status.success(), "ip {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn dump(d: netlink::Dump) -> Vec<u8> {
    Live::default().netlink(d).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn addresses_and_gateways_match_ip_json() {
    let names = netlink::links(&dump(netlink::Dump::Links)).unwrap();
    assert!(names.values().any(|n| n == "lo"), "{names:?}");
    let gw4 = netlink::default_routes(&dump(netlink::Dump::Routes4), &names).unwrap();
    let gw6 = netlink::default_routes(&dump(netlink::Dump::Routes6), &names).unwrap();
    let ours = netlink::addresses(&dump(netlink::Dump::Addresses), &names, &gw4, &gw6).unwrap();
    let ip_gw4 =
        ipaddr::parse_default_routes(&ip(&["-4", "-json", "route", "show", "default"])).unwrap();
    let ip_gw6 =
        ipaddr::parse_default_routes(&ip(&["-6", "-json", "route", "show", "default"])).unwrap();
    assert_eq!(gw4, ip_gw4);
    assert_eq!(gw6, ip_gw6);
    let theirs = ipaddr::parse_addrs(&ip(&["-json", "addr", "show"]), &ip_gw4, &ip_gw6).unwrap();
    assert!(
        ours.get("lo")
            .is_some_and(|a| a.iter().any(|a| a.address == "127.0.0.1" && a.mask == 8)),
        "{ours:?}"
    );
    assert_eq!(
        serde_json::to_value(&ours).unwrap(),
        serde_json::to_value(&theirs).unwrap()
    );
}

#[test]
fn neighbours_match_ip_json() {
    // Entries change state on their own (REACHABLE -> STALE); a few tries find a moment
    // when both reads saw the same table.
    let key = |n: &edgemon_shared::netjson::Neighbor| {
        (
            n.ip.clone(),
            n.interface.clone(),
            n.mac.clone(),
            n.state.clone(),
        )
    };
    let mut last = None;
    for _ in 0..10 {
        let names = netlink::links(&dump(netlink::Dump::Links)).unwrap();
        let ours: BTreeSet<_> = netlink::neighbours(&dump(netlink::Dump::Neighbours), &names)
            .unwrap()
            .iter()
            .map(key)
            .collect();
        let theirs: BTreeSet<_> = neigh::parse_ip_json(&ip(&["-json", "neigh"]))
            .unwrap()
            .iter()
            .map(key)
            .collect();
        if ours == theirs {
            return;
        }
        last = Some((ours, theirs));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (ours, theirs) = last.unwrap();
    panic!("netlink {ours:#?}\nip -json {theirs:#?}");
}

/// `ip -n NS` commands that lay out [`Router`].
const LAYOUT: &[&[&str]] = &[
    &[
        "link", "add", "lan0", "type", "veth", "peer", "name", "wan0",
    ],
    &["link", "set", "lo", "up"],
    &["link", "set", "lan0", "up"],
    &["link", "set", "wan0", "up"],
    &["addr", "add", "192.168.50.1/24", "dev", "lan0"],
    &[
        "addr",
        "add",
        "10.30.0.1",
        "peer",
        "10.30.0.2/32",
        "dev",
        "lan0",
    ],
    &[
        "addr",
        "add",
        "10.20.0.2/30",
        "dev",
        "wan0",
        "valid_lft",
        "3600",
        "preferred_lft",
        "1800",
    ],
    &["-6", "addr", "add", "fd50::1/64", "dev", "lan0", "nodad"],
    &[
        "-6",
        "addr",
        "add",
        "2001:db8:1::5/64",
        "dev",
        "wan0",
        "nodad",
        "valid_lft",
        "600",
        "preferred_lft",
        "600",
    ],
    &["route", "add", "default", "via", "10.20.0.1", "dev", "wan0"],
    &[
        "-6",
        "route",
        "add",
        "default",
        "via",
        "2001:db8:1::1",
        "dev",
        "wan0",
    ],
    &[
        "neigh",
        "add",
        "192.168.50.10",
        "lladdr",
        "02:11:22:33:44:55",
        "dev",
        "lan0",
        "nud",
        "permanent",
    ],
    &[
        "neigh",
        "add",
        "192.168.50.11",
        "lladdr",
        "02:11:22:33:44:66",
        "dev",
        "lan0",
        "nud",
        "stale",
    ],
    &[
        "neigh",
        "add",
        "fd50::10",
        "lladdr",
        "02:aa:bb:cc:dd:ee",
        "dev",
        "lan0",
        "nud",
        "reachable",
    ],
    &[
        "neigh",
        "add",
        "192.168.50.12",
        "lladdr",
        "02:11:22:33:44:77",
        "dev",
        "lan0",
        "nud",
        "noarp",
    ],
];

/// A namespace laid out like a small router: LAN and WAN veths, a static and a leased
/// IPv4 address, a point-to-point address, IPv6 with and without a lifetime, default routes
/// for both families, and neighbours in four states. Removed on drop.
struct Router(String);

impl Router {
    fn new() -> Router {
        let r = Router(format!("emnl{}", std::process::id()));
        let ns = r.0.as_str();
        ip(&["netns", "add", ns]);
        for step in LAYOUT {
            let mut args = vec!["-n", ns];
            args.extend_from_slice(step);
            ip(&args);
        }
        r
    }

    fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", self.0.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .status();
    }
}

#[test]
fn a_router_namespace_gives_the_same_sample_over_netlink_as_with_ip() {
    let r = Router::new();
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &r.0, env!("CARGO_BIN_EXE_edgemon-agent")])
        .args(["collect", "--once"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: edgemon_shared::netjson::DeviceMonitoring =
        serde_json::from_slice(&out.stdout).unwrap();
    let addrs: std::collections::BTreeMap<String, serde_json::Value> = doc
        .interfaces
        .unwrap()
        .into_iter()
        .filter_map(|i| Some((i.name, serde_json::to_value(i.addresses?).unwrap())))
        .collect();
    let gw4 =
        ipaddr::parse_default_routes(&r.ip(&["-4", "-json", "route", "show", "default"])).unwrap();
    let gw6 =
        ipaddr::parse_default_routes(&r.ip(&["-6", "-json", "route", "show", "default"])).unwrap();
    let theirs: std::collections::BTreeMap<String, serde_json::Value> =
        ipaddr::parse_addrs(&r.ip(&["-json", "addr", "show"]), &gw4, &gw6)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, serde_json::to_value(v).unwrap()))
            .collect();
    assert_eq!(addrs, theirs);
    // What the layout says, independently of iproute2.
    let wan = addrs["wan0"].as_array().unwrap();
    let find = |list: &[serde_json::Value], a: &str| {
        list.iter()
            .find(|x| x["address"] == a)
            .cloned()
            .unwrap_or_else(|| panic!("{a} not in {list:?}"))
    };
    let leased = find(wan, "10.20.0.2");
    assert_eq!(
        (&leased["mask"], &leased["proto"], &leased["gateway"]),
        (
            &serde_json::json!(30),
            &serde_json::json!("dhcp"),
            &serde_json::json!("10.20.0.1")
        )
    );
    let v6 = find(wan, "2001:db8:1::5");
    assert_eq!(
        (&v6["proto"], &v6["gateway"]),
        (
            &serde_json::json!("dhcp"),
            &serde_json::json!("2001:db8:1::1")
        )
    );
    let lan = addrs["lan0"].as_array().unwrap();
    assert_eq!(find(lan, "192.168.50.1")["proto"], "static");
    assert_eq!(
        find(lan, "10.30.0.1")["mask"],
        32,
        "the local end, not the peer"
    );
    assert_eq!(find(lan, "fd50::1")["proto"], "static");
    let mut seen: Vec<(String, Option<String>, Option<String>)> = doc
        .neighbors
        .unwrap()
        .into_iter()
        .map(|n| (n.ip, n.mac, n.state))
        .collect();
    seen.sort();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        seen,
        [
            (
                "192.168.50.10".to_owned(),
                s("02:11:22:33:44:55"),
                s("PERMANENT")
            ),
            (
                "192.168.50.11".to_owned(),
                s("02:11:22:33:44:66"),
                s("STALE")
            ),
            (
                "fd50::10".to_owned(),
                s("02:aa:bb:cc:dd:ee"),
                s("REACHABLE")
            ),
        ],
        "the NOARP entry is hidden, as `ip neigh` hides it"
    );
}
