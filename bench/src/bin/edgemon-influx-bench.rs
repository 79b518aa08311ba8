//! `edgemon-influx-bench`: points per second the collector's InfluxDB path sustains (the
//! durable write queue draining into the InfluxDB backend, as `serve` runs them) next to
//! InfluxDB's own rate for the same line protocol posted directly, in the same run and
//! against the same server. The ratio is the figure (docs/benchmarks.md).
//!
//! The points are what the collector derives from simulated routers' samples (the
//! load generator's documents). Without `--url` an `influxd` is started on free ports
//! with its data in a temporary folder (Debian's package, `scripts/deps`).

use anyhow::Context as _;
use clap::Parser;
use edgemon_bench::openwisp::payload;
use edgemon_collector::derive::{self, DeviceInfo, PreviousCounters, transform};
use edgemon_collector::tsdb::influx::{Durations, InfluxStore, Settings, line};
use edgemon_collector::tsdb::queue::{self, WriteQueue};
use edgemon_collector::tsdb::{Point, Retention, TimeSeries};
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "edgemon-influx-bench",
    about = "Collector → InfluxDB throughput vs InfluxDB alone"
)]
struct Args {
    /// Simulated routers.
    #[arg(long, default_value_t = 2000)]
    devices: u32,
    /// Samples per router.
    #[arg(long, default_value_t = 5)]
    samples: u64,
    /// Points per InfluxDB write (the collector's `influxdb.batch_points`).
    #[arg(long, default_value_t = 5000)]
    batch: usize,
    /// Samples per queue write (the collector's `ingest.batch_max`).
    #[arg(long, default_value_t = 512)]
    ingest_batch: usize,
    /// An InfluxDB 1.x to use instead of starting one (its databases `bench_direct` and
    /// `bench_collector` are dropped first).
    #[arg(long)]
    url: Option<String>,
}

fn now_us() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros(),
    )
    .unwrap_or(i64::MAX)
}

/// Every router's samples, derived: one `Vec<Point>` per sample, oldest round first.
fn samples(args: &Args) -> anyhow::Result<Vec<Vec<Point>>> {
    let start = now_us() - 3_600_000_000;
    let options = transform::Options {
        mac_vendor_detection: false,
    };
    let org = Uuid::from_u128(1);
    let mut previous = vec![PreviousCounters::none(); args.devices as usize];
    let mut out = Vec::new();
    for round in 0..args.samples {
        for device in 0..args.devices {
            let id = Uuid::from_u128(0x1000 + u128::from(device));
            let t = start + i64::try_from(round).unwrap_or(0) * 300_000_000 + i64::from(device);
            let doc = payload::document_bytes(device, round, t / 1_000_000);
            let valid = edgemon_shared::validate::parse_and_validate(&doc)
                .map_err(|e| anyhow::anyhow!("simulated document invalid: {e:?}"))?;
            let info = DeviceInfo {
                id,
                organization_id: org,
                location_id: None,
                floorplan_id: None,
            };
            let d = derive::derive_after(&info, &previous[device as usize], valid, t, options);
            previous[device as usize] = PreviousCounters::from_snapshot(&d.snapshot);
            out.push(d.into_points(id, t));
        }
    }
    Ok(out)
}

fn settings(url: &str, database: &str) -> Settings {
    Settings {
        url: url.to_owned(),
        database: database.to_owned(),
        username: None,
        password: None,
        ca_file: None,
        timeout: Duration::from_secs(60),
    }
}

const REFERENCE: Durations = Durations {
    default_secs: 26_280 * 3600,
    short_secs: 24 * 3600,
};

