//! The orchestration on hand-made answers: which sources are asked and how they combine.

use super::collect;
use crate::source::{FsStats, Source, SourceError};
use edgemon_shared::netjson::{DeviceMonitoring, Interface};
use std::collections::BTreeMap;
use std::time::Duration;

/// Answers given commands; everything else is absent.
#[derive(Default)]
struct Fake {
    commands: BTreeMap<String, Result<String, SourceError>>,
    files: BTreeMap<String, String>,
}

impl Fake {
    fn cmd(mut self, line: &str, out: &str) -> Self {
        self.commands.insert(line.to_owned(), Ok(out.to_owned()));
        self
    }
    fn fail(mut self, line: &str) -> Self {
        self.commands
            .insert(line.to_owned(), Err(SourceError::Failed(format!("{line}: exit 1"))));
        self
    }
    fn file(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path.to_owned(), text.to_owned());
        self
    }
}

impl Source for Fake {
    fn read(&self, path: &str) -> Result<String, SourceError> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| SourceError::Absent(path.to_owned()))
    }
    fn read_twice(&self, path: &str, _: Duration) -> Result<(String, String), SourceError> {
        Err(SourceError::Absent(path.to_owned()))
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        Err(SourceError::Absent(dir.to_owned()))
    }
    fn run(&self, argv: &[&str]) -> Result<String, SourceError> {
        let line = argv.join(" ");
        self.commands
            .get(&line)
            .cloned()
            .unwrap_or(Err(SourceError::Absent(line)))
    }
    fn statvfs(&self, m: &str) -> Result<FsStats, SourceError> {
        Err(SourceError::Absent(m.to_owned()))
    }
    fn now(&self) -> Option<i64> {
        None
    }
}

fn iface<'a>(doc: &'a DeviceMonitoring, name: &str) -> Option<&'a Interface> {
    doc.interfaces.as_ref()?.iter().find(|i| i.name == name)
}

const DEVICES: &str = r#"{"br-lan":{"type":"bridge","up":true,"present":true},
    "eth1":{"type":"Network device","up":true,"present":true}}"#;
const DUMP: &str = r#"{"interface":[{"interface":"lan","l3_device":"br-lan","proto":"static",
    "ipv4-address":[{"address":"192.168.1.1","mask":24}],
    "ipv6-address":[{"address":"fd00:1::1","mask":60}]}]}"#;
const IP_ADDR: &str = r#"[{"ifname":"br-lan","addr_info":[
    {"family":"inet","local":"192.168.1.1","prefixlen":24},
    {"family":"inet6","local":"fd00:1:0::1","prefixlen":64},
    {"family":"inet6","local":"fe80::1","prefixlen":64}]},
  {"ifname":"eth1","addr_info":[{"family":"inet","local":"10.9.9.9","prefixlen":8}]},
  {"ifname":"ghost0","addr_info":[{"family":"inet","local":"10.1.1.1","prefixlen":8}]}]"#;

fn openwrt() -> Fake {
    Fake::default()
        .cmd("ubus call network.device status", DEVICES)
        .cmd("ubus call network.interface dump", DUMP)
}

#[test]
fn kernel_addresses_netifd_does_not_list_are_merged_on_openwrt() {
    let c = collect(&openwrt().cmd("ip -json addr show", IP_ADDR), Duration::ZERO);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let lan = iface(&c.doc, "br-lan").unwrap().addresses.clone().unwrap();
    let got: Vec<_> = lan
        .iter()
        .map(|a| (a.address.as_str(), a.proto.as_str(), a.mask))
        .collect();
    assert_eq!(
        got,
        [
            ("192.168.1.1", "static", 24),
            ("fd00:1::1", "static", 60),
            ("fe80::1", "static", 64)
        ]
    );
    let eth1 = iface(&c.doc, "eth1").unwrap().addresses.clone().unwrap();
    assert_eq!(eth1[0].address, "10.9.9.9");
    assert!(iface(&c.doc, "ghost0").is_none());
}

#[test]
fn busybox_ip_without_json_costs_nothing_but_garbage_is_reported() {
    let c = collect(&openwrt().fail("ip -json addr show"), Duration::ZERO);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(iface(&c.doc, "br-lan").unwrap().addresses.as_ref().unwrap().len(), 2);
    assert!(iface(&c.doc, "eth1").unwrap().addresses.is_none());

    let c = collect(&openwrt().cmd("ip -json addr show", &IP_ADDR[..40]), Duration::ZERO);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].starts_with("ip -json addr show:"));
    assert_eq!(iface(&c.doc, "br-lan").unwrap().addresses.as_ref().unwrap().len(), 2);
}
