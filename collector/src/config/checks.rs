//! `[checks]`: active checks run by the collector (docs/alerts.md).

use super::Duration;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Checks {
    /// Run the checks on a schedule while serving (`run-checks` runs them once anyway).
    pub enabled: bool,
    /// How often each device's checks run.
    pub interval: Duration,
    /// Each device's checks start at a pseudo-random offset within this span of the
    /// round, so a fleet is not pinged in one burst.
    pub jitter: Duration,
    /// Checks running at the same time, at most.
    pub concurrency: usize,
    pub ping: Ping,
    pub data_collected: DataCollected,
    pub wifi_clients: WifiClients,
}

/// The wifi_clients check (off by default, as in the reference).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WifiClients {
    pub enabled: bool,
    /// Window of `wifi_clients_min` (distinct clients seen).
    pub min_interval: Duration,
    /// Window of `wifi_clients_max`.
    pub max_interval: Duration,
}

impl Default for WifiClients {
    fn default() -> Self {
        WifiClients {
            enabled: false,
            min_interval: Duration::from_secs(4320 * 60),
            max_interval: Duration::from_secs(300),
        }
    }
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            enabled: true,
            interval: Duration::from_secs(300),
            jitter: Duration::from_secs(60),
            concurrency: 64,
            ping: Ping::default(),
            data_collected: DataCollected::default(),
            wifi_clients: WifiClients::default(),
        }
    }
}

/// The ping check (the reference's fping options, same defaults and bounds).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ping {
    pub enabled: bool,
    /// Echo requests per check (2..=20).
    pub count: u32,
    /// Milliseconds between two requests (10..=1000).
    pub interval_ms: u64,
    /// Payload bytes per request (12..=65508).
    pub bytes: usize,
    /// Milliseconds to wait for each reply (5..=1500).
    pub timeout_ms: u64,
    /// Ping only the management IP; `false` falls back to the last IP the device
    /// connected from.
    pub management_ip_only: bool,
}

impl Default for Ping {
    fn default() -> Self {
        Ping {
            enabled: true,
            count: 5,
            interval_ms: 25,
            bytes: 56,
            timeout_ms: 800,
            management_ip_only: true,
        }
    }
}

/// The data_collected check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataCollected {
    pub enabled: bool,
    /// A device that sent nothing for this long has not been collecting.
    pub interval: Duration,
}

impl Default for DataCollected {
    fn default() -> Self {
        DataCollected {
            enabled: true,
            interval: Duration::from_secs(3600),
        }
    }
}

impl Checks {
    pub(super) fn check(&self) -> Result<(), String> {
        let p = &self.ping;
        let bounds: [(&str, u64, u64, u64); 4] = [
            ("count", u64::from(p.count), 2, 20),
            ("interval_ms", p.interval_ms, 10, 1000),
            ("bytes", p.bytes as u64, 12, 65_508),
            ("timeout_ms", p.timeout_ms, 5, 1500),
        ];
        for (name, v, lo, hi) in bounds {
            if !(lo..=hi).contains(&v) {
                return Err(format!(
                    "option `checks.ping.{name}` is {v}; it must be between {lo} and {hi}"
                ));
            }
        }
        if self.concurrency == 0 {
            return Err("option `checks.concurrency` must be at least 1".into());
        }
        if self.interval.as_secs() == 0 {
            return Err("option `checks.interval` must be at least 1s".into());
        }
        if self.jitter > self.interval {
            return Err("option `checks.jitter` must not be longer than `checks.interval`".into());
        }
        if self.wifi_clients.min_interval.as_secs() == 0
            || self.wifi_clients.max_interval.as_secs() == 0
        {
            return Err(
                "options `checks.wifi_clients.min_interval` and `max_interval` must be at least 1s"
                    .into(),
            );
        }
        if self.data_collected.interval.as_secs() == 0 {
            return Err("option `checks.data_collected.interval` must be at least 1s".into());
        }
        Ok(())
    }
}
