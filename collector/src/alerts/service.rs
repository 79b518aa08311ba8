//! The async shell around the engine: keeps every device's metric states in memory,
//! evaluates stored points, renders notifications and persists what changed.
//!
//! One [`Alerts`] serves the ingest worker and the active checks; evaluations are
//! serialised by one lock so the persisted state always follows the in-memory one.

use super::catalog::Catalog;
use super::engine::{EngineConfig, Kind};
use super::health::{self, MetricHealth, Status};
use super::notification::Notification;
use super::rule::{AlertOverride, Rule};
use super::store::{AlertStore, AlertStoreError, Changes};
use super::texts;
use crate::registry::Registry;
use crate::tsdb::Point;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

/// What the service needs from `[alerts]`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site_name: String,
    pub base_url: String,
    pub critical: Vec<String>,
    pub auto_clear_management_ip: bool,
    pub recovery_detection: bool,
    pub engine: EngineConfig,
    /// Maintenance windows (already checked by the configuration).
    pub maintenance: Vec<super::maintenance::Window>,
}

impl Settings {
    pub fn from_config(c: &crate::config::Alerts) -> Settings {
        let us = |d: crate::config::Duration| {
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 1_000_000) * 1_000_000
        };
        Settings {
            site_name: c.site_name.clone(),
            base_url: c.base_url.trim_end_matches('/').to_owned(),
            critical: c.critical_metrics.clone(),
            auto_clear_management_ip: c.auto_clear_management_ip,
            recovery_detection: c.recovery_detection,
            engine: EngineConfig {
                tolerance_interval_us: us(c.tolerance_interval),
                backlog_us: us(c.backlog),
            },
            maintenance: c
                .maintenance
                .iter()
                .filter_map(|w| w.parse().ok())
                .collect(),
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct AlertStats {
    /// Values compared with a threshold.
    pub evaluations: AtomicU64,
    /// Values not evaluated because they arrived more than `backlog` late.
    pub backlog_skipped: AtomicU64,
    pub problems: AtomicU64,
    pub recoveries: AtomicU64,
    pub notifications_stored: AtomicU64,
    /// Failed writes of alert state (retried with the next evaluation).
    pub store_failures: AtomicU64,
}

/// Tags that do not tell two metrics of one device apart.
const NOT_MAIN_TAGS: [&str; 6] = [
    "content_type",
    "object_id",
    "organization_id",
    "location_id",
    "floorplan_id",
    "pk",
];

/// `cpu`, or `clients{ifname=wlan0}` for metrics with main tags.
fn metric_id(configuration: &str, point: &Point) -> String {
    let main: Vec<String> = point
        .tags
        .iter()
        .filter(|(k, _)| !NOT_MAIN_TAGS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if main.is_empty() {
        configuration.to_owned()
    } else {
        format!("{configuration}{{{}}}", main.join(","))
    }
}

fn configuration_of(metric_id: &str) -> &str {
    metric_id.split_once('{').map_or(metric_id, |(c, _)| c)
}

#[derive(Debug)]
struct Device {
    status: Status,
    /// metric id → state.
    metrics: MetricStates,
    /// metric configuration → override.
    overrides: BTreeMap<String, AlertOverride>,
}

impl Default for Device {
    fn default() -> Self {
        Device {
            status: Status::Unknown,
            metrics: MetricStates::default(),
            overrides: BTreeMap::new(),
        }
    }
}

/// A notification waiting for the device's name and organization.
struct Pending {
    device: Uuid,
    metric: String,
    kind: Kind,
    threshold: f64,
    point_time_us: i64,
}

/// What one batch of points did to the metric states.
#[derive(Default)]
struct Evaluation {
    /// (device, metric id) whose state changed (every evaluated one: the window moved).
    touched: BTreeSet<(Uuid, String)>,
    /// Devices whose health must be recomputed.
    recompute: BTreeSet<Uuid>,
    pending: Vec<Pending>,
    /// Devices the points came from.
    spoke: BTreeSet<Uuid>,
}

/// Alerts, health and notifications of every device.
pub struct Alerts {
    catalog: Catalog,
    settings: Settings,
    registry: Arc<Registry>,
    store: Arc<AlertStore>,
    devices: tokio::sync::Mutex<HashMap<Uuid, Device>>,
    /// The metric ids of every device's states, one copy each.
    ids: Interner,
    /// Critical devices that sent data go here (recovery detection), if someone listens.
    recovery: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Uuid>>,
    /// Stored, unmuted notifications go here for delivery, if someone listens.
    outbox: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Notification>>,
    pub stats: AlertStats,
    /// Filled by the delivery task.
    pub delivery_stats: Arc<super::deliver::DeliveryStats>,
    /// `(device, check)` switched off through the API.
    checks_off: std::sync::Mutex<BTreeSet<(Uuid, String)>>,
    /// Maintenance windows made through the API, by id.
    windows: std::sync::RwLock<Vec<(u64, super::store::StoredWindow)>>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts").finish_non_exhaustive()
    }
}

impl Alerts {
    /// Load the persisted state from `store` and reconcile it with the registry: a
    /// deactivated device is `deactivated`; a device active again, or of a disabled
    /// organization, is `unknown` with its metrics' flags reset (the reference).
    pub fn new(
        catalog: Catalog,
        settings: Settings,
        registry: Arc<Registry>,
        store: AlertStore,
    ) -> Result<Alerts, super::store::AlertStoreError> {
        let loaded = store.load()?;
        let ids = Interner::default();
        let mut devices: HashMap<Uuid, Device> = HashMap::new();
        for (device, id, state) in loaded.states {
            devices
                .entry(device)
                .or_default()
                .metrics
                .insert(&id, state, |k| ids.intern(k));
        }
        for (device, status) in loaded.health {
            devices.entry(device).or_default().status = status;
        }
        for (device, metric, o) in loaded.overrides {
            devices
                .entry(device)
                .or_default()
                .overrides
                .insert(metric, o);
        }
        let checks_off = store.checks_off()?.into_iter().collect();
        let windows = store.windows()?;
        let changes = reconcile(&mut devices, &registry);
        if !changes.is_empty() {
            store.apply(changes)?;
        }
        Ok(Alerts {
            catalog,
            settings,
            registry,
            store: Arc::new(store),
            devices: tokio::sync::Mutex::new(devices),
            ids,
            recovery: std::sync::OnceLock::new(),
            outbox: std::sync::OnceLock::new(),
            stats: AlertStats::default(),
            delivery_stats: Arc::default(),
            checks_off: std::sync::Mutex::new(checks_off),
            windows: std::sync::RwLock::new(windows),
        })
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Receive the ids of critical devices that sent data (recovery detection).
    pub fn recovery_channel(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<Uuid>> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.recovery.set(tx).ok()?;
        Some(rx)
    }

    /// Receive every stored notification that is not muted (delivery).
    pub fn deliveries(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<Notification>> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.outbox.set(tx).ok()?;
        Some(rx)
    }

    /// A device's health status (`unknown` for devices never evaluated).
    pub async fn status(&self, device: Uuid) -> Status {
        self.devices
            .lock()
            .await
            .get(&device)
            .map_or(Status::Unknown, |d| d.status)
    }

    /// The device's alerting metrics as `(label, measurement, is_healthy)`, sorted by
    /// label; `is_healthy` is `None` until a value was checked.
    pub async fn metric_health(&self, device: Uuid) -> Vec<(String, String, Option<bool>)> {
        let devices = self.devices.lock().await;
        let Some(d) = devices.get(&device) else {
            return Vec::new();
        };
        let mut out: Vec<(String, String, Option<bool>)> = d
            .metrics
            .iter()
            .map(|(id, state)| {
                let conf = configuration_of(id);
                let (label, key) = self.catalog.metrics.get(conf).map_or_else(
                    || (conf.to_owned(), conf.to_owned()),
                    |m| (m.label.clone(), m.measurement.clone()),
                );
                (label, key, state.is_healthy)
            })
            .collect();
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }

    /// The notifications of `orgs` (every organization's with `None`), newest first.
    pub fn notifications(
        &self,
        orgs: Option<&[Uuid]>,
        unread_only: bool,
    ) -> Result<Vec<Notification>, AlertStoreError> {
        let mut all = match orgs {
            None => self.store.notifications(None, unread_only)?,
            Some(orgs) => {
                let mut out = Vec::new();
                for org in orgs {
                    out.extend(self.store.notifications(Some(*org), unread_only)?);
                }
                out
            }
        };
        all.sort_by_key(|n| std::cmp::Reverse(n.id));
        Ok(all)
    }

    /// Marks notifications of `org` read (all of them when `ids` is empty); returns how
    /// many were unread.
    pub fn mark_read(&self, org: Uuid, ids: &[u64]) -> Result<usize, AlertStoreError> {
        self.store.mark_read(Some(org), ids)
    }

    /// How many devices are in each status (devices registered after the start and never
    /// evaluated are not counted).
    pub async fn status_counts(&self) -> BTreeMap<&'static str, u64> {
        let mut out: BTreeMap<&'static str, u64> =
            Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for d in self.devices.lock().await.values() {
            *out.entry(d.status.as_str()).or_default() += 1;
        }
        out
    }

    /// Evaluate points just stored (by the ingest worker or a check) at collector time
    /// `now_us`; returns the notifications stored. `send_alert = false` tracks health
    /// without notifying. `from_device`: the points came from the device itself (for
    /// recovery detection).
    pub async fn observe(
        &self,
        points: &[Point],
        now_us: i64,
        send_alert: bool,
        from_device: bool,
    ) -> Vec<Notification> {
        let mut devices = self.devices.lock().await;
        let ev = self.evaluate(&mut devices, points, now_us, send_alert);
        if from_device
            && self.settings.recovery_detection
            && let Some(tx) = self.recovery.get()
        {
            for device in &ev.spoke {
                if devices
                    .get(device)
                    .is_some_and(|d| d.status == Status::Critical)
                {
                    let _ = tx.send(*device);
                }
            }
        }
        let mut changes = Changes::default();
        let now_critical = self.update_health(&mut devices, &ev.recompute, &mut changes);
        for (device, id) in ev.touched {
            let state = devices[&device]
                .metrics
                .get(&id)
                .expect("evaluated above")
                .clone();
            changes.states.push((device, id, state));
        }
        drop(devices);
        changes.notifications = self.render(ev.pending, now_us);
        if changes.is_empty() && now_critical.is_empty() {
            return Vec::new();
        }
        self.persist(changes, now_critical).await
    }

    /// Run every alerting metric of `points` through its state machine.
    fn evaluate(
        &self,
        devices: &mut HashMap<Uuid, Device>,
        points: &[Point],
        now_us: i64,
        send_alert: bool,
    ) -> Evaluation {
        let mut ev = Evaluation::default();
        for point in points {
            let Some(device) = point
                .tags
                .get("object_id")
                .or_else(|| point.tags.get("pk"))
                .and_then(|s| Uuid::parse_str(s).ok())
            else {
                continue;
            };
            ev.spoke.insert(device);
            for (name, config, defaults) in self.catalog.alerting_on(&point.measurement) {
                let Some(value) = point
                    .fields
                    .get(&config.alert_field)
                    .and_then(crate::tsdb::FieldValue::as_f64)
                else {
                    continue;
                };
                let d = devices.entry(device).or_default();
                let rule = Rule::new(defaults, d.overrides.get(name));
                let id = metric_id(name, point);
                let state = d.metrics.entry(&id, |k| self.ids.intern(k));
                let o = state.observe(
                    &rule,
                    &self.settings.engine,
                    value,
                    point.time_us,
                    now_us,
                    send_alert,
                );
                let counter = if o.checked {
                    &self.stats.evaluations
                } else {
                    &self.stats.backlog_skipped
                };
                counter.fetch_add(1, Ordering::Relaxed);
                ev.touched.insert((device, id));
                if o.changed() {
                    ev.recompute.insert(device);
                }
                if let Some(kind) = o.notify {
                    let c = match kind {
                        Kind::Problem => &self.stats.problems,
                        Kind::Recovery => &self.stats.recoveries,
                    };
                    c.fetch_add(1, Ordering::Relaxed);
                    ev.pending.push(Pending {
                        device,
                        metric: name.to_owned(),
                        kind,
                        threshold: rule.threshold,
                        point_time_us: point.time_us,
                    });
                }
            }
        }
        ev
    }

    /// Recompute the status of `recompute`'s devices; returns those that became critical.
    fn update_health(
        &self,
        devices: &mut HashMap<Uuid, Device>,
        recompute: &BTreeSet<Uuid>,
        changes: &mut Changes,
    ) -> Vec<Uuid> {
        let mut now_critical = Vec::new();
        for &device in recompute {
            let d = devices.get_mut(&device).expect("evaluated above");
            let status = health::from_metrics(
                d.metrics.iter().map(|(id, s)| MetricHealth {
                    configuration: configuration_of(id),
                    is_healthy: s.is_healthy,
                }),
                &self.settings.critical,
            );
            if status != d.status && d.status != Status::Deactivated {
                if d.status == Status::Unknown && status == Status::Ok {
                    // A device's first healthy evaluation is routine: at info level, a
                    // fleet coming up wrote one line per device.
                    tracing::debug!(%device, from = d.status.as_str(), to = status.as_str(), "health status changed");
                } else {
                    tracing::info!(%device, from = d.status.as_str(), to = status.as_str(), "health status changed");
                }
                d.status = status;
                changes.health.push((device, status));
                if status == Status::Critical {
                    now_critical.push(device);
                }
            }
        }
        now_critical
    }

    /// Write `changes` (and clear the management IPs of devices gone critical) off the
    /// async threads; returns the stored notifications.
    async fn persist(&self, changes: Changes, now_critical: Vec<Uuid>) -> Vec<Notification> {
        let store = self.store.clone();
        let registry = self.registry.clone();
        let clear_ip = self.settings.auto_clear_management_ip;
        let result = tokio::task::spawn_blocking(move || {
            if clear_ip {
                for device in now_critical {
                    clear_management_ip(&registry, device);
                }
            }
            store.apply(changes)
        })
        .await
        .expect("alert store task panicked");
        match result {
            Ok(stored) => {
                self.stats
                    .notifications_stored
                    .fetch_add(stored.len() as u64, Ordering::Relaxed);
                for n in &stored {
                    tracing::info!(id = n.id, device = %n.device, kind = %n.kind_name(), muted = n.muted, subject = %n.subject, "notification");
                    if let Some(tx) = self.outbox.get().filter(|_| !n.muted) {
                        let _ = tx.send(n.clone());
                    }
                }
                stored
            }
            Err(e) => {
                self.stats.store_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "cannot store alert state");
                Vec::new()
            }
        }
    }

    fn render(&self, pending: Vec<Pending>, now_us: i64) -> Vec<Notification> {
        let mut out = Vec::with_capacity(pending.len());
        for p in pending {
            let Ok(Some(device)) = self.registry.device(p.device) else {
                tracing::warn!(device = %p.device, "notification for a device not in the registry; dropped");
                continue;
            };
            let Some(t) = self.catalog.metrics[&p.metric].texts.as_ref() else {
                continue;
            };
            let text = match p.kind {
                Kind::Problem => &t.problem,
                Kind::Recovery => &t.recovery,
            };
            let link = format!("{}/devices/{}", self.settings.base_url, device.id);
            let windows = self.all_windows();
            let muted = !windows.is_empty() && {
                let slug = self
                    .registry
                    .org(device.org)
                    .ok()
                    .flatten()
                    .map(|o| o.slug)
                    .unwrap_or_default();
                super::maintenance::muted(&windows, device.id, device.org, &slug, now_us)
            };
            let cx = texts::Context {
                site_name: &self.settings.site_name,
                target: &device.name,
                target_link: &link,
                threshold: p.threshold,
            };
            out.push(Notification {
                id: 0,
                org: device.org,
                device: device.id,
                device_name: device.name.clone(),
                metric: p.metric,
                kind: p.kind,
                level: text.level.clone(),
                verb: text.verb.clone(),
                subject: texts::render(&text.subject, &text.verb, &cx),
                message: texts::render(&text.message, &text.verb, &cx),
                time_us: now_us,
                point_time_us: p.point_time_us,
                unread: true,
                muted,
            });
        }
        out
    }
}

/// The statuses the registry implies (see [`Alerts::new`]).
fn reconcile(devices: &mut HashMap<Uuid, Device>, registry: &Registry) -> Changes {
    let mut changes = Changes::default();
    let (Ok(registered), Ok(orgs)) = (registry.devices(None), registry.orgs()) else {
        tracing::warn!("cannot read the registry; health statuses not reconciled");
        return changes;
    };
    for r in registered {
        let org_active = orgs.iter().any(|o| o.id == r.org && o.active);
        let d = devices.entry(r.id).or_default();
        let target = if !r.active {
            Status::Deactivated
        } else if d.status == Status::Deactivated || (!org_active && d.status != Status::Unknown) {
            Status::Unknown
        } else {
            continue;
        };
        if d.status == target {
            continue;
        }
        d.status = target;
        if target == Status::Unknown {
            for (id, state) in d.metrics.iter_mut() {
                state.reset();
                changes.states.push((r.id, id.to_owned(), state.clone()));
            }
        }
        changes.health.push((r.id, target));
    }
    changes
}

fn clear_management_ip(registry: &Registry, device: Uuid) {
    match registry.device(device) {
        Ok(Some(mut d)) if d.management_ip.is_some() => {
            d.management_ip = None;
            if let Err(e) = registry.update_device(&d) {
                tracing::warn!(%device, error = %e, "cannot clear the management IP");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(%device, error = %e, "cannot read the device"),
    }
}

mod editable;
mod states;

use states::{Interner, MetricStates};

#[cfg(test)]
mod tests;
