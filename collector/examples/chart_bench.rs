//! Device chart benchmark on the embedded store: a year of 5-minute data for one device
//! (beside `--devices - 1` others with the same history, so the store is not trivially
//! small), then the device chart request's work (every chart's data and summary queries,
//! rendering) for `time=365d`, `30d`, `7d` and `1d`, each `--requests` times.
//!
//! `cargo run --release -p edgemon-collector --example chart_bench -- [--days 365]
//! [--devices 1] [--requests 50] [--dir PATH] [--no-rollups]` (without: the retention
//! sweep builds the hourly rollups after loading, as `serve` does)
//!
//! Prints one `key=value` line per figure.

use edgemon_collector::charts::range::{self, RangeParams};
use edgemon_collector::charts::read;
use edgemon_collector::tsdb::embedded::{Clock, EmbeddedConfig, EmbeddedStore, SystemClock};
use edgemon_collector::tsdb::{FieldValue, Point, TimeSeries};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

const MINUTE: i64 = 60_000_000;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} needs a number, got {v:?}"))
        })
}

/// What the ingest path writes for one sample of a WiFi router (see docs/derivation.md).
fn sample(device: Uuid, t: i64, n: i64) -> Vec<Point> {
    let id = device.to_string();
    let base = |m: &str| {
        Point::new(m, t)
            .tag("content_type", "config.device")
            .tag("object_id", id.as_str())
    };
    #[allow(clippy::cast_precision_loss)]
    let wave = (n % 288) as f64 / 288.0;
    let (f, i) = (FieldValue::Float, FieldValue::Int);
    let mut points = vec![
        base("cpu")
            .field("cpu_usage", f(wave * 100.0))
            .field("load_1", f(wave))
            .field("load_5", f(wave))
            .field("load_15", f(wave)),
        base("memory")
            .field("percent_used", f(40.0 + wave * 10.0))
            .field("total_memory", i(128 << 20))
            .field("free_memory", i(60 << 20))
            .field("buffered_memory", i(4 << 20))
            .field("shared_memory", i(1 << 20)),
        base("disk").field("used_disk", f(12.25)),
        base("ping")
            .field("reachable", i(i64::from(n % 50 != 0)))
            .field("loss", f(0.0))
            .field("rtt_avg", f(12.3))
            .field("rtt_min", f(10.0))
            .field("rtt_max", f(20.0)),
        base("traffic")
            .tag("ifname", "wlan0")
            .field("rx_bytes", i(1_000_000 + n % 1000))
            .field("tx_bytes", i(300_000 + n % 700)),
    ];
    for c in 0..3 {
        points.push(
            Point::new("wifi_clients", t + c)
                .tag("content_type", "config.device")
                .tag("object_id", id.as_str())
                .tag("ifname", "wlan0")
                .field(
                    "clients",
                    FieldValue::Str(format!("44:d1:fa:00:00:{:02x}", (n + c) % 40)),
                ),
        );
    }
    points
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn main() -> anyhow::Result<()> {
    let days = arg("--days", 365);
    let devices = arg("--devices", 1);
    let requests = arg("--requests", 50);
    let args: Vec<String> = std::env::args().collect();
    let dir = match args.iter().position(|a| a == "--dir") {
        Some(i) => tempfile::tempdir_in(&args[i + 1])?,
        None => tempfile::tempdir()?,
    };
    let rt = tokio::runtime::Runtime::new()?;
    let mut out = std::io::stdout().lock();
    rt.block_on(async {
        let store = Arc::new(EmbeddedStore::open(
            dir.path().join("timeseries.redb"),
            EmbeddedConfig::default(),
            Arc::new(SystemClock),
        )?);
        let ids: Vec<Uuid> = (0..devices).map(|_| Uuid::new_v4()).collect();
        let now = SystemClock.now_us();
        let samples = i64::try_from(days)? * 24 * 12;
        let started = Instant::now();
        let mut points = 0_usize;
        // One write per simulated hour per device (12 samples), as group commit would.
        for hour in 0..samples / 12 {
            for id in &ids {
                let mut batch = Vec::new();
                for k in 0..12 {
                    let n = hour * 12 + k;
                    batch.extend(sample(*id, now - (samples - n) * 5 * MINUTE, n));
                }
                points += batch.len();
                store.write(batch).await?;
            }
        }
        writeln!(
            out,
            "load days={days} devices={devices} samples_per_device={samples} points={points} seconds={:.1}",
            started.elapsed().as_secs_f64()
        )?;
        // The retention sweep builds the hourly rollups (`serve` runs it at start and every
        // `tsdb.sweep_interval`); `--no-rollups` measures the point scans alone.
        if !args.iter().any(|a| a == "--no-rollups") {
            let t = Instant::now();
            store.sweep(SystemClock.now_us()).await?;
            writeln!(out, "rollups seconds={:.1}", t.elapsed().as_secs_f64())?;
        }
        let tz = jiff::tz::TimeZone::UTC;
        for time in ["365d", "30d", "7d", "1d"] {
            let mut ms = Vec::with_capacity(requests);
            let mut charts = 0;
            for _ in 0..requests {
                let range = range::resolve(
                    RangeParams {
                        time: Some(time),
                        ..RangeParams::default()
                    },
                    SystemClock.now_us(),
                    &tz,
                )?;
                let t = Instant::now();
                let found = read::device_charts(store.as_ref(), ids[0], &range).await?;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                charts = found.len();
            }
            ms.sort_by(f64::total_cmp);
            writeln!(
                out,
                "chart time={time} charts={charts} requests={requests} p50_ms={:.2} p99_ms={:.2}",
                percentile(&ms, 0.5),
                percentile(&ms, 0.99)
            )?;
        }
        if let Ok(store) = Arc::try_unwrap(store) {
            store.close().await;
        }
        anyhow::Ok(())
    })?;
    Ok(())
}
