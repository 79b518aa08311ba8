//! The real collector on the InfluxDB backend while the real `influxd` crashes: native
//! batches keep being acknowledged during the outage (the durable write queue holds their
//! points), the backlog drains once the server is back, and every acknowledged sample is
//! in InfluxDB exactly once. Then the CLI's migrate/copy/dead-letter commands.

use edgemon_shared::envelope::{Batch, Document, POSTCARD_MEDIA_TYPE, Sample};
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::{request, try_request};
use edgemon_tests::influxd::Influxd;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn metric(addr: SocketAddr, name: &str) -> Option<u64> {
    let r = try_request(addr, "GET", "/metrics", &[], b"").ok()?;
    r.text()
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn batch(device: &str, seq: u64, base_us: i64) -> Vec<u8> {
    let doc = format!(
        r#"{{"type":"DeviceMonitoring","general":{{"uptime":{seq}}},"resources":{{"load":[0.5,0.2,0.1],"cpus":2}},"interfaces":[{{"name":"eth0","statistics":{{"rx_bytes":{},"tx_bytes":0}}}}]}}"#,
        seq * 1000
    );
    Batch {
        device: device.parse().unwrap(),
        samples: vec![Sample {
            seq,
            collected_at_us: base_us + i64::try_from(seq).unwrap() * 1_000_000,
            document: Document::from_json(doc).unwrap(),
        }],
    }
    .encode()
}

fn count(server: &Influxd, q: &str) -> i64 {
    server.query("openwisp2", q)["results"][0]["series"][0]["values"][0][1]
        .as_i64()
        .unwrap_or(0)
}

#[test]
fn an_influxdb_crash_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Influxd::start(&dir.path().join("influxd"));
    let mut c = Collector::new();
    c.env("EDGEMON__TSDB__BACKEND", "influxdb")
        .env("EDGEMON__INFLUXDB__URL", &server.url())
        .env("EDGEMON__INFLUXDB__BACKOFF_MAX", "1s")
        .env("EDGEMON__INFLUXDB__BATCH_POINTS", "50");
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "r1"]));
    let (id, key) = (d["id"].clone(), d["key"].clone());
    let addr = c.start();
    let base_us = 1_795_000_000_000_000; // recent enough for both retention policies' windows
    let base_us = base_us.max(now_us() - 3_600_000_000);
    let send = |seq: u64| {
        let r = request(
            addr,
            "POST",
            "/api/v1/edgemon/ingest/",
            &[
                ("Content-Type", POSTCARD_MEDIA_TYPE),
                ("X-Edgemon-Key", &key),
            ],
            &batch(&id, seq, base_us),
        );
        assert_eq!(
            (r.status, r.json()["stored"].as_u64()),
            (200, Some(1)),
            "seq {seq}: {}",
            r.text()
        );
    };
    for seq in 1..=40 {
        send(seq);
    }
    server.kill();
    // InfluxDB is gone: every batch is still acknowledged, after its points are queued.
    for seq in 41..=120 {
        send(seq);
    }
    let depth = metric(addr, "edgemon_tsdb_queue_depth_points").unwrap();
    assert!(depth > 0, "the outage's points wait in the queue");
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(addr, "edgemon_tsdb_queue_write_failures_total").unwrap_or(0) == 0 {
        assert!(Instant::now() < deadline, "the drain never tried");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.restart();
    for seq in 121..=140 {
        send(seq);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(addr, "edgemon_tsdb_queue_depth_points") != Some(0) {
        assert!(Instant::now() < deadline, "the backlog did not drain");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        metric(addr, "edgemon_tsdb_queue_oldest_age_seconds"),
        Some(0)
    );
    assert_eq!(
        metric(addr, "edgemon_tsdb_queue_dead_letters_total"),
        Some(0)
    );
    // Every acknowledged sample exactly once: one cpu point, one traffic point each
    // (seq 1 has no previous counters, its delta is its value), one snapshot each.
    for (q, n) in [
        (
            format!("SELECT COUNT(cpu_usage) FROM autogen.cpu WHERE object_id = '{id}'"),
            140,
        ),
        (
            format!(
                "SELECT COUNT(rx_bytes) FROM autogen.traffic WHERE object_id = '{id}' AND ifname = 'eth0'"
            ),
            140,
        ),
        (
            format!("SELECT SUM(rx_bytes) FROM autogen.traffic WHERE object_id = '{id}'"),
            140_000,
        ),
        (
            format!("SELECT COUNT(data) FROM short.device_data WHERE pk = '{id}'"),
            140,
        ),
    ] {
        assert_eq!(count(&server, &q), n, "{q}");
    }
    assert!(c.stop().success());

    // The commands: nothing to migrate now, an empty dead-letter table.
    let out = c.cli_with_env(&["migrate-timeseries"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("retention policies already as configured"),
        "{text}"
    );
    let out = c.cli_with_env(&["timeseries-dead-letters", "list"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 dead letter(s)"));
}

#[test]
fn copy_timeseries_moves_embedded_history_into_influxdb() {
    let dir = tempfile::tempdir().unwrap();
    let server = Influxd::start(&dir.path().join("influxd"));
    let base_us = now_us() - 3_600_000_000;
    let mut e = Collector::new();
    e.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let d = fields(&e.cli(&["device", "add", "--org", "acme", "--name", "r2"]));
    let addr = e.start();
    for seq in 1..=30 {
        let r = request(
            addr,
            "POST",
            "/api/v1/edgemon/ingest/",
            &[
                ("Content-Type", POSTCARD_MEDIA_TYPE),
                ("X-Edgemon-Key", &d["key"]),
            ],
            &batch(&d["id"], seq, base_us),
        );
        assert_eq!(r.status, 200);
    }
    assert!(e.stop().success());
    let out = e.cli_with_env(
        &["copy-timeseries", "--from", "embedded", "--to", "influxdb"],
        &[
            ("EDGEMON__INFLUXDB__URL", &server.url()),
            ("EDGEMON__INFLUXDB__DATABASE", "moved"),
            ("EDGEMON__INFLUXDB__BATCH_POINTS", "7"),
        ],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("copy-timeseries: 100%"), "{stderr}");
    // 30 samples × (cpu, traffic, device_data).
    assert!(stdout.contains("copied 90 points"), "{stdout}");
    let n = server.query(
        "moved",
        &format!(
            "SELECT COUNT(cpu_usage) FROM autogen.cpu WHERE object_id = '{}'",
            d["id"]
        ),
    );
    assert_eq!(n["results"][0]["series"][0]["values"][0][1], 30);
}

fn now_us() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap()
}
