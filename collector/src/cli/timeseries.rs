//! The time-series commands: `migrate-timeseries` (InfluxDB database and retention
//! policies), `copy-timeseries` (history from the embedded store into InfluxDB) and
//! `timeseries-dead-letters` (points InfluxDB refused). The collector must not be
//! running for the last two (redb locks its files).

use clap::{Subcommand, ValueEnum};
use edgemon_collector::config::Config;
use edgemon_collector::server;
use edgemon_collector::tsdb::embedded::{EmbeddedStore, SystemClock};
use edgemon_collector::tsdb::influx::InfluxStore;
use edgemon_collector::tsdb::queue::QueueStore;
use edgemon_collector::tsdb::{StoreError, TimeSeries};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum From {
    Embedded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum To {
    Influxdb,
}

#[derive(Debug, Subcommand)]
pub enum DeadLettersCmd {
    /// Print the points InfluxDB refused (id, when, why, the point as line protocol).
    List {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Write the dead letters to InfluxDB again (after fixing the cause, e.g. a field type
    /// or a retention policy); those it accepts leave the table, the others stay with
    /// the new answer. Exit status 1 when any stays.
    Replay,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// `migrate-timeseries`: create the database, create or alter the retention policies.
pub fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let influx = InfluxStore::new(config.influxdb.settings())?;
    let changes = runtime()?.block_on(influx.prepare(server::influx_durations(config)))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "database {:?} at {}: ready",
        config.influxdb.database, config.influxdb.url
    )?;
    if changes.is_empty() {
        writeln!(out, "retention policies already as configured")?;
    }
    for c in changes {
        writeln!(out, "{}", c.description)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `copy-timeseries --from embedded --to influxdb`: every unexpired point of the
/// embedded store, in batches of `influxdb.batch_points`, with progress on stderr.
/// Idempotent (InfluxDB keeps one point per series and time), so an interrupted copy is
/// simply run again.
pub fn copy(config: &Config, _from: From, _to: To) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let influx = InfluxStore::new(config.influxdb.settings())?;
    rt.block_on(influx.prepare(server::influx_durations(config)))?;
    let source = rt.block_on(async {
        let path = config.data_dir.join("timeseries.redb");
        anyhow::ensure!(path.exists(), "no embedded store at {}", path.display());
        Ok(EmbeddedStore::open(
            &path,
            server::embedded_config(config),
            Arc::new(SystemClock),
        )?)
    })?;
    let total = source.point_rows()?;
    let mut progress = Progress::new(total);
    let (mut cursor, mut copied, mut refused) = (None, 0u64, 0u64);
    loop {
        let (points, next, rows) = source.export_page(cursor, config.influxdb.batch_points)?;
        if rows == 0 {
            break;
        }
        let n = points.len() as u64;
        match rt.block_on(write_retrying(&influx, points)) {
            Ok(r) => refused += r,
            Err(e) => {
                progress.finish();
                return Err(e.into());
            }
        }
        copied += n;
        progress.advance(rows);
        cursor = next;
    }
    progress.finish();
    rt.block_on(source.close());
    writeln!(
        std::io::stdout().lock(),
        "copied {} points to {:?}; {refused} refused by InfluxDB",
        copied - refused,
        config.influxdb.database
    )?;
    Ok(if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Write a batch, retrying transient failures a few times; points refused as malformed
/// are written one by one and counted (with a message) instead of stopping the copy.
async fn write_retrying(
    influx: &InfluxStore,
    points: Vec<edgemon_collector::tsdb::Point>,
) -> Result<u64, StoreError> {
    for attempt in 0..5u32 {
        match influx.write(points.clone()).await {
            Ok(()) => return Ok(0),
            Err(StoreError::Rejected(_)) => {
                let mut refused = 0;
                for p in points {
                    if let Err(StoreError::Rejected(e)) = influx.write(vec![p.clone()]).await {
                        refused += 1;
                        tracing::warn!(measurement = %p.measurement, time_us = p.time_us, error = %e, "point refused");
                    }
                }
                return Ok(refused);
            }
            Err(e) if attempt == 4 => return Err(e),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(500 << attempt)).await,
        }
    }
    unreachable!("the last attempt returns")
}

/// A progress line on stderr: redrawn in place on a terminal, else one line per 10 %.
struct Progress {
    total: u64,
    done: u64,
    shown: u64,
    tty: bool,
}

impl Progress {
    fn new(total: u64) -> Self {
        Progress {
            total,
            done: 0,
            shown: 0,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn advance(&mut self, rows: u64) {
        self.done += rows;
        let pct = (self.done * 100)
            .checked_div(self.total)
            .unwrap_or(100)
            .min(100);
        if self.tty {
            let width = 40;
            let filled = usize::try_from(pct * width / 100).unwrap_or(0);
            let bar = format!(
                "{}{}",
                "#".repeat(filled),
                "-".repeat(usize::try_from(width).unwrap_or(0) - filled)
            );
            let _ = write!(
                std::io::stderr(),
                "\r[{bar}] {pct:>3}% {}/{} points",
                self.done,
                self.total
            );
        } else if pct >= self.shown + 10 || self.done == self.total {
            self.shown = pct - pct % 10;
            let _ = writeln!(
                std::io::stderr(),
                "copy-timeseries: {pct}% ({}/{} points)",
                self.done,
                self.total
            );
        }
    }

    fn finish(&mut self) {
        if self.tty {
            let _ = writeln!(std::io::stderr());
        }
    }
}

pub fn dead_letters(config: &Config, cmd: &DeadLettersCmd) -> anyhow::Result<ExitCode> {
    let path = config.data_dir.join("tsdb-queue.redb");
    anyhow::ensure!(
        path.exists(),
        "no write queue at {} (the InfluxDB backend has not run with this data_dir)",
        path.display()
    );
    let store = QueueStore::open(&path)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        DeadLettersCmd::List { limit } => {
            let letters = store.dead_letters(*limit)?;
            for (id, d) in &letters {
                let mut line = String::new();
                let _ = edgemon_collector::tsdb::influx::line::encode(&mut line, &d.point);
                writeln!(
                    out,
                    "{id}\t{}\t{}\t{:?}\t{}",
                    rfc3339(d.time_us),
                    d.point.retention.influx_name(),
                    d.error,
                    line.trim_end()
                )?;
            }
            writeln!(
                out,
                "{} dead letter(s) in total",
                store.dead_letter_count()?
            )?;
            Ok(ExitCode::SUCCESS)
        }
        DeadLettersCmd::Replay => {
            let influx = InfluxStore::new(config.influxdb.settings())?;
            let rt = runtime()?;
            let (mut ok, mut kept) = (0, 0);
            for (id, mut d) in store.dead_letters(usize::MAX)? {
                match rt.block_on(influx.write(vec![d.point.clone()])) {
                    Ok(()) => {
                        store.update_dead(id, None)?;
                        ok += 1;
                    }
                    Err(StoreError::Rejected(e)) => {
                        d.error = e;
                        d.time_us = jiff::Timestamp::now().as_microsecond();
                        store.update_dead(id, Some(&d))?;
                        kept += 1;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            writeln!(out, "replayed {ok} point(s); {kept} refused again")?;
            Ok(if kept > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn rfc3339(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}
