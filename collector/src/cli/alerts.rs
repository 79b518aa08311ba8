//! `notifications` and `alert-settings`: the alert store from the command line (the
//! collector must not be running: redb locks `alerts.redb`).

use clap::Subcommand;
use edgemon_collector::alerts::store::AlertStore;
use edgemon_collector::alerts::{AlertOverride, Operator, Rule};
use edgemon_collector::config::{Config, parse_duration};
use edgemon_collector::registry::Registry;
use std::io::Write;
use std::process::ExitCode;
use uuid::Uuid;

#[derive(Debug, Subcommand)]
pub enum NotificationsCmd {
    /// List notifications, newest first.
    List {
        /// Only this organization's (id or slug).
        #[arg(long)]
        org: Option<String>,
        /// Only unread ones.
        #[arg(long)]
        unread: bool,
    },
    /// Mark notifications read (all unread ones when no id is given).
    Read {
        #[arg(long)]
        org: Option<String>,
        ids: Vec<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertSettingsCmd {
    /// Override one metric's alert settings for one device; unset options keep the
    /// metric configuration's defaults.
    Set {
        device: Uuid,
        /// Metric configuration (`cpu`, `ping`, …).
        metric: String,
        /// `<` or `>`.
        #[arg(long)]
        operator: Option<String>,
        #[arg(long)]
        threshold: Option<f64>,
        /// `30m`, `2h`, `0s`.
        #[arg(long)]
        tolerance: Option<String>,
        #[arg(long)]
        recovery_threshold: Option<f64>,
        /// `false`: track health but send no notification.
        #[arg(long)]
        enabled: Option<bool>,
    },
    /// Remove a device's override of a metric.
    Clear { device: Uuid, metric: String },
}

fn open(config: &Config) -> anyhow::Result<AlertStore> {
    std::fs::create_dir_all(&config.data_dir)?;
    AlertStore::open(&config.data_dir.join("alerts.redb")).map_err(|e| anyhow::anyhow!("{e}"))
}

fn org_id(config: &Config, org: Option<&str>) -> anyhow::Result<Option<Uuid>> {
    let Some(org) = org else { return Ok(None) };
    let registry = Registry::open(&config.data_dir.join("registry.redb")).map_err(|e| {
        anyhow::anyhow!("{e} (a running collector holds the registry; stop it first)")
    })?;
    Ok(Some(registry.find_org(org)?.id))
}

pub fn notifications(config: &Config, cmd: &NotificationsCmd) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        NotificationsCmd::List { org, unread } => {
            let org = org_id(config, org.as_deref())?;
            let store = open(config)?;
            for (i, n) in store.notifications(org, *unread)?.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(
                    out,
                    "id: {}\norg: {}\ndevice: {}\ntype: {}\nlevel: {}\nunread: {}\nmuted: {}\n\
                     time_us: {}\npoint_time_us: {}\nsubject: {}\nmessage: {}",
                    n.id,
                    n.org,
                    n.device,
                    n.kind_name(),
                    n.level,
                    n.unread,
                    n.muted,
                    n.time_us,
                    n.point_time_us,
                    n.subject,
                    n.message
                )?;
            }
        }
        NotificationsCmd::Read { org, ids } => {
            let org = org_id(config, org.as_deref())?;
            let n = open(config)?.mark_read(org, ids)?;
            writeln!(out, "marked read: {n}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn alert_settings(config: &Config, cmd: &AlertSettingsCmd) -> anyhow::Result<ExitCode> {
    let catalog = config
        .alerts
        .catalog()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let known = |metric: &str| {
        catalog
            .metrics
            .get(metric)
            .and_then(|m| m.alert.as_ref())
            .ok_or_else(|| anyhow::anyhow!("metric {metric:?} has no alert settings to override"))
    };
    match cmd {
        AlertSettingsCmd::Set {
            device,
            metric,
            operator,
            threshold,
            tolerance,
            recovery_threshold,
            enabled,
        } => {
            let defaults = known(metric)?;
            let o = AlertOverride {
                enabled: *enabled,
                operator: operator
                    .as_deref()
                    .map(str::parse::<Operator>)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--operator: {e}"))?,
                threshold: *threshold,
                tolerance_s: tolerance
                    .as_deref()
                    .map(|t| parse_duration(t).map(edgemon_collector::config::Duration::as_secs))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--tolerance: {e}"))?,
                recovery_threshold: *recovery_threshold,
            };
            Rule::new(defaults, Some(&o))
                .check()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            open(config)?.set_override(*device, metric, Some(&o))?;
        }
        AlertSettingsCmd::Clear { device, metric } => {
            open(config)?.set_override(*device, metric, None)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
