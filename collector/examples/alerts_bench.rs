//! Alert and check benchmark.
//!
//! `cargo run --release -p edgemon-collector --example alerts_bench -- [--samples N]
//! [--devices D] [--concurrency C] [--rounds R]`
//!
//! 1. `alert_latency`: N samples of one device through the real ingest worker (derive,
//!    embedded store write, alert evaluation, alerts.redb commit), alternating CPU usage
//!    between 95 % and 10 % with a 0 tolerance, so every sample makes a notification; the
//!    time from queueing the sample to the notification being stored, p50/p99.
//! 2. `ping_rate`: R rounds of the real runner with the ping check (5 requests, 25 ms
//!    apart, 800 ms timeout) against D devices whose management IPs are loopback addresses
//!    (127.0.x.y), at most C checks at once; echo requests per second, checks per second,
//!    lost requests. Needs root (raw ICMP socket) or `ping_group_range`.
//!
//! Prints one `key=value` line per figure.

use edgemon_collector::config::Config;
use edgemon_collector::ingest::{self, Job, Processor};
use edgemon_collector::registry::NewDevice;
use edgemon_collector::server;
use edgemon_collector::tsdb::{FieldValue, TimeSeries};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn sample(percent: f64) -> bytes::Bytes {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/payloads/router-ok.json"
    );
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("payload")).expect("JSON");
    doc["resources"]["load"][0] = serde_json::json!(percent / 50.0);
    bytes::Bytes::from(serde_json::to_vec(&doc).expect("encode"))
}

fn config(dir: &std::path::Path) -> Config {
    let text = format!(
        "data_dir = {:?}\n[alerts.metrics.cpu]\ntolerance = \"0s\"\n[checks]\nconcurrency = {}\n",
        dir.display().to_string(),
        arg("--concurrency", 256)
    );
    Config::from_toml(&text, "bench", std::iter::empty()).expect("config")
}

async fn alert_latency(out: &mut impl Write) {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let stores = server::open_stores(&config).unwrap();
    let org = stores.registry.create_org("Bench", "bench", None).unwrap();
    let (device, _) = stores
        .registry
        .create_device(NewDevice {
            org: org.id,
            name: "bench".into(),
            mac: String::new(),
            key: None,
            model: String::new(),
            os: String::new(),
            location: None,
            id: None,
        })
        .unwrap();
    let alerts = stores.alerts.clone().unwrap();
    let tsdb: Arc<dyn TimeSeries> = stores.tsdb.clone();
    let (pipeline, worker) = ingest::start(
        Processor::new(
            tsdb,
            stores.ledger.clone(),
            edgemon_collector::derive::transform::Options::default(),
        )
        .with_alerts(Some(alerts.clone())),
        1024,
        512,
    );
    let (high, low) = (sample(95.0), sample(10.0));
    let n = arg("--samples", 200);
    let mut took = Vec::with_capacity(n);
    for i in 0..n {
        let before = alerts.stats.notifications_stored.load(Ordering::Relaxed);
        let body = if i % 2 == 0 {
            high.clone()
        } else {
            low.clone()
        };
        let start = Instant::now();
        pipeline
            .submit(Job {
                device: device.id,
                org: org.id,
                body,
                time_us: now_us(),
                stored: None,
            })
            .unwrap();
        while alerts.stats.notifications_stored.load(Ordering::Relaxed) == before {
            tokio::time::sleep(Duration::from_micros(20)).await;
        }
        took.push(start.elapsed());
    }
    drop(pipeline);
    worker.await.unwrap();
    took.sort();
    let _ = writeln!(
        out,
        "alert_latency samples={n} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        percentile(&took, 0.5).as_secs_f64() * 1e3,
        percentile(&took, 0.99).as_secs_f64() * 1e3,
        took.last().unwrap().as_secs_f64() * 1e3,
    );
    drop(alerts);
    server::close_tsdb(stores.embedded).await;
}

async fn ping_rate(out: &mut impl Write) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.checks.data_collected.enabled = false;
    let stores = server::open_stores(&config).unwrap();
    let org = stores.registry.create_org("Bench", "bench", None).unwrap();
    let devices = arg("--devices", 2000);
    for i in 0..devices {
        let (mut d, _) = stores
            .registry
            .create_device(NewDevice {
                org: org.id,
                name: format!("d{i}"),
                mac: String::new(),
                key: None,
                model: String::new(),
                os: String::new(),
                location: None,
                id: None,
            })
            .unwrap();
        d.management_ip = Some(format!("127.0.{}.{}", i / 250, 1 + i % 250));
        stores.registry.update_device(&d).unwrap();
    }
    let runner = server::check_runner(&config, &stores).unwrap();
    let rounds = arg("--rounds", 3);
    let start = Instant::now();
    let (mut lost, mut sent) = (0.0, 0.0);
    for _ in 0..rounds {
        let targets = runner.devices();
        for r in runner.run_all(targets, None).await {
            let out = r.result.expect("ping ran").expect("has an address");
            let FieldValue::Float(loss) = out.points[0].fields["loss"] else {
                unreachable!("loss is a float")
            };
            sent += f64::from(config.checks.ping.count);
            lost += loss / 100.0 * f64::from(config.checks.ping.count);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let checks = (rounds * devices) as f64;
    let _ = writeln!(
        out,
        "ping_rate devices={devices} rounds={rounds} concurrency={} seconds={secs:.2} \
         checks_per_s={:.0} requests_per_s={:.0} lost_requests={lost:.0}",
        config.checks.concurrency,
        checks / secs,
        sent / secs,
    );
    drop(runner);
    server::close_tsdb(stores.embedded).await;
}

#[tokio::main]
async fn main() {
    let mut out = std::io::stdout().lock();
    alert_latency(&mut out).await;
    ping_rate(&mut out).await;
}
