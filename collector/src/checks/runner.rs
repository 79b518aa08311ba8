//! Runs checks against devices with bounded concurrency, stores their points and hands
//! them to the alert engine.

use super::{Check, Output, Target};
use crate::alerts::{Alerts, Status};
use crate::registry::{Device, Registry};
use crate::tsdb::TimeSeries;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Semaphore;
use uuid::Uuid;

/// The collector's clock (µs since the epoch), injected so tests control it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct CheckStats {
    pub runs: AtomicU64,
    pub failures: AtomicU64,
    /// Microseconds spent in checks (run, store, evaluate), summed over `runs`.
    pub duration_us: AtomicU64,
}

/// One check's run against one device.
#[derive(Debug)]
pub struct Report {
    pub device: Uuid,
    pub check: &'static str,
    /// `Ok(None)`: skipped; `Err`: the check or the store failed.
    pub result: Result<Option<Output>, String>,
}

pub struct Runner {
    checks: Vec<Arc<dyn Check>>,
    registry: Arc<Registry>,
    tsdb: Arc<dyn TimeSeries>,
    alerts: Option<Arc<Alerts>>,
    limit: Semaphore,
    concurrency: usize,
    clock: Clock,
    pub stats: Arc<CheckStats>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("checks", &self.checks)
            .finish_non_exhaustive()
    }
}

impl Runner {
    pub fn new(
        checks: Vec<Arc<dyn Check>>,
        registry: Arc<Registry>,
        tsdb: Arc<dyn TimeSeries>,
        alerts: Option<Arc<Alerts>>,
        concurrency: usize,
        clock: Clock,
    ) -> Runner {
        Runner {
            checks,
            registry,
            tsdb,
            alerts,
            limit: Semaphore::new(concurrency),
            concurrency,
            clock,
            stats: Arc::default(),
        }
    }

    /// One device from the registry.
    pub fn registry_device(
        &self,
        id: Uuid,
    ) -> Result<Option<Device>, crate::registry::RegistryError> {
        self.registry.device(id)
    }

    pub fn checks(&self) -> &[Arc<dyn Check>] {
        &self.checks
    }

    /// Checks running at once at most (`checks.concurrency`).
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The ids of the devices checks run against (active devices of active
    /// organizations), read one record at a time: 16 bytes a device, where the records
    /// of a 100 000-device fleet took tens of MB.
    pub fn device_ids(&self) -> Vec<Uuid> {
        self.active_devices(|d| d.id)
    }

    /// Devices checks run against: active devices of active organizations, by name.
    pub fn devices(&self) -> Vec<Device> {
        let mut devices = self.active_devices(|d| d);
        devices.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        devices
    }

    /// `keep` of every active device of an active organization (none, logged, when the
    /// registry cannot be read).
    fn active_devices<T>(&self, keep: impl Fn(Device) -> T) -> Vec<T> {
        let active_orgs: Vec<Uuid> = match self.registry.orgs() {
            Ok(orgs) => orgs
                .into_iter()
                .filter(|o| o.active)
                .map(|o| o.id)
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "cannot list organizations for checks");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        let listed = self.registry.each_device(|d| {
            if d.active && active_orgs.contains(&d.org) {
                out.push(keep(d));
            }
        });
        if let Err(e) = listed {
            tracing::error!(error = %e, "cannot list devices for checks");
            return Vec::new();
        }
        out
    }

    /// Run one check against one device (waiting for a free slot), store and evaluate.
    pub async fn run(&self, device: Device, check: &dyn Check) -> Report {
        if self
            .alerts
            .as_ref()
            .is_some_and(|a| !a.check_active(device.id, check.name()))
        {
            return Report {
                device: device.id,
                check: check.name(),
                result: Ok(None),
            };
        }
        let _permit = self.limit.acquire().await.expect("semaphore never closed");
        self.stats.runs.fetch_add(1, Ordering::Relaxed);
        let status = match &self.alerts {
            Some(a) => a.status(device.id).await,
            None => Status::Unknown,
        };
        let id = device.id;
        let target = Target { device, status };
        let now = (self.clock)();
        let started = std::time::Instant::now();
        let result = match check.run(&target, now).await {
            Ok(Some(out)) => match self.tsdb.write(out.points.clone()).await {
                Ok(()) => {
                    if let Some(a) = &self.alerts {
                        a.observe(&out.points, now, out.send_alert, false).await;
                    }
                    Ok(Some(out))
                }
                Err(e) => Err(e.to_string()),
            },
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        };
        self.stats.duration_us.fetch_add(
            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        if let Err(e) = &result {
            self.stats.failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(device = %id, check = check.name(), error = %e, "check failed");
        }
        Report {
            device: id,
            check: check.name(),
            result,
        }
    }

    /// Run every check (or those feeding `metrics`, when given) against `devices`,
    /// concurrently within the limit; reports in no particular order.
    pub async fn run_all(
        self: &Arc<Self>,
        devices: Vec<Device>,
        metrics: Option<&[String]>,
    ) -> Vec<Report> {
        let mut set = tokio::task::JoinSet::new();
        for device in devices {
            for check in &self.checks {
                if metrics.is_some_and(|m| !m.iter().any(|x| x == check.metric())) {
                    continue;
                }
                let runner = self.clone();
                let check = check.clone();
                let device = device.clone();
                set.spawn(async move { runner.run(device, check.as_ref()).await });
            }
        }
        let mut reports = Vec::new();
        while let Some(r) = set.join_next().await {
            reports.push(r.expect("check task panicked"));
        }
        reports
    }
}
