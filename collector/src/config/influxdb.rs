//! `[tsdb]` (which backend) and `[influxdb]` (the InfluxDB backend and its write queue).

use super::Duration;
use serde::Deserialize;
use std::path::PathBuf;

/// Which time-series backend stores the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded store in `data_dir/timeseries.redb` (no server needed).
    Embedded,
    /// An InfluxDB 1.x server (`[influxdb]`), behind a durable write queue.
    Influxdb,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tsdb {
    /// `embedded` or `influxdb`.
    pub backend: Backend,
}

impl Default for Tsdb {
    fn default() -> Self {
        Tsdb {
            backend: Backend::Embedded,
        }
    }
}

/// The InfluxDB 1.x server. Retention durations come from `[retention]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Influxdb {
    /// Base URL of the HTTP API (`http://` or `https://`).
    pub url: String,
    /// The database (the reference's `TIMESERIES_DATABASE["NAME"]`).
    pub database: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// PEM file with the CA certificates that sign an `https://` server's certificate;
    /// without it, the webpki roots.
    pub ca_file: Option<PathBuf>,
    /// Whole duration of one request, at most.
    pub timeout: Duration,
    /// Points sent to InfluxDB in one write, about.
    pub batch_points: usize,
    /// Longest wait between two attempts while InfluxDB fails (exponential backoff with
    /// full jitter from 100 ms up to this).
    pub backoff_max: Duration,
    /// Points the write queue (`data_dir/tsdb-queue.redb`) holds at most; past it ingest
    /// slows down and eventually answers 429.
    pub queue_max_points: u64,
}

impl Default for Influxdb {
    fn default() -> Self {
        Influxdb {
            url: "http://127.0.0.1:8086".into(),
            database: "openwisp2".into(),
            username: None,
            password: None,
            ca_file: None,
            timeout: Duration::from_secs(10),
            batch_points: 5000,
            backoff_max: Duration::from_secs(60),
            queue_max_points: 20_000_000,
        }
    }
}

impl Influxdb {
    pub(super) fn check(&self) -> Result<(), String> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!(
                "option `influxdb.url`: {:?} is not an http:// or https:// URL",
                self.url
            ));
        }
        if self.database.is_empty() {
            return Err("option `influxdb.database` must not be empty".into());
        }
        if self.batch_points == 0 {
            return Err("option `influxdb.batch_points` must be at least 1".into());
        }
        if self.queue_max_points == 0 {
            return Err("option `influxdb.queue_max_points` must be at least 1".into());
        }
        if self.timeout.as_secs() == 0 {
            return Err("option `influxdb.timeout` must be at least 1s".into());
        }
        if self.backoff_max.as_secs() == 0 {
            return Err("option `influxdb.backoff_max` must be at least 1s".into());
        }
        Ok(())
    }

    /// The client settings.
    pub fn settings(&self) -> crate::tsdb::influx::Settings {
        crate::tsdb::influx::Settings {
            url: self.url.clone(),
            database: self.database.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            ca_file: self.ca_file.clone(),
            timeout: self.timeout.std(),
        }
    }

    /// The write queue's settings.
    pub fn queue(&self) -> crate::tsdb::queue::Settings {
        crate::tsdb::queue::Settings {
            batch_points: self.batch_points,
            backoff_base: std::time::Duration::from_millis(100),
            backoff_max: self.backoff_max.std(),
            max_points: self.queue_max_points,
        }
    }
}
