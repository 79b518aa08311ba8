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
        self.commands.insert(
            line.to_owned(),
            Err(SourceError::Failed(format!("{line}: exit 1"))),
        );
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
    let c = collect(
        &openwrt().cmd("ip -json addr show", IP_ADDR),
        Duration::ZERO,
    );
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
    assert_eq!(
        iface(&c.doc, "br-lan")
            .unwrap()
            .addresses
            .as_ref()
            .unwrap()
            .len(),
        2
    );
    assert!(iface(&c.doc, "eth1").unwrap().addresses.is_none());

    let c = collect(
        &openwrt().cmd("ip -json addr show", &IP_ADDR[..40]),
        Duration::ZERO,
    );
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].starts_with("ip -json addr show:"));
    assert_eq!(
        iface(&c.doc, "br-lan")
            .unwrap()
            .addresses
            .as_ref()
            .unwrap()
            .len(),
        2
    );
}

const MM0: &str = "/org/freedesktop/ModemManager1/Modem/0";
const USB: &str = "/sys/devices/usb2/2-1";

fn modem_json(device: &str, net: &str) -> String {
    format!(
        r#"{{"modem":{{"3gpp":{{"imei":"123456789012345","operator-code":"22201",
        "operator-name":"Op"}},"generic":{{"state":"connected","power-state":"on",
        "manufacturer":"Acme","model":"X1","device":"{device}","primary-port":"cdc-wdm0",
        "ports":["cdc-wdm0 (qmi)","{net} (net)"]}}}}}}"#
    )
}

fn mm_devices() -> Fake {
    Fake::default().cmd(
        "ubus call network.device status",
        r#"{"wwan0":{"type":"Network device","up":true,"present":true}}"#,
    )
}

#[test]
fn a_modem_netifd_does_not_drive_is_found_through_mmcli_list() {
    let f = mm_devices()
        .cmd("ubus call network.interface dump", r#"{"interface":[]}"#)
        .cmd("mmcli -L -J", &format!(r#"{{"modem-list":["{MM0}"]}}"#))
        .cmd(&format!("mmcli -J -m {MM0}"), &modem_json(USB, "wwan0"))
        .cmd(
            &format!("mmcli -J -m {MM0} --signal-get"),
            r#"{"modem":{"signal":{"lte":{"rsrp":"-90.00"}}}}"#,
        );
    let c = collect(&f, Duration::ZERO);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let w = iface(&c.doc, "wwan0").unwrap();
    assert_eq!(w.kind.as_deref(), Some("modem-manager"));
    let m = w.mobile.as_ref().unwrap();
    assert_eq!(m.imei, "123456789012345");
    assert_eq!(
        m.signal.as_ref().unwrap().lte.as_ref().unwrap().rsrp,
        Some(-90.0)
    );
}

#[test]
fn a_modem_without_its_interface_gets_one_named_after_its_net_port() {
    let f = Fake::default()
        .cmd("mmcli -L -J", &format!(r#"{{"modem-list":["{MM0}"]}}"#))
        .cmd(&format!("mmcli -J -m {MM0}"), &modem_json(USB, "wwan7"));
    let c = collect(&f, Duration::ZERO);
    let names: Vec<_> = c
        .doc
        .interfaces
        .iter()
        .flatten()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["wwan7"]);
    let w = iface(&c.doc, "wwan7").unwrap();
    assert_eq!(w.mobile.as_ref().unwrap().model, "X1");
    assert!(w.mobile.as_ref().unwrap().signal.is_none());
    let v = serde_json::to_value(&c.doc).unwrap();
    edgemon_shared::validate::validate(&v).unwrap();
}

#[test]
fn a_modem_netifd_reported_is_not_reported_twice() {
    let f = mm_devices()
        .cmd(
            "ubus call network.interface dump",
            r#"{"interface":[{"interface":"mobile","l3_device":"wwan0","proto":"modemmanager"}]}"#,
        )
        .file(
            "/etc/config/network",
            &format!("config interface 'mobile'\n\toption proto 'modemmanager'\n\toption device '{USB}'\n"),
        )
        .cmd(&format!("mmcli -J -m {USB}"), &modem_json(USB, "wwan0"))
        .cmd("mmcli -L -J", &format!(r#"{{"modem-list":["{MM0}"]}}"#))
        .cmd(&format!("mmcli -J -m {MM0}"), &modem_json(USB, "wwan9"));
    let c = collect(&f, Duration::ZERO);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(iface(&c.doc, "wwan0").unwrap().mobile.is_some());
    assert!(iface(&c.doc, "wwan9").is_none());
}

#[test]
fn a_broken_modem_list_or_modem_costs_only_the_modem() {
    let c = collect(
        &mm_devices().cmd("mmcli -L -J", "{\"modem-list\":["),
        Duration::ZERO,
    );
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].starts_with("mmcli -L -J:"));
    assert!(iface(&c.doc, "wwan0").unwrap().mobile.is_none());

    let f = mm_devices()
        .cmd("mmcli -L -J", &format!(r#"{{"modem-list":["{MM0}"]}}"#))
        .cmd(&format!("mmcli -J -m {MM0}"), r#"{"modem":{"generic":{}}}"#);
    let c = collect(&f, Duration::ZERO);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("no port"));
    assert_eq!(c.doc.interfaces.unwrap().len(), 1);

    let c = collect(&mm_devices().fail("mmcli -L -J"), Duration::ZERO);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
}

fn ntp(f: &Fake) -> (Option<bool>, Vec<String>) {
    let c = collect(f, Duration::ZERO);
    (c.doc.edgemon.unwrap().ntp_synced, c.warnings)
}

#[test]
fn ntp_state_from_the_kernel_then_timesyncd_else_unknown() {
    let synced = "    status:       8193 (PLL | NANO)\n";
    let unsynced = "    status:       8257 (PLL | UNSYNC | NANO)\n";
    assert_eq!(
        ntp(&Fake::default().cmd("adjtimex", synced)),
        (Some(true), vec![])
    );
    assert_eq!(
        ntp(&Fake::default().cmd("adjtimex", unsynced)),
        (Some(false), vec![])
    );
    // The kernel's word beats timesyncd's flag file.
    let both = Fake::default()
        .cmd("adjtimex", unsynced)
        .file("/run/systemd/timesync/synchronized", "");
    assert_eq!(ntp(&both).0, Some(false));
    let timesyncd = Fake::default().file("/run/systemd/timesync/synchronized", "");
    assert_eq!(ntp(&timesyncd), (Some(true), vec![]));
    assert_eq!(ntp(&Fake::default()), (None, vec![]));
}

#[test]
fn a_broken_adjtimex_is_unknown_with_a_warning() {
    let (state, warnings) = ntp(&Fake::default().cmd("adjtimex", "    mode:  0\n"));
    assert_eq!(state, None);
    assert!(warnings[0].starts_with("adjtimex:"), "{warnings:?}");
    let (state, warnings) = ntp(&Fake::default().fail("adjtimex"));
    assert_eq!((state, warnings.len()), (None, 1));
}
