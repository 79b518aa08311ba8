//! `alerts.redb`: metric states, device health, per-device alert overrides and
//! notifications. Written once per evaluated batch, read whole at start.

use super::engine::MetricState;
use super::health::Status;
use super::notification::Notification;
use super::rule::AlertOverride;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use uuid::Uuid;

/// (device, metric id) → postcard `MetricState`.
const STATES: TableDefinition<(u128, &str), &[u8]> = TableDefinition::new("metric_states");
/// device → postcard `Status`.
const HEALTH: TableDefinition<u128, &[u8]> = TableDefinition::new("health");
/// (device, metric configuration) → postcard `AlertOverride`.
const OVERRIDES: TableDefinition<(u128, &str), &[u8]> = TableDefinition::new("overrides");
/// (org, id) → postcard `Notification`.
const NOTIFICATIONS: TableDefinition<(u128, u64), &[u8]> = TableDefinition::new("notifications");
/// `next_notification_id`.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

mod editable;
pub use editable::StoredWindow;

/// Why the alert store failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertStoreError {
    #[error("cannot open {path}: {message} (is a collector using this data_dir?)")]
    Open { path: String, message: String },
    #[error("alert store: {0}")]
    Storage(String),
    #[error("alert store: corrupt {what} record: {message}")]
    Corrupt { what: &'static str, message: String },
}

fn storage(e: impl std::fmt::Display) -> AlertStoreError {
    AlertStoreError::Storage(e.to_string())
}

fn decode<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, AlertStoreError> {
    postcard::from_bytes(bytes).map_err(|e| AlertStoreError::Corrupt {
        what,
        message: e.to_string(),
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("alert records always encode")
}

/// Everything one evaluation changed, written in one transaction.
#[derive(Debug, Default)]
pub struct Changes {
    pub states: Vec<(Uuid, String, MetricState)>,
    pub health: Vec<(Uuid, Status)>,
    /// New notifications; their ids are assigned by [`AlertStore::apply`].
    pub notifications: Vec<Notification>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.states.is_empty() && self.health.is_empty() && self.notifications.is_empty()
    }
}

/// What [`AlertStore::load`] reads back at start.
#[derive(Debug, Default)]
pub struct Loaded {
    pub states: Vec<(Uuid, String, MetricState)>,
    pub health: Vec<(Uuid, Status)>,
    pub overrides: Vec<(Uuid, String, AlertOverride)>,
}

pub struct AlertStore {
    db: Database,
}

impl std::fmt::Debug for AlertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AlertStore")
    }
}

impl AlertStore {
    pub fn open(path: &Path) -> Result<Self, AlertStoreError> {
        let db = crate::open_redb(path, 4).map_err(|e| AlertStoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(STATES).map_err(storage)?;
        tx.open_table(HEALTH).map_err(storage)?;
        tx.open_table(OVERRIDES).map_err(storage)?;
        tx.open_table(NOTIFICATIONS).map_err(storage)?;
        tx.open_table(META).map_err(storage)?;
        tx.commit().map_err(storage)?;
        AlertStore::create_editable_tables(&db)?;
        Ok(AlertStore { db })
    }

    pub fn load(&self) -> Result<Loaded, AlertStoreError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let mut out = Loaded::default();
        for row in tx
            .open_table(STATES)
            .map_err(storage)?
            .iter()
            .map_err(storage)?
        {
            let (k, v) = row.map_err(storage)?;
            let (device, metric) = k.value();
            out.states.push((
                Uuid::from_u128(device),
                metric.to_owned(),
                decode(v.value(), "metric state")?,
            ));
        }
        for row in tx
            .open_table(HEALTH)
            .map_err(storage)?
            .iter()
            .map_err(storage)?
        {
            let (k, v) = row.map_err(storage)?;
            out.health
                .push((Uuid::from_u128(k.value()), decode(v.value(), "health")?));
        }
        for row in tx
            .open_table(OVERRIDES)
            .map_err(storage)?
            .iter()
            .map_err(storage)?
        {
            let (k, v) = row.map_err(storage)?;
            let (device, metric) = k.value();
            out.overrides.push((
                Uuid::from_u128(device),
                metric.to_owned(),
                decode(v.value(), "alert override")?,
            ));
        }
        Ok(out)
    }

    /// Write `changes` in one transaction; returns the notifications with their ids.
    pub fn apply(&self, changes: Changes) -> Result<Vec<Notification>, AlertStoreError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let mut stored = Vec::with_capacity(changes.notifications.len());
        {
            let mut states = tx.open_table(STATES).map_err(storage)?;
            for (device, metric, state) in &changes.states {
                states
                    .insert(
                        (device.as_u128(), metric.as_str()),
                        encode(state).as_slice(),
                    )
                    .map_err(storage)?;
            }
            let mut health = tx.open_table(HEALTH).map_err(storage)?;
            for (device, status) in &changes.health {
                health
                    .insert(device.as_u128(), encode(status).as_slice())
                    .map_err(storage)?;
            }
            if !changes.notifications.is_empty() {
                let mut meta = tx.open_table(META).map_err(storage)?;
                let mut next = meta
                    .get("next_notification_id")
                    .map_err(storage)?
                    .map_or(1, |v| v.value());
                let mut table = tx.open_table(NOTIFICATIONS).map_err(storage)?;
                for mut n in changes.notifications {
                    n.id = next;
                    next += 1;
                    table
                        .insert((n.org.as_u128(), n.id), encode(&n).as_slice())
                        .map_err(storage)?;
                    stored.push(n);
                }
                meta.insert("next_notification_id", next).map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)?;
        Ok(stored)
    }

