//! The simulated router through the real collection code: every document validates, values
//! evolve as documented, and answers are deterministic.

use super::{Sim, Source, SourceError};
use crate::collect::{Collected, collect};
use crate::source::{Bundle, Recorder};
use edgemon_shared::netjson::{DeviceMonitoring, Interface};
use proptest::prelude::*;
use std::time::Duration;

const GAP: Duration = Duration::from_millis(250);
/// 2025-06-15T14:13:20Z.
const T0_MS: i64 = 1_750_000_000_000;

fn sample(seed: u64, ms: i64) -> Collected {
    collect(&Sim::new(seed, move || ms), GAP)
}

fn iface<'a>(doc: &'a DeviceMonitoring, name: &str) -> &'a Interface {
    doc.interfaces
        .iter()
        .flatten()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no interface {name}"))
}

fn valid(c: &Collected) -> Result<serde_json::Value, TestCaseError> {
    prop_assert!(c.warnings.is_empty(), "warnings: {:?}", c.warnings);
    let json: serde_json::Value = serde_json::from_str(&c.doc.to_json()).unwrap();
    if let Err(e) = edgemon_shared::validate::validate(&json) {
        return Err(TestCaseError::fail(format!("{e}\n{json:#}")));
    }
    Ok(json)
}

/// The boot time the document implies (local time is UTC + a whole-hour offset, so use
/// `uptime` against the clock instead).
fn boot_ms(doc: &DeviceMonitoring, ms: i64) -> i64 {
    ms / 1000 - doc.general.as_ref().unwrap().uptime.unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_document_passes_the_reference_schema(seed in 0u64..10_000, ms in 1_600_000_000_000i64..2_000_000_000_000) {
        let c = sample(seed, ms);
        let json = valid(&c)?;
        let general = c.doc.general.as_ref().unwrap();
        let hostname = format!("demo-ap-{seed:02}");
        prop_assert_eq!(general.hostname.as_deref(), Some(hostname.as_str()));
        prop_assert!(general.uptime.unwrap() >= 0);
        let r = c.doc.resources.as_ref().unwrap();
        prop_assert!(r.cpu_usage.is_some() && r.load.is_some() && r.memory.is_some());
        prop_assert!(!r.disk.as_ref().unwrap().is_empty());
        prop_assert!(json["interfaces"].as_array().unwrap().len() >= 6);
        prop_assert!(c.doc.dns_servers.is_some() && c.doc.neighbors.is_some());
    }

    #[test]
    fn counters_grow_between_samples_without_a_reboot(seed in 0u64..10_000, ms in 1_600_000_000_000i64..2_000_000_000_000, step in 1_000i64..3_600_000) {
        let (a, b) = (sample(seed, ms).doc, sample(seed, ms + step).doc);
        let rebooted = boot_ms(&a, ms) != boot_ms(&b, ms + step);
        for ia in a.interfaces.iter().flatten() {
            let (sa, sb) = (ia.statistics.as_ref().unwrap(), iface(&b, &ia.name).statistics.as_ref().unwrap());
            for (x, y) in [(sa.rx_bytes, sb.rx_bytes), (sa.tx_bytes, sb.tx_bytes), (sa.rx_packets, sb.rx_packets), (sa.tx_packets, sb.tx_packets)] {
                if !rebooted {
                    prop_assert!(y >= x, "{}: {x:?} -> {y:?}", ia.name);
                }
            }
            if !rebooted && ia.up == Some(true) && ia.name != "lo" {
                prop_assert!(sb.rx_bytes > sa.rx_bytes, "{} idle", ia.name);
            }
        }
    }

    #[test]
    fn the_same_seed_and_time_give_the_same_answers(seed: u64, ms in 0i64..4_000_000_000_000) {
        prop_assert_eq!(sample(seed, ms).doc.to_json(), sample(seed, ms).doc.to_json());
    }
}

#[test]
fn clients_associate_on_wireless_interfaces_and_hold_leases() {
    let mut seen = 0;
    for seed in 0..30 {
        // 19:13 UTC: 19:13 to 21:13 local time, when most clients are around.
        let c = sample(seed, T0_MS + 5 * 3_600_000);
        let leases: Vec<&str> = c
            .doc
            .dhcp_leases
            .iter()
            .flatten()
            .map(|l| l.mac.as_str())
            .collect();
        for i in c
            .doc
            .interfaces
            .iter()
            .flatten()
            .filter(|i| i.kind.as_deref() == Some("wireless"))
        {
            let w = i
                .wireless
                .as_ref()
                .expect("every AP interface reports its radio");
            assert!(w.channel > 0 && w.frequency > 2400 && w.mode == "access_point");
            for client in w.clients.iter().flatten() {
                assert!(
                    leases.contains(&client.mac.as_str()),
                    "{} has no lease",
                    client.mac
                );
                seen += 1;
            }
        }
    }
    assert!(
        seen > 30,
        "only {seen} clients in the evening across 30 routers"
    );
}

