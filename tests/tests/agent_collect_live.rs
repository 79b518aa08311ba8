//! `edgemon-agent collect --once` on this machine reports this machine: its real memory,
//! every kernel interface, and a document the reference server would accept.

use edgemon_shared::validate::validate;
use edgemon_tests::bin;
use serde_json::Value;
use std::process::Command;

fn collect_live() -> Value {
    let out = Command::new(bin("edgemon-agent"))
        .args(["collect", "--once"])
        .output()
        .expect("run edgemon-agent");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
}

fn meminfo_bytes(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{key} in /proc/meminfo"));
    kib * 1024
}

#[test]
fn live_sample_reports_this_machine() {
    let doc = collect_live();
    if let Err(e) = validate(&doc) {
        panic!("invalid document: {e}\n{doc:#}");
    }

    assert_eq!(
        doc["resources"]["memory"]["total"],
        meminfo_bytes("MemTotal:")
    );
    let cpus = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap()
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count();
    assert_eq!(doc["resources"]["cpus"], cpus);
    assert_eq!(doc["resources"]["load"].as_array().unwrap().len(), 3);

    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(doc["general"]["hostname"], hostname.trim());

    let mut kernel: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kernel.sort();
    let reported: Vec<&str> = doc["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(reported, kernel, "every /sys/class/net entry, once, sorted");
    for i in doc["interfaces"].as_array().unwrap() {
        let name = i["name"].as_str().unwrap();
        let rx: u64 = std::fs::read_to_string(format!("/sys/class/net/{name}/statistics/rx_bytes"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let ours = i["statistics"]["rx_bytes"].as_u64().expect("rx_bytes");
        assert!(
            ours <= rx,
            "{name}: counters read before the check cannot exceed it"
        );
    }

    // The root filesystem is a real disk on any host this runs on (container or not).
    let disks = doc["resources"]["disk"].as_array().expect("disk list");
    assert!(disks.iter().any(|d| d["mount_point"] == "/"), "{disks:?}");

    assert_eq!(doc["edgemon"]["agent_version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_capture_bundle_replays_to_the_same_sample() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(bin("edgemon-agent"))
        .args(["capture", "--out"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    for expected in [
        "files/proc/meminfo",
        "files/proc/loadavg",
        "lists/%2Fsys%2Fclass%2Fnet",
        "clock",
    ] {
        assert!(dir.path().join(expected).exists(), "{expected} recorded");
    }
    let replay = |args: &[&str]| {
        let out = Command::new(bin("edgemon-agent"))
            .args(args)
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let a = replay(&["collect", "--once", "--from"]);
    let b = replay(&["collect", "--once", "--pretty", "--from"]);
    assert_eq!(a, b, "a bundle is deterministic");
    validate(&a).unwrap();
    assert_eq!(
        a["resources"]["memory"]["total"],
        meminfo_bytes("MemTotal:")
    );
}

#[test]
fn a_broken_source_costs_only_its_part_of_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files/proc");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("loadavg"), "garbage").unwrap();
    std::fs::write(
        files.join("meminfo"),
        "MemTotal: 2048 kB\nMemFree: 1024 kB\n",
    )
    .unwrap();
    let cmds = dir.path().join("commands");
    std::fs::create_dir_all(&cmds).unwrap();
    std::fs::write(
        cmds.join("ubus call network.device status.error"),
        "failed: timed out after 5000 ms\n",
    )
    .unwrap();
    let out = Command::new(bin("edgemon-agent"))
        .args(["collect", "--once", "--from"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/proc/loadavg"), "{stderr}");
    assert!(
        stderr.contains("ubus network.device status") || stderr.contains("network.device"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["resources"].get("load").is_none());
    assert_eq!(doc["resources"]["memory"]["total"], 2048 * 1024);
    validate(&doc).unwrap();
}

#[test]
fn help_is_printed_on_request_and_bad_arguments_are_named() {
    let agent = edgemon_tests::bin("edgemon-agent");
    for flag in ["--help", "-h", "help"] {
        let out = std::process::Command::new(&agent)
            .arg(flag)
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("collect --once"), "{flag}: {text}");
    }
    let out = std::process::Command::new(&agent)
        .args(["collect", "--once", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bogus"));
}