    /// Set (or with `None`, remove) one device's override of one metric.
    pub fn set_override(
        &self,
        device: Uuid,
        metric: &str,
        value: Option<&AlertOverride>,
    ) -> Result<(), AlertStoreError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(OVERRIDES).map_err(storage)?;
            let key = (device.as_u128(), metric);
            match value {
                Some(v) => {
                    t.insert(key, encode(v).as_slice()).map_err(storage)?;
                }
                None => {
                    t.remove(key).map_err(storage)?;
                }
            }
        }
        tx.commit().map_err(storage)
    }

    /// An organization's notifications (every organization's with `None`), newest first.
    pub fn notifications(
        &self,
        org: Option<Uuid>,
        unread_only: bool,
    ) -> Result<Vec<Notification>, AlertStoreError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let t = tx.open_table(NOTIFICATIONS).map_err(storage)?;
        let rows = match org {
            Some(o) => t.range((o.as_u128(), 0)..=(o.as_u128(), u64::MAX)),
            None => t.range::<(u128, u64)>(..),
        }
        .map_err(storage)?;
        let mut out = Vec::new();
        for row in rows {
            let (_, v) = row.map_err(storage)?;
            let n: Notification = decode(v.value(), "notification")?;
            if !unread_only || n.unread {
                out.push(n);
            }
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.id));
        Ok(out)
    }

    /// Mark notifications read; returns how many were unread.
    pub fn mark_read(&self, org: Option<Uuid>, ids: &[u64]) -> Result<usize, AlertStoreError> {
        let targets: Vec<Notification> = self
            .notifications(org, true)?
            .into_iter()
            .filter(|n| ids.is_empty() || ids.contains(&n.id))
            .collect();
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(NOTIFICATIONS).map_err(storage)?;
            for n in &targets {
                let read = Notification {
                    unread: false,
                    ..n.clone()
                };
                t.insert((n.org.as_u128(), n.id), encode(&read).as_slice())
                    .map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)?;
        Ok(targets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::engine::Kind;

    fn note(org: Uuid, metric: &str) -> Notification {
        Notification {
            id: 0,
            org,
            device: Uuid::from_u128(7),
            device_name: "ap".into(),
            metric: metric.into(),
            kind: Kind::Problem,
            level: "warning".into(),
            verb: "v".into(),
            subject: "s".into(),
            message: "m".into(),
            time_us: 1,
            point_time_us: 1,
            unread: true,
            muted: false,
        }
    }

    #[test]
    fn notifications_per_org_newest_first_read_unread_and_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.redb");
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        {
            let store = AlertStore::open(&path).unwrap();
            let stored = store
                .apply(Changes {
                    notifications: vec![note(a, "cpu"), note(b, "disk"), note(a, "ping")],
                    ..Changes::default()
                })
                .unwrap();
            assert_eq!(stored.iter().map(|n| n.id).collect::<Vec<_>>(), [1, 2, 3]);
            let mut state = MetricState::default();
            state.is_healthy = Some(false);
            store
                .apply(Changes {
                    states: vec![(a, "cpu".into(), state)],
                    health: vec![(a, Status::Problem)],
                    notifications: vec![note(b, "memory")],
                })
                .unwrap();
            store
                .set_override(
                    a,
                    "cpu",
                    Some(&AlertOverride {
                        threshold: Some(50.0),
                        ..AlertOverride::default()
                    }),
                )
                .unwrap();
        }
        let store = AlertStore::open(&path).unwrap();
        let of_a: Vec<_> = store.notifications(Some(a), false).unwrap();
        assert_eq!(
            of_a.iter().map(|n| n.metric.as_str()).collect::<Vec<_>>(),
            ["ping", "cpu"]
        );
        assert_eq!(store.notifications(None, false).unwrap()[0].id, 4);
        assert_eq!(store.mark_read(Some(a), &[3]).unwrap(), 1);
        assert_eq!(store.notifications(Some(a), true).unwrap().len(), 1);
        assert_eq!(store.notifications(Some(b), true).unwrap().len(), 2);
        assert_eq!(store.mark_read(None, &[]).unwrap(), 3);
        assert!(store.notifications(None, true).unwrap().is_empty());
        let loaded = store.load().unwrap();
        assert_eq!(loaded.states.len(), 1);
        assert_eq!(loaded.states[0].2.is_healthy, Some(false));
        assert_eq!(loaded.health, [(a, Status::Problem)]);
        assert_eq!(loaded.overrides[0].2.threshold, Some(50.0));
        store.set_override(a, "cpu", None).unwrap();
        assert!(store.load().unwrap().overrides.is_empty());
    }
}
