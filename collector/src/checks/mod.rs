//! Active checks: the collector measures something about a device itself (ping) or about
//! its data (data_collected), writes the result as a metric point, and the alert engine
//! evaluates it like any other point.
//!
//! ```text
//! schedule.rs (interval + jitter, recovery detection) ──► runner.rs (bounded concurrency)
//!     ──► dyn Check::run(target, now) ──► points ──► tsdb write ──► alerts.observe
//! ```
//!
//! A new kind implements [`Check`] and is added to [`from_config`]; the runner and the
//! schedule do not change.

pub mod data_collected;
pub mod ping;
pub mod runner;
pub mod schedule;
pub mod wifi_clients;

use crate::alerts::Status;
use crate::registry::Device;
use crate::tsdb::{BoxFuture, Point, TimeSeries};
use std::sync::Arc;

/// What a check is run against.
#[derive(Debug, Clone)]
pub struct Target {
    pub device: Device,
    /// The device's health status before the check.
    pub status: Status,
}

/// What a check produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Points to store (and evaluate).
    pub points: Vec<Point>,
    /// `false`: update health but do not notify (the reference's `send_alert`).
    pub send_alert: bool,
}

/// Why a check could not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(
        "cannot open an ICMP socket: {0} (the collector needs CAP_NET_RAW or net.ipv4.ping_group_range)"
    )]
    Socket(String),
    #[error("time-series store: {0}")]
    Store(#[from] crate::tsdb::StoreError),
}

/// One kind of active check.
pub trait Check: Send + Sync + std::fmt::Debug {
    /// The check's name (`ping`), as in `run-checks` output and logs.
    fn name(&self) -> &'static str;
    /// The metric configuration its points feed (for recovery detection's "critical checks").
    fn metric(&self) -> &'static str;
    /// Run against one device at collector time `now_us`; `Ok(None)`: nothing to do for
    /// this device now (e.g. no IP to ping and a status that says nothing yet).
    fn run<'a>(
        &'a self,
        target: &'a Target,
        now_us: i64,
    ) -> BoxFuture<'a, Result<Option<Output>, CheckError>>;
}

/// A point of a device metric written by a check, with the reference's tags.
pub fn device_point(measurement: &str, device: &Device, time_us: i64) -> Point {
    Point::new(measurement, time_us)
        .tag("content_type", "config.device")
        .tag("object_id", device.id.to_string())
}

/// The checks `[checks]` enables.
pub fn from_config(
    config: &crate::config::Checks,
    tsdb: Arc<dyn TimeSeries>,
) -> Result<Vec<Arc<dyn Check>>, CheckError> {
    let mut checks: Vec<Arc<dyn Check>> = Vec::new();
    if config.ping.enabled {
        checks.push(Arc::new(ping::Ping::new(ping::Params::from(&config.ping))?));
    }
    if config.wifi_clients.enabled {
        let us = |d: crate::config::Duration| {
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 1_000_000) * 1_000_000
        };
        checks.push(Arc::new(wifi_clients::WifiClients::new(
            tsdb.clone(),
            us(config.wifi_clients.min_interval),
            us(config.wifi_clients.max_interval),
        )));
    }
    if config.data_collected.enabled {
        checks.push(Arc::new(data_collected::DataCollected::new(
            tsdb,
            config.data_collected.interval.std(),
        )));
    }
    Ok(checks)
}

#[cfg(test)]
mod tests;
