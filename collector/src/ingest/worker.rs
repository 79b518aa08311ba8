//! The worker: batches of jobs → derived points → one storage write per batch.

use super::{Job, Stats};
use crate::tsdb::{FieldValue, Point, Retention, StoreError, TimeSeries};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Turns jobs into points; keeps each device's previous snapshot for counter deltas.
#[derive(Debug)]
pub struct Processor {
    tsdb: Arc<dyn TimeSeries>,
    /// Each device's previous counters (not whole snapshots: memory stays small).
    previous: HashMap<Uuid, PreviousCounters>,
    options: transform::Options,
    /// Evaluates what was stored (alerts, health); `None` when alerts are off.
    alerts: Option<Arc<crate::alerts::Alerts>>,
}

use crate::derive::{self, DEVICE_DATA, DeviceInfo, PreviousCounters, transform};

fn now_us() -> i64 {
    crate::registry::now_us()
}

impl Processor {
    pub fn new(tsdb: Arc<dyn TimeSeries>, options: transform::Options) -> Self {
        Processor {
            tsdb,
            previous: HashMap::new(),
            options,
            alerts: None,
        }
    }

    /// Evaluate every stored batch with `alerts`.
    #[must_use]
    pub fn with_alerts(mut self, alerts: Option<Arc<crate::alerts::Alerts>>) -> Self {
        self.alerts = alerts;
        self
    }

    /// The device's previous snapshot: from memory, else from the store (after a restart).
    async fn previous(&mut self, device: Uuid) -> Result<PreviousCounters, StoreError> {
        if let Some(v) = self.previous.get(&device) {
            return Ok(v.clone());
        }
        let latest = self
            .tsdb
            .latest(
                Retention::Short,
                DEVICE_DATA.to_owned(),
                vec![("pk".to_owned(), device.hyphenated().to_string())],
            )
            .await?;
        Ok(latest
            .and_then(|p| match p.fields.get("data") {
                Some(FieldValue::Str(s)) => serde_json::from_str::<serde_json::Value>(s).ok(),
                _ => None,
            })
            .map_or_else(PreviousCounters::none, |v| {
                PreviousCounters::from_snapshot(&v)
            }))
    }

    /// The points for one job, and remember its snapshot as the device's previous one.
    /// Waits (with backoff) while the store cannot tell the previous snapshot: deltas
    /// computed without it would be wrong.
    async fn points(&mut self, job: Job) -> Vec<Point> {
        let mut delay = Duration::from_millis(100);
        let previous = loop {
            match self.previous(job.device).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::warn!(device = %job.device, error = %e, "cannot read the previous snapshot; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        };
        let info = DeviceInfo {
            id: job.device,
            organization_id: job.org,
            location_id: None,
            floorplan_id: None,
        };
        let sample = match edgemon_shared::validate::parse_and_validate(&job.body) {
            Ok(sample) => sample,
            Err(e) => {
                // The handler validated these bytes; reaching this is a bug, not bad input.
                tracing::error!(device = %job.device, error = %e, "queued sample no longer validates; dropped");
                return Vec::new();
            }
        };
        let derived = derive::derive_after(&info, &previous, sample, job.time_us, self.options);
        self.previous.insert(
            job.device,
            PreviousCounters::from_snapshot(&derived.snapshot),
        );
        derived.into_points(job.device, now_us())
    }
}

pub(super) async fn run(
    mut processor: Processor,
    mut rx: mpsc::Receiver<Job>,
    batch_max: usize,
    stats: Arc<Stats>,
) {
    let mut batch = Vec::with_capacity(batch_max);
    loop {
        batch.clear();
        if rx.recv_many(&mut batch, batch_max).await == 0 {
            return; // every sender is gone and the queue is empty
        }
        let n = batch.len() as u64;
        let mut points = Vec::new();
        for job in batch.drain(..) {
            points.extend(processor.points(job).await);
        }
        let count = points.len() as u64;
        let mut delay = Duration::from_millis(100);
        loop {
            match processor.tsdb.write(points.clone()).await {
                Ok(()) => break,
                Err(e) => {
                    stats.write_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, points = count, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "time-series write failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
        if let Some(alerts) = &processor.alerts {
            alerts.observe(&points, now_us(), true, true).await;
        }
        stats.stored.fetch_add(n, Ordering::Relaxed);
        stats.points.fetch_add(count, Ordering::Relaxed);
    }
}