/// POST the points' line protocol in batches of `batch`, one request at a time.
fn direct(url: &str, points: &[Point], batch: usize) -> anyhow::Result<Duration> {
    let mut bodies = Vec::new();
    for chunk in points.chunks(batch) {
        for retention in [Retention::Default, Retention::Short] {
            let mut body = String::new();
            for p in chunk.iter().filter(|p| p.retention == retention) {
                line::encode(&mut body, p)?;
            }
            if !body.is_empty() {
                bodies.push((retention.influx_name(), body));
            }
        }
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let t = Instant::now();
    for (rp, body) in bodies {
        agent
            .post(format!("{url}/write"))
            .query("db", "bench_direct")
            .query("rp", rp)
            .query("precision", "u")
            .send(body)
            .context("direct write")?;
    }
    Ok(t.elapsed())
}

struct Timing {
    /// Until every sample was in the queue (from the start of the phase).
    queued: Duration,
    /// Until the queue was empty again: from the first queued sample when live, from the
    /// start of the drain for a backlog.
    total: Duration,
}

/// The samples through a write queue into `database`: while they are being queued (live),
/// or once all of them are (a backlog, as after an outage).
async fn through_collector(
    url: &str,
    database: &str,
    dir: &std::path::Path,
    samples: &[Vec<Point>],
    args: &Args,
    backlog: bool,
) -> anyhow::Result<Timing> {
    let influx = InfluxStore::new(settings(url, database))?;
    let q = Arc::new(WriteQueue::open(
        &dir.join(format!("{database}.redb")),
        Arc::new(influx),
        queue::Settings {
            batch_points: args.batch,
            ..queue::Settings::default()
        },
    )?);
    let enqueue = || async {
        let t = Instant::now();
        for group in samples.chunks(args.ingest_batch.max(1)) {
            q.write(group.iter().flatten().cloned().collect()).await?;
        }
        anyhow::Ok(t.elapsed())
    };
    let mut queued = Duration::ZERO;
    if backlog {
        queued = enqueue().await?;
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let t = Instant::now();
    let drain = tokio::spawn({
        let q = q.clone();
        async move {
            q.run_drain(async {
                let _ = stopped.await;
            })
            .await;
        }
    });
    if !backlog {
        queued = enqueue().await?;
    }
    while q.stats.depth_points.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let total = t.elapsed();
    let _ = stop.send(());
    drain.await?;
    anyhow::ensure!(
        q.stats.dead_letters.load(Ordering::Relaxed) == 0,
        "InfluxDB refused points"
    );
    Ok(Timing { queued, total })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let server = match &args.url {
        Some(_) => None,
        None => Some(edgemon_tests::influxd::Influxd::start(
            &dir.path().join("influxd"),
        )),
    };
    let url = args
        .url
        .clone()
        .or_else(|| server.as_ref().map(edgemon_tests::influxd::Influxd::url))
        .expect("a server");
    let samples = samples(&args)?;
    let points: Vec<Point> = samples.iter().flatten().cloned().collect();
    let n = points.len();
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "{n} points from {} samples; InfluxDB at {url}",
        samples.len()
    )?;

    for db in ["bench_direct", "bench_collector", "bench_backlog"] {
        let store = InfluxStore::new(settings(&url, db))?;
        let _ = edgemon_collector::tsdb::influx::Client::new(settings(&url, db))?
            .query(&format!("DROP DATABASE \"{db}\""));
        store.prepare(REFERENCE).await?;
    }

    let direct_time = tokio::task::spawn_blocking({
        let (url, batch) = (url.clone(), args.batch);
        move || direct(&url, &points, batch)
    })
    .await??;

    let live =
        through_collector(&url, "bench_collector", dir.path(), &samples, &args, false).await?;
    let backlog =
        through_collector(&url, "bench_backlog", dir.path(), &samples, &args, true).await?;
    #[allow(clippy::cast_precision_loss)]
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let mut out = std::io::stdout().lock();
    writeln!(out, "points                      {n}")?;
    writeln!(
        out,
        "influxdb direct             {:>10.0} points/s ({:.2} s, batches of {})",
        rate(direct_time),
        direct_time.as_secs_f64(),
        args.batch
    )?;
    writeln!(
        out,
        "collector (queue → influx)  {:>10.0} points/s ({:.2} s; queued in {:.2} s)",
        rate(live.total),
        live.total.as_secs_f64(),
        live.queued.as_secs_f64()
    )?;
    writeln!(
        out,
        "backlog drain               {:>10.0} points/s ({:.2} s, after queueing all in {:.2} s)",
        rate(backlog.total),
        backlog.total.as_secs_f64(),
        backlog.queued.as_secs_f64()
    )?;
    writeln!(
        out,
        "ratio collector/direct      {:>10.2}",
        direct_time.as_secs_f64() / live.total.as_secs_f64()
    )?;
    // The same figures as one machine-readable line (edgemon-bench-suite reads it).
    writeln!(
        out,
        "influx points={n} direct_points_per_s={:.0} collector_points_per_s={:.0} ratio={:.3} \
         backlog_points_per_s={:.0} backlog_ratio={:.3}",
        rate(direct_time),
        rate(live.total),
        direct_time.as_secs_f64() / live.total.as_secs_f64(),
        rate(backlog.total),
        direct_time.as_secs_f64() / backlog.total.as_secs_f64()
    )?;
    Ok(())
}
