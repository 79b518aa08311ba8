//! `edgemon-agent collect --once --simulate N` prints the document of simulated OpenWrt
//! router N: the real collection code over the simulator, accepted by the reference schema.

use edgemon_shared::validate::validate;
use edgemon_tests::bin;
use serde_json::Value;
use std::process::Command;

fn simulate(args: &[&str]) -> std::process::Output {
    Command::new(bin("edgemon-agent"))
        .args(["collect", "--once"])
        .args(args)
        .output()
        .expect("run edgemon-agent")
}

#[test]
fn a_simulated_router_reports_an_openwrt_document() {
    for seed in ["0", "7", "23"] {
        let out = simulate(&["--simulate", seed]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
        validate(&doc).unwrap();
        assert_eq!(doc["general"]["hostname"], format!("demo-ap-{seed:0>2}"));
        let ifaces = doc["interfaces"].as_array().unwrap();
        assert!(
            ifaces
                .iter()
                .any(|i| i["name"] == "br-lan" && i["type"] == "bridge")
        );
        assert!(
            ifaces
                .iter()
                .any(|i| i["type"] == "wireless" && i["wireless"]["ssid"].is_string())
        );
    }
}

#[test]
fn simulate_needs_a_number_and_excludes_from() {
    let out = simulate(&["--simulate", "seven"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("seven"));
    let out = simulate(&["--simulate", "1", "--from", "/tmp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exclusive"));
}
