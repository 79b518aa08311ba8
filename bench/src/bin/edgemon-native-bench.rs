//! `edgemon-native-bench`: samples stored per second over native HTTP (batch sizes) or MQTT
//! through mosquitto, with N simulated devices, and the collector's RSS.

use anyhow::Context as _;
use clap::Parser;
use edgemon_bench::native::{self, Options, Transport};
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "edgemon-native-bench",
    version,
    about = "Native ingest throughput of a fresh edgemon-collector over HTTP or MQTT"
)]
struct Args {
    /// `http` or `mqtt` (mqtt starts its own mosquitto).
    #[arg(long, default_value = "http")]
    transport: String,
    /// Simulated devices (registered first).
    #[arg(long, default_value_t = 100)]
    devices: u32,
    /// Connections (HTTP) or publishers (MQTT) at once.
    #[arg(long, default_value_t = 16)]
    concurrency: u32,
    /// Samples per batch.
    #[arg(long, default_value_t = 10)]
    batch: u32,
    /// Batches per device.
    #[arg(long, default_value_t = 10)]
    rounds: u64,
    /// The collector binary [default: edgemon-collector beside this program].
    #[arg(long, value_name = "PATH")]
    collector: Option<PathBuf>,
    /// The mosquitto binary.
    #[arg(long, value_name = "PATH", default_value = "/usr/sbin/mosquitto")]
    mosquitto: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let collector = match args.collector {
        Some(p) => p,
        None => std::env::current_exe()
            .context("cannot locate this program")?
            .with_file_name("edgemon-collector"),
    };
    let transport = match args.transport.as_str() {
        "http" => Transport::Http,
        "mqtt" => Transport::Mqtt {
            mosquitto: args.mosquitto,
        },
        other => anyhow::bail!("--transport: `{other}` is neither http nor mqtt"),
    };
    let opts = Options {
        collector,
        transport,
        devices: args.devices,
        concurrency: args.concurrency.max(1),
        batch: args.batch,
        rounds: args.rounds,
    };
    let report = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(native::run(&opts))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        write!(out, "{}", report.text())?;
    }
    Ok(())
}
