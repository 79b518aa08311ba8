//! The command line.

mod admin;
mod alerts;
mod checks;
mod timeseries;
mod validate;

use clap::{Parser, Subcommand};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "edgemon-collector", version, about = "edgemon's collector")]
pub struct Cli {
    /// Configuration file (TOML); options not in it take their defaults, and
    /// `EDGEMON__<SECTION>__<KEY>` environment variables override both.
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the collector: HTTP API and ingest, until SIGINT/SIGTERM.
    Serve,
    /// Check NetJSON DeviceMonitoring payloads exactly as the OpenWISP monitoring server
    /// would. Prints `FILE: ok` or the server's error for each file. Exit status: 0 when
    /// all are valid, 1 when any is invalid, 2 when a file cannot be read.
    Validate {
        /// Payload files; `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Manage organizations (the collector must not be running: the registry is locked).
    #[command(subcommand)]
    Org(admin::OrgCmd),
    /// Manage devices (the collector must not be running).
    #[command(subcommand)]
    Device(admin::DeviceCmd),
    /// Manage API tokens (the collector must not be running).
    #[command(subcommand)]
    Token(admin::TokenCmd),
    /// Read and mark notifications (the collector must not be running).
    #[command(subcommand)]
    Notifications(alerts::NotificationsCmd),
    /// Per-device alert settings (the collector must not be running).
    #[command(subcommand)]
    AlertSettings(alerts::AlertSettingsCmd),
    /// Run every active check once against every active device, store and evaluate the
    /// results, print them (the collector must not be running). Exit status 1 when a
    /// check failed.
    RunChecks,
    /// Write a mosquitto ACL file from the registry: each active device may publish only
    /// under its own topics, the collector (`mqtt.username`) only read those of the
    /// organizations it serves (`mqtt.orgs`). Send mosquitto SIGHUP to reload it.
    MqttAcl {
        /// Where to write it (replaced atomically); standard output without it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Create the InfluxDB database (`influxdb.database`) and create or alter its
    /// retention policies `autogen` and `short` to `retention.default` and
    /// `retention.short`. Prints what changed. `serve` does the same at start.
    MigrateTimeseries,
    /// Copy every point of the embedded store into InfluxDB (after `migrate-timeseries`'
    /// preparation), with progress on stderr; safe to run again (the collector must not
    /// be running). Exit status 1 when InfluxDB refused some points.
    CopyTimeseries {
        #[arg(long, value_enum)]
        from: timeseries::From,
        #[arg(long, value_enum)]
        to: timeseries::To,
    },
    /// List or replay the points InfluxDB refused as malformed (the collector must not be
    /// running).
    #[command(subcommand)]
    TimeseriesDeadLetters(timeseries::DeadLettersCmd),
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let load =
            || edgemon_collector::config::Config::load(self.config.as_deref(), std::env::vars());
        match self.command {
            Command::Validate { ref files } => validate::run(files),
            Command::Serve => {
                let config = load()?;
                edgemon_collector::server::init_logging(&config);
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .max_blocking_threads(edgemon_collector::server::blocking_threads(&config))
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let stores = edgemon_collector::server::open_stores(&config)?;
                    edgemon_collector::server::serve(
                        config,
                        stores,
                        edgemon_collector::server::shutdown_signal(),
                        |addr| {
                            // One line on stdout that scripts and tests can wait for.
                            let mut out = std::io::stdout().lock();
                            let _ = writeln!(out, "edgemon-collector listening on http://{addr}");
                            let _ = out.flush();
                        },
                    )
                    .await
                })?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Org(ref cmd) => admin::org(&load()?, cmd),
            Command::Device(ref cmd) => admin::device(&load()?, cmd),
            Command::Token(ref cmd) => admin::token(&load()?, cmd),
            Command::Notifications(ref cmd) => alerts::notifications(&load()?, cmd),
            Command::AlertSettings(ref cmd) => alerts::alert_settings(&load()?, cmd),
            Command::RunChecks => {
                let config = load()?;
                edgemon_collector::server::init_logging(&config);
                checks::run(&config)
            }
            Command::MqttAcl { ref out } => admin::mqtt_acl(&load()?, out.as_deref()),
            Command::MigrateTimeseries => timeseries::migrate(&load()?),
            Command::CopyTimeseries { from, to } => {
                let config = load()?;
                edgemon_collector::server::init_logging(&config);
                timeseries::copy(&config, from, to)
            }
            Command::TimeseriesDeadLetters(ref cmd) => timeseries::dead_letters(&load()?, cmd),
        }
    }
}
