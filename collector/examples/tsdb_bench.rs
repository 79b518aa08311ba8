//! Embedded time-series store benchmark: ingest throughput, chart query latency, file size.
//!
//! `cargo run --release -p edgemon-collector --example tsdb_bench -- [--devices N]
//! [--rounds R] [--dir PATH]`
//!
//! 1. Ingest: R rounds (one per simulated minute) of N devices, each device one `write`
//!    of 12 points (cpu, memory, disk, traffic ×3, wifi clients ×4, signal, ping), all
//!    devices concurrently, as the ingest path would issue them.
//! 2. Chart: 7 days of 1-minute cpu data for 20 devices, then the cpu chart query
//!    (`MEAN(cpu_usage)` for one device, `GROUP BY time(1h)`) 200 times.
//! 3. File size of the ingest database per million points.
//!
//! Prints one `key=value` line per figure.

use edgemon_collector::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
use edgemon_collector::tsdb::{Agg, FieldValue, Point, Query, Retention, TagFilter, TimeSeries};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

const MINUTE: i64 = 60_000_000;

fn device_sample(device: usize, time_us: i64, round: i64) -> Vec<Point> {
    let id = format!("{device:08x}-0000-4000-8000-000000000000");
    let base = |m: &str, t: i64| {
        Point::new(m, t)
            .tag("content_type", "config.device")
            .tag("object_id", id.as_str())
    };
    let f = FieldValue::Float;
    let i = FieldValue::Int;
    #[allow(clippy::cast_precision_loss)]
    let load = (round % 100) as f64 / 100.0;
    let mut points = vec![
        base("cpu", time_us)
            .field("cpu_usage", f(load * 100.0))
            .field("load_1", f(load))
            .field("load_5", f(load))
            .field("load_15", f(load)),
        base("memory", time_us)
            .field("percent_used", f(41.5))
            .field("total_memory", i(128 << 20))
            .field("free_memory", i(60 << 20))
            .field("buffered_memory", i(4 << 20))
            .field("shared_memory", i(1 << 20))
            .field("cached_memory", i(20 << 20))
            .field("available_memory", i(70 << 20)),
        base("disk", time_us).field("used_disk", f(12.25)),
        base("signal", time_us)
            .field("signal_strength", f(-71.0))
            .field("signal_power", f(-98.0)),
        base("ping", time_us)
            .field("reachable", i(1))
            .field("loss", f(0.0))
            .field("rtt_avg", f(12.3)),
    ];
    for ifname in ["eth0", "wlan0", "wlan1"] {
        points.push(
            base("traffic", time_us)
                .tag("ifname", ifname)
                .field("rx_bytes", i(1_000_000 + round * 17))
                .field("tx_bytes", i(200_000 + round * 3)),
        );
    }
    for client in 0..4_i64 {
        let ifname = if client < 2 { "wlan0" } else { "wlan1" };
        points.push(
            base("wifi_clients", time_us + client)
                .tag("ifname", ifname)
                .field(
                    "clients",
                    FieldValue::Str(format!("a4:5e:60:00:{device:04x}:{client:02x}")),
                ),
        );
    }
    points
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} expects a number, got {v}"))
        })
}