#[test]
fn modem_routers_report_mobile_with_signal_and_others_do_not() {
    let (mut with, mut without) = (0, 0);
    for seed in 0..40 {
        let sim = Sim::new(seed, || T0_MS);
        let c = collect(&sim, GAP);
        let mobile: Vec<_> = c
            .doc
            .interfaces
            .iter()
            .flatten()
            .filter_map(|i| i.mobile.as_ref())
            .collect();
        if sim.has_modem() {
            with += 1;
            assert_eq!(mobile.len(), 1, "seed {seed}");
            assert_eq!(
                iface(&c.doc, "wwan0").kind.as_deref(),
                Some("modem-manager")
            );
            let lte = mobile[0]
                .signal
                .as_ref()
                .and_then(|s| s.lte.as_ref())
                .expect("LTE signal");
            assert!(lte.rsrp.unwrap() < -60.0 && lte.snr.is_some());
            assert_eq!(mobile[0].imei.len(), 15);
        } else {
            without += 1;
            assert!(mobile.is_empty());
            assert!(matches!(
                sim.run(&["mmcli", "-J", "-m", "/x"]),
                Err(SourceError::Absent(_))
            ));
        }
    }
    assert!(with > 0 && without > 0);
}

#[test]
fn the_signal_drifts_over_time() {
    let seed = (0..1000).find(|s| Sim::new(*s, || 0).has_modem()).unwrap();
    let rsrp = |ms: i64| {
        let c = sample(seed, ms);
        let m = iface(&c.doc, "wwan0").mobile.clone().unwrap();
        m.signal.unwrap().lte.unwrap().rsrp.unwrap()
    };
    let readings: Vec<f64> = (0..12).map(|h| rsrp(T0_MS + h * 3_600_000)).collect();
    assert!(
        readings.iter().any(|r| (r - readings[0]).abs() >= 1.0),
        "{readings:?}"
    );
}

#[test]
fn a_reboot_restarts_uptime_and_counters() {
    let seed = 5;
    let mut ms = T0_MS;
    let first = sample(seed, ms).doc;
    let boot = boot_ms(&first, ms);
    // Step an hour at a time to the first sample after the next boot.
    let mut before = first;
    loop {
        let next = sample(seed, ms + 3_600_000).doc;
        if boot_ms(&next, ms + 3_600_000) != boot {
            let (up_before, up_after) = (
                before.general.as_ref().unwrap().uptime.unwrap(),
                next.general.as_ref().unwrap().uptime.unwrap(),
            );
            assert!(up_after <= 3600 && up_after < up_before);
            let bytes = |d: &DeviceMonitoring| {
                iface(d, "wan")
                    .statistics
                    .as_ref()
                    .unwrap()
                    .rx_bytes
                    .unwrap()
            };
            assert!(bytes(&next) < bytes(&before));
            return;
        }
        before = next;
        ms += 3_600_000;
        assert!(ms < T0_MS + 100 * 86_400_000, "no reboot in 100 days");
    }
}

#[test]
fn replaying_a_recorded_simulation_gives_the_same_document() {
    let dir = tempfile::tempdir().unwrap();
    let live = collect(&Recorder::new(Sim::new(11, || T0_MS), dir.path()), GAP);
    let replay = collect(&Bundle::new(dir.path()), GAP);
    assert_eq!(live.doc.to_json(), replay.doc.to_json());
}

#[test]
fn what_an_openwrt_router_lacks_is_absent() {
    let sim = Sim::new(1, || T0_MS);
    assert!(matches!(
        sim.read("/etc/config/openvpn"),
        Err(SourceError::Absent(_))
    ));
    assert!(matches!(
        sim.run(&["df", "-P"]),
        Err(SourceError::Absent(_))
    ));
    assert!(matches!(
        sim.list("/sys/class/net/nope/brif"),
        Err(SourceError::Absent(_))
    ));
    assert!(matches!(
        sim.statvfs("/mnt/usb"),
        Err(SourceError::Absent(_))
    ));
    assert!(matches!(
        sim.run(&["ubus", "call", "iwinfo", "info", r#"{"device":"nope"}"#]),
        Err(SourceError::Failed(_))
    ));
    assert_eq!(sim.now(), Some(T0_MS / 1000));
    assert_ne!(Sim::new(1, || 0).hostname(), Sim::new(2, || 0).hostname());
}
