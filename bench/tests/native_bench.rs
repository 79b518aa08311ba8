//! `edgemon-native-bench` against the real collector (and a real mosquitto), tiny runs:
//! every sample is stored and the report's counts add up. No timing is asserted.

use std::process::Command;

fn bench(args: &[&str]) -> serde_json::Value {
    let collector = edgemon_tests::bin("edgemon-collector");
    let out = Command::new(env!("CARGO_BIN_EXE_edgemon-native-bench"))
        .args(args)
        .args([
            "--json",
            "--devices",
            "3",
            "--rounds",
            "2",
            "--concurrency",
            "2",
        ])
        .arg("--collector")
        .arg(&collector)
        .env("EDGEMON__LOG__LEVEL", "warn")
        .output()
        .expect("run edgemon-native-bench");
    assert!(
        out.status.success(),
        "edgemon-native-bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

#[test]
fn http_and_mqtt_runs_store_every_sample() {
    for (transport, batch) in [("http", "1"), ("http", "5"), ("mqtt", "5")] {
        let r = bench(&["--transport", transport, "--batch", batch]);
        let want = 3 * 2 * batch.parse::<u64>().unwrap();
        assert_eq!(r["samples"].as_u64(), Some(want), "{r}");
        assert_eq!(
            r["stored"].as_u64(),
            Some(want),
            "the collector's count: {r}"
        );
        assert_eq!(r["transport"], transport);
        assert!(r["collector_peak_rss_kib"].as_u64().unwrap() > 0);
    }
}
