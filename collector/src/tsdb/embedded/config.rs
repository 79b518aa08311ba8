//! Settings of the embedded store, and the clock it reads "now" from.

use crate::tsdb::Retention;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// `[timeseries.embedded]`: tuning of the embedded time-series store. Every field has a
/// default; the database path is given separately.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddedConfig {
    /// Hours points of the `short` policy are kept (the device snapshot,
    /// `data_collected`, `config_applied`). InfluxDB reference: `short` = 24h.
    pub short_retention_hours: u64,
    /// Hours points of the default policy are kept. InfluxDB reference: `autogen` = 26280h
    /// (three years).
    pub default_retention_hours: u64,
    /// Seconds between two retention sweeps (expired points are never returned by queries
    /// in between; the sweep only reclaims space).
    pub sweep_interval_secs: u64,
    /// Most points one sweep or purge transaction deletes, so a sweep never holds the
    /// writer for long: ingest batches run between two sweep transactions.
    pub sweep_chunk_points: usize,
    /// Most points committed in one write transaction (group commit): concurrent `write`
    /// calls queued while a commit runs are committed together up to this many points.
    pub max_batch_points: usize,
    /// Write requests that may wait for the writer; further `write` calls wait for room
    /// (backpressure towards ingest).
    pub queue_capacity: usize,
    /// redb page cache, in MiB.
    pub cache_mib: usize,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        EmbeddedConfig {
            short_retention_hours: 24,
            default_retention_hours: 26_280,
            sweep_interval_secs: 600,
            sweep_chunk_points: 20_000,
            max_batch_points: 50_000,
            queue_capacity: 1024,
            cache_mib: 8,
        }
    }
}

impl EmbeddedConfig {
    /// How long points of `retention` live, in microseconds.
    pub fn retention_us(&self, retention: Retention) -> i64 {
        let hours = match retention {
            Retention::Default => self.default_retention_hours,
            Retention::Short => self.short_retention_hours,
        };
        i64::try_from(hours)
            .ok()
            .and_then(|h| h.checked_mul(3_600_000_000))
            .unwrap_or(i64::MAX)
    }

    /// Points of `retention` older than this (at `now_us`) are expired.
    pub fn cutoff_us(&self, retention: Retention, now_us: i64) -> i64 {
        now_us.saturating_sub(self.retention_us(retention))
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_secs(self.sweep_interval_secs.max(1))
    }
}

/// Where the store reads the current time (retention); injected so tests need no sleeping.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Microseconds since the Unix epoch.
    fn now_us(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(now.as_micros()).unwrap_or(i64::MAX)
    }
}

/// A clock that only moves when told to (tests, replays).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now_us: i64) -> Self {
        ManualClock(AtomicI64::new(now_us))
    }

    pub fn set(&self, now_us: i64) {
        self.0.store(now_us, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
