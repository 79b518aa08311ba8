//! `edgemon-loadgen` against the real `edgemon-collector`, tiny fleets: every sample is
//! answered and the report's counts add up. No timing is asserted.

use std::process::Command;

fn loadgen(args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let collector = edgemon_tests::bin("edgemon-collector");
    let out = Command::new(env!("CARGO_BIN_EXE_edgemon-loadgen"))
        .args(args)
        .args(["--json", "--collector"])
        .arg(&collector)
        .env("EDGEMON__LOG__LEVEL", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("run edgemon-loadgen");
    assert!(
        out.status.success(),
        "edgemon-loadgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "report is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn count(report: &serde_json::Value, path: &str) -> u64 {
    report
        .pointer(path)
        .and_then(serde_json::Value::as_u64)
        .unwrap_or_else(|| panic!("{path} missing in {report}"))
}

#[test]
fn every_sample_of_every_device_gets_200() {
    let r = loadgen(
        &["--devices", "5", "--rounds", "2", "--concurrency", "2"],
        &[],
    );
    assert_eq!(count(&r, "/devices"), 5);
    assert_eq!(count(&r, "/rounds_started_min"), 2);
    assert_eq!(count(&r, "/requests/requests"), 10, "{r}");
    assert_eq!(count(&r, "/requests/ok_200"), 10, "{r}");
    assert_eq!(count(&r, "/requests/statuses/200"), 10, "{r}");
    for absent in ["too_many_429", "other_status", "errors"] {
        assert_eq!(count(&r, &format!("/requests/{absent}")), 0, "{r}");
    }
    assert!(count(&r, "/payload_bytes_mean") > 1000, "{r}");
    assert!(count(&r, "/collector/peak_rss_kib") > 0, "{r}");
}

#[test]
fn more_connections_than_devices_still_send_each_sample_once() {
    let r = loadgen(
        &["--devices", "3", "--rounds", "3", "--concurrency", "8"],
        &[],
    );
    assert_eq!(count(&r, "/requests/requests"), 9, "{r}");
    assert_eq!(count(&r, "/requests/ok_200"), 9, "{r}");
}

#[test]
fn a_full_queue_is_retried_until_every_sample_is_accepted() {
    // a one-sample queue with Retry-After: 0 answers some of the burst with 429; each is
    // retried on its connection, so 200s still equal devices × rounds
    let r = loadgen(
        &["--devices", "8", "--rounds", "3", "--concurrency", "8"],
        &[
            ("EDGEMON__INGEST__QUEUE_CAPACITY", "1"),
            ("EDGEMON__INGEST__RETRY_AFTER_S", "0"),
        ],
    );
    let ok = count(&r, "/requests/ok_200");
    let too_many = count(&r, "/requests/too_many_429");
    assert_eq!(ok, 24, "{r}");
    assert_eq!(count(&r, "/requests/requests"), ok + too_many, "{r}");
    assert_eq!(count(&r, "/requests/other_status"), 0, "{r}");
    assert_eq!(count(&r, "/requests/errors"), 0, "{r}");
}
