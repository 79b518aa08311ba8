//! What operators change at run time through the API, beside the alert overrides: checks
//! switched off per device, and maintenance windows. Same file (`alerts.redb`), own tables.

use super::{AlertStore, AlertStoreError, META, decode, encode, storage};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `(device, check name)` of the checks a manager switched off.
const CHECKS_OFF: TableDefinition<(u128, &str), ()> = TableDefinition::new("checks_off");
/// Maintenance window id → [`StoredWindow`] (postcard).
const WINDOWS: TableDefinition<u64, &[u8]> = TableDefinition::new("maintenance_windows");

/// A maintenance window made through the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredWindow {
    /// The organization it covers (all its devices), or the organization of `device`.
    pub org: Uuid,
    /// One device only, when set.
    pub device: Option<Uuid>,
    pub start_us: i64,
    pub duration_us: i64,
    pub every_us: Option<i64>,
    /// Free text shown in lists.
    pub note: String,
}

impl AlertStore {
    pub(crate) fn create_editable_tables(db: &redb::Database) -> Result<(), AlertStoreError> {
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(CHECKS_OFF).map_err(storage)?;
        tx.open_table(WINDOWS).map_err(storage)?;
        tx.commit().map_err(storage)
    }

    /// Every `(device, check)` switched off.
    pub fn checks_off(&self) -> Result<Vec<(Uuid, String)>, AlertStoreError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(CHECKS_OFF).map_err(storage)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(storage)? {
            let (k, ()) = row.map_err(storage).map(|(k, _)| (k, ()))?;
            let (device, check) = k.value();
            out.push((Uuid::from_u128(device), check.to_owned()));
        }
        Ok(out)
    }

    /// Switch a device's check on (`true`) or off.
    pub fn set_check_active(
        &self,
        device: Uuid,
        check: &str,
        active: bool,
    ) -> Result<(), AlertStoreError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(CHECKS_OFF).map_err(storage)?;
            if active {
                t.remove((device.as_u128(), check)).map_err(storage)?;
            } else {
                t.insert((device.as_u128(), check), ()).map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)
    }

    /// Every stored window with its id, oldest first.
    pub fn windows(&self) -> Result<Vec<(u64, StoredWindow)>, AlertStoreError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(WINDOWS).map_err(storage)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(storage)? {
            let (k, v) = row.map_err(storage)?;
            out.push((k.value(), decode(v.value(), "maintenance window")?));
        }
        Ok(out)
    }

    /// Store a new window; returns its id (ids are never reused).
    pub fn add_window(&self, window: &StoredWindow) -> Result<u64, AlertStoreError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let id;
        {
            let mut meta = tx.open_table(META).map_err(storage)?;
            id = meta
                .get("next_window_id")
                .map_err(storage)?
                .map_or(1, |v| v.value());
            meta.insert("next_window_id", id + 1).map_err(storage)?;
            let mut t = tx.open_table(WINDOWS).map_err(storage)?;
            t.insert(id, encode(window).as_slice()).map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        Ok(id)
    }

    /// Remove a window; `false` when there was none with that id.
    pub fn delete_window(&self, id: u64) -> Result<bool, AlertStoreError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let existed = {
            let mut t = tx.open_table(WINDOWS).map_err(storage)?;
            t.remove(id).map_err(storage)?.is_some()
        };
        tx.commit().map_err(storage)?;
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(note: &str) -> StoredWindow {
        StoredWindow {
            org: Uuid::from_u128(7),
            device: Some(Uuid::from_u128(8)),
            start_us: 1_000,
            duration_us: 3_600_000_000,
            every_us: None,
            note: note.into(),
        }
    }

    #[test]
    fn windows_get_fresh_ids_survive_reopen_and_delete_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.redb");
        let store = AlertStore::open(&path).unwrap();
        assert_eq!(store.add_window(&window("a")).unwrap(), 1);
        assert_eq!(store.add_window(&window("b")).unwrap(), 2);
        assert!(store.delete_window(2).unwrap());
        assert!(!store.delete_window(2).unwrap());
        drop(store);
        let store = AlertStore::open(&path).unwrap();
        assert_eq!(store.windows().unwrap(), vec![(1, window("a"))]);
        assert_eq!(
            store.add_window(&window("c")).unwrap(),
            3,
            "ids are not reused"
        );
    }

    #[test]
    fn checks_switch_off_and_back_on_per_device() {
        let dir = tempfile::tempdir().unwrap();
        let store = AlertStore::open(&dir.path().join("alerts.redb")).unwrap();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        store.set_check_active(a, "ping", false).unwrap();
        store.set_check_active(b, "data_collected", false).unwrap();
        store.set_check_active(b, "data_collected", true).unwrap();
        store.set_check_active(a, "ping", true).unwrap();
        store.set_check_active(a, "ping", false).unwrap();
        assert_eq!(store.checks_off().unwrap(), vec![(a, "ping".to_owned())]);
    }
}
