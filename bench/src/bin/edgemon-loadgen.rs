//! `edgemon-loadgen`: load a fresh `edgemon-collector` with N simulated devices over the
//! OpenWISP HTTP API and report throughput, latency and the collector's resource use.

use anyhow::Context as _;
use clap::Parser;
use edgemon_bench::openwisp::{self, Length, Options};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "edgemon-loadgen",
    version,
    about = "Load a fresh edgemon-collector with simulated devices over OpenWISP HTTP",
    long_about = "Starts `edgemon-collector serve` on a fresh data directory and a free loopback \
                  port, registers N devices over /controller/device/register/, posts NetJSON \
                  samples over C keep-alive connections, then stops it with SIGTERM. \
                  EDGEMON__* variables in the environment reach the collector (tuning); the \
                  data directory and listen address are the load generator's."
)]
struct Args {
    /// Simulated devices (registered, then each sends one sample per round).
    #[arg(long, default_value_t = 1000)]
    devices: u32,
    /// Keep-alive connections posting at once.
    #[arg(long, default_value_t = 32)]
    concurrency: u32,
    /// Send for this many seconds (the default when --rounds is not given: 30).
    #[arg(long, value_name = "SECONDS", conflicts_with = "rounds")]
    duration: Option<f64>,
    /// Instead of a duration: every device sends exactly this many samples.
    #[arg(long)]
    rounds: Option<u64>,
    /// Simulated seconds between two samples of one device (the `time` parameter).
    #[arg(long, value_name = "SECONDS", default_value_t = openwisp::payload::DEFAULT_INTERVAL_S)]
    interval: i64,
    /// The collector binary [default: edgemon-collector beside this program].
    #[arg(long, value_name = "PATH")]
    collector: Option<PathBuf>,
    /// Print the report as one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn default_collector() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate this program")?;
    let path = exe.with_file_name("edgemon-collector");
    anyhow::ensure!(
        path.is_file(),
        "{} does not exist: build it (cargo build --release -p edgemon-collector) or pass --collector",
        path.display()
    );
    Ok(path)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let length = match (args.rounds, args.duration) {
        (Some(r), _) => Length::Rounds(r),
        (None, d) => {
            let d = d.unwrap_or(30.0);
            anyhow::ensure!(
                d.is_finite() && d > 0.0,
                "--duration must be a positive number of seconds"
            );
            Length::Duration(Duration::from_secs_f64(d))
        }
    };
    let opts = Options {
        collector: match args.collector {
            Some(p) => p,
            None => default_collector()?,
        },
        devices: args.devices,
        concurrency: args.concurrency.max(1),
        length,
        interval_s: args.interval,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(openwisp::run(&opts))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        write!(out, "{}", report.text())?;
    }
    Ok(())
}
