//! Reliability: the collector flooded far beyond what it stores per second. It answers
//! 429 with `Retry-After` instead of queueing without bound, its memory stays bounded, it
//! serves a normal device as soon as the flood stops, and every sample it answered 200 is
//! stored (after a graceful stop, which drains the queue). Prints the figures.

#![allow(clippy::cast_precision_loss)] // rates printed for the log

use edgemon_collector::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
use edgemon_collector::tsdb::{Agg, FieldValue, Query, Retention, TagFilter, TimeSeries};
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::try_request;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const DEVICES: usize = 8;
const THREADS: usize = 24;

fn body(n: u64) -> Vec<u8> {
    format!(
        r#"{{"type":"DeviceMonitoring","general":{{"hostname":"flood","uptime":{n},"local_time":{n}}},"resources":{{"load":[0.5,0.25,0.125],"cpus":2,"memory":{{"total":1000000,"free":400000,"shared":0,"buffered":0,"cached":0}}}},"interfaces":[{{"name":"eth0","type":"ethernet","statistics":{{"rx_bytes":{},"tx_bytes":{}}}}}]}}"#,
        n * 1000,
        n * 500
    )
    .into_bytes()
}

/// The OpenWISP `time` of the `n`th sample of a thread: distinct per (thread, n), in the
/// last day, so no two samples of a device share a timestamp.
fn time_param(thread: usize, n: u64) -> String {
    let base = time::OffsetDateTime::now_utc() - time::Duration::hours(20);
    let at = base
        + time::Duration::milliseconds(i64::try_from(n).unwrap() * 100)
        + time::Duration::microseconds(i64::try_from(thread).unwrap());
    edgemon_shared::time::format_openwisp_time(at)
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `THREADS` clients posting as fast as they can for `length`: the counts of 200, 429 and
/// anything else, the 200s per device, and the seconds it took.
fn flood(
    addr: std::net::SocketAddr,
    devices: &[(String, String)],
    length: Duration,
) -> ([u64; 3], Vec<Arc<AtomicU64>>, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, refused, other) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let acked: Vec<Arc<AtomicU64>> = (0..DEVICES).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let started = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (stop, ok, refused, other) =
                (stop.clone(), ok.clone(), refused.clone(), other.clone());
            let (id, key) = devices[t % DEVICES].clone();
            let acked = acked[t % DEVICES].clone();
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let path = format!(
                        "/api/v1/monitoring/device/{id}/?key={key}&time={}",
                        time_param(t, n)
                    );
                    let headers = [("Content-Type", "application/json")];
                    match try_request(addr, "POST", &path, &headers, &body(n)) {
                        Ok(r) if r.status == 200 => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            acked.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) if r.status == 429 => {
                            assert_eq!(r.header("retry-after"), Some("1"));
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            other.fetch_add(1, Ordering::Relaxed);
                            eprintln!("unexpected {}: {}", r.status, r.text());
                        }
                        Err(_) => {
                            other.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(length);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let counts = [&ok, &refused, &other].map(|c| c.load(Ordering::Relaxed));
    (counts, acked, secs)
}

#[test]
fn a_flood_gets_429_bounded_memory_and_loses_nothing_acknowledged() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let devices: Vec<(String, String)> = (0..DEVICES)
        .map(|i| {
            let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", &format!("f{i}")]));
            (d["id"].clone(), d["key"].clone())
        })
        .collect();
    // One fsync per sample: a storage capacity far below what the HTTP side can answer. A
    // 200 waits for storage (`ingest.ack = "stored"`), so each client has one sample in
    // the queue at most: a queue smaller than the clients' number is what overflows.
    c.env("EDGEMON__INGEST__QUEUE_CAPACITY", "8")
        .env("EDGEMON__INGEST__BATCH_MAX", "1")
        .env("EDGEMON__INGEST__RETRY_AFTER_S", "1")
        .env("EDGEMON__LOG__LEVEL", "warn");
    let addr = c.start();
    let pid = c.pid().unwrap();
    let rss_before = peak_rss_kib(pid);

    let (counts, acked, secs) = flood(addr, &devices, Duration::from_secs(10));
    let [ok, refused, other] = counts;
    let rss_flood = peak_rss_kib(pid);
    eprintln!(
        "flood: {:.0} requests/s offered, {:.0}/s accepted ({:.1}x), {refused} refused with \
         429, {other} other; collector peak RSS {} MiB before, {} MiB after the flood",
        (ok + refused + other) as f64 / secs,
        ok as f64 / secs,
        (ok + refused + other) as f64 / ok.max(1) as f64,
        rss_before / 1024,
        rss_flood / 1024
    );
    assert_eq!(other, 0, "every answer was 200 or 429");
    assert!(refused > 0 && ok > 0, "{ok} accepted, {refused} refused");
    assert!(
        rss_flood < 512 * 1024,
        "collector memory grew to {} MiB",
        rss_flood / 1024
    );

    // Recovered: a normal device is served at once.
    let (id, key) = &devices[0];
    let path = format!(
        "/api/v1/monitoring/device/{id}/?key={key}&time={}",
        time_param(99, 1)
    );
    let t = Instant::now();
    let r = loop {
        let r = try_request(
            addr,
            "POST",
            &path,
            &[("Content-Type", "application/json")],
            &body(1),
        )
        .unwrap();
        if r.status != 429 || t.elapsed() > Duration::from_secs(30) {
            break r;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(r.status, 200, "{}", r.text());
    acked[0].fetch_add(1, Ordering::Relaxed);
    assert!(c.stop().success());

    // Everything answered 200 is stored: one CPU point per sample.
    let ids: Vec<&str> = devices.iter().map(|(id, _)| id.as_str()).collect();
    let acked: Vec<u64> = acked.iter().map(|n| n.load(Ordering::Relaxed)).collect();
    assert_eq!(
        stored_cpu_points(&c, &ids),
        acked,
        "CPU points stored vs samples answered 200, per device"
    );
}

/// CPU points stored for each device of `ids` (one per sample), read from the stopped
/// collector's embedded store.
fn stored_cpu_points(c: &Collector, ids: &[&str]) -> Vec<u64> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = EmbeddedStore::open(
            c.data_dir().join("timeseries.redb"),
            EmbeddedConfig::default(),
            Arc::new(SystemClock),
        )
        .unwrap();
        let mut counts = Vec::new();
        for id in ids {
            let series = store
                .query(Query {
                    retention: Retention::Default,
                    measurement: "cpu".into(),
                    filters: vec![TagFilter {
                        key: "object_id".into(),
                        value: (*id).to_owned(),
                    }],
                    fields: vec![("cpu_usage".into(), Agg::Count)],
                    start_us: 0,
                    end_us: i64::MAX / 2,
                    bucket_us: None,
                    bucket_offset_us: 0,
                    group_by_tags: vec![],
                })
                .await
                .unwrap();
            counts.push(
                match series.first().and_then(|s| s.rows[0].values[0].clone()) {
                    Some(FieldValue::Int(k)) => u64::try_from(k).unwrap(),
                    _ => 0,
                },
            );
        }
        counts
    })
}