fn main() -> anyhow::Result<()> {
    let devices = arg("--devices", 10_000);
    let rounds = arg("--rounds", 30);
    let args: Vec<String> = std::env::args().collect();
    let dir = match args.iter().position(|a| a == "--dir") {
        Some(i) => tempfile::tempdir_in(&args[i + 1])?,
        None => tempfile::tempdir()?,
    };
    let rt = tokio::runtime::Runtime::new()?;
    let mut out = std::io::stdout().lock();
    rt.block_on(async {
        // ---- 1. ingest
        let path = dir.path().join("ingest.redb");
        let store = Arc::new(EmbeddedStore::open(&path, EmbeddedConfig::default(), Arc::new(SystemClock))?);
        let now = SystemClock.now_us_rounded();
        let rounds_i = i64::try_from(rounds)?;
        let started = Instant::now();
        let mut total = 0_usize;
        for round in 0..rounds_i {
            let time_us = now - (rounds_i - round) * MINUTE;
            let tasks: Vec<_> = (0..devices)
                .map(|d| {
                    let store = store.clone();
                    let points = device_sample(d, time_us, round);
                    tokio::spawn(async move {
                        let n = points.len();
                        store.write(points).await.map(|()| n)
                    })
                })
                .collect();
            for t in tasks {
                total += t.await??;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let stats = store.stats();
        let commits = stats.write_commits.load(std::sync::atomic::Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)]
        let rate = total as f64 / secs;
        writeln!(out, "ingest devices={devices} rounds={rounds} points={total} seconds={secs:.2} points_per_s={rate:.0} requests={} commits={commits}", devices * rounds)?;
        let size = store.file_size()?;
        #[allow(clippy::cast_precision_loss)]
        let per_million = size as f64 / total as f64 * 1e6;
        writeln!(out, "file bytes={size} bytes_per_million_points={per_million:.0} bytes_per_point={:.1}", per_million / 1e6)?;
        Arc::try_unwrap(store).map_err(|_| anyhow::anyhow!("store still shared"))?.close().await;
        // Where the bytes go: live data, redb metadata, free (fragmented) pages.
        let stats = redb::Database::open(&path)?.begin_write()?.stats()?;
        writeln!(
            out,
            "redb stored_bytes={} metadata_bytes={} fragmented_bytes={} leaf_pages={}",
            stats.stored_bytes(),
            stats.metadata_bytes(),
            stats.fragmented_bytes(),
            stats.leaf_pages()
        )?;

        // ---- 2. a 7-day chart at 1 h buckets over 1-minute data
        let path = dir.path().join("chart.redb");
        let store = EmbeddedStore::open(&path, EmbeddedConfig::default(), Arc::new(SystemClock))?;
        let minutes = 7 * 24 * 60_i64;
        let chart_devices = 20;
        for chunk in (0..minutes).collect::<Vec<_>>().chunks(1440) {
            let mut batch = Vec::new();
            for d in 0..chart_devices {
                for m in chunk {
                    batch.extend(device_sample(d, now - (minutes - m) * MINUTE, *m).into_iter().take(1));
                }
            }
            store.write(batch).await?;
        }
        let hour = 60 * MINUTE;
        let start = (now - minutes * MINUTE).div_euclid(hour) * hour;
        let query = Query {
            retention: Retention::Default,
            measurement: "cpu".into(),
            filters: vec![
                TagFilter { key: "content_type".into(), value: "config.device".into() },
                TagFilter { key: "object_id".into(), value: format!("{:08x}-0000-4000-8000-000000000000", 7) },
            ],
            fields: vec![("cpu_usage".into(), Agg::Mean)],
            start_us: start,
            end_us: now,
            bucket_us: Some(hour),
            bucket_offset_us: 0,
            group_by_tags: Vec::new(),
        };
        let mut latencies = Vec::new();
        let mut rows = 0;
        for _ in 0..200 {
            let t = Instant::now();
            let series = store.query(query.clone()).await?;
            latencies.push(t.elapsed());
            rows = series[0].rows.len();
        }
        latencies.sort();
        writeln!(
            out,
            "chart_7d_1h points_scanned={minutes} rows={rows} p50_ms={:.2} p99_ms={:.2}",
            latencies[100].as_secs_f64() * 1e3,
            latencies[198].as_secs_f64() * 1e3
        )?;
        store.close().await;
        anyhow::Ok(())
    })
}

trait NowRounded {
    fn now_us_rounded(&self) -> i64;
}

impl NowRounded for SystemClock {
    /// Now, rounded down to the minute (samples on minute boundaries).
    fn now_us_rounded(&self) -> i64 {
        use edgemon_collector::tsdb::embedded::Clock;
        self.now_us().div_euclid(MINUTE) * MINUTE
    }
}
