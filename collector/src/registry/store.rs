//! The registry's redb database: one file, four tables, postcard values.

use super::RegistryError;
use super::model::{Device, Org, SecretHash, Token};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use uuid::Uuid;

/// org id → postcard `Org`.
const ORGS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("orgs");
/// device id → postcard `Device`.
const DEVICES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("devices");
/// device key hash → device id (registration by consistent key).
const DEVICE_KEYS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("device_keys");
/// org id ++ MAC → device id (re-registration of a known device).
const DEVICE_MACS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("device_macs");
/// token hash → postcard `Token`.
const TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tokens");

pub(super) struct Store {
    db: Database,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("registry::Store")
    }
}

fn storage(e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Storage(e.to_string())
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, RegistryError> {
    postcard::from_bytes(bytes)
        .map_err(|e| RegistryError::Storage(format!("corrupt {what} record: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("registry records always encode")
}

fn mac_key(org: Uuid, mac: &str) -> Vec<u8> {
    let mut k = org.as_bytes().to_vec();
    k.extend_from_slice(mac.as_bytes());
    k
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, RegistryError> {
        let db = crate::open_redb(path, 8)
            .map_err(|e| RegistryError::Storage(format!("cannot open {}: {e}", path.display())))?;
        let tx = db.begin_write().map_err(storage)?;
        for t in [ORGS, DEVICES, DEVICE_KEYS, DEVICE_MACS, TOKENS] {
            tx.open_table(t).map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        Ok(Store { db })
    }

    /// One record of `table` by key, decoded.
    fn get<T: serde::de::DeserializeOwned>(
        &self,
        table: TableDefinition<&[u8], &[u8]>,
        key: &[u8],
        what: &str,
    ) -> Result<Option<T>, RegistryError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let t = tx.open_table(table).map_err(storage)?;
        t.get(key)
            .map_err(storage)?
            .map(|v| decode(v.value(), what))
            .transpose()
    }

    /// Every record of `table`, decoded, in key order.
    fn all<T: serde::de::DeserializeOwned>(
        &self,
        table: TableDefinition<&[u8], &[u8]>,
        what: &str,
    ) -> Result<Vec<T>, RegistryError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let t = tx.open_table(table).map_err(storage)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(storage)? {
            let (_, v) = row.map_err(storage)?;
            out.push(decode(v.value(), what)?);
        }
        Ok(out)
    }

    pub fn org(&self, id: Uuid) -> Result<Option<Org>, RegistryError> {
        self.get(ORGS, id.as_bytes(), "organization")
    }

    pub fn orgs(&self) -> Result<Vec<Org>, RegistryError> {
        self.all(ORGS, "organization")
    }

    pub fn put_org(&self, org: &Org) -> Result<(), RegistryError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(ORGS).map_err(storage)?;
            t.insert(org.id.as_bytes().as_slice(), encode(org).as_slice())
                .map_err(storage)?;
        }
        tx.commit().map_err(storage)
    }

    pub fn delete_org(&self, id: Uuid) -> Result<bool, RegistryError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let removed = {
            let mut t = tx.open_table(ORGS).map_err(storage)?;
            t.remove(id.as_bytes().as_slice())
                .map_err(storage)?
                .is_some()
        };
        tx.commit().map_err(storage)?;
        Ok(removed)
    }

    pub fn device(&self, id: Uuid) -> Result<Option<Device>, RegistryError> {
        self.get(DEVICES, id.as_bytes(), "device")
    }

    pub fn devices(&self) -> Result<Vec<Device>, RegistryError> {
        self.all(DEVICES, "device")
    }

    /// Every device, one at a time (a fleet's records are never all in memory).
    pub fn each_device(&self, mut f: impl FnMut(Device)) -> Result<(), RegistryError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let t = tx.open_table(DEVICES).map_err(storage)?;
        for row in t.iter().map_err(storage)? {
            let (_, v) = row.map_err(storage)?;
            f(decode(v.value(), "device")?);
        }
        Ok(())
    }

    fn lookup(
        &self,
        table: TableDefinition<&[u8], &[u8]>,
        key: &[u8],
    ) -> Result<Option<Uuid>, RegistryError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let t = tx.open_table(table).map_err(storage)?;
        Ok(t.get(key)
            .map_err(storage)?
            .and_then(|v| Uuid::from_slice(v.value()).ok()))
    }

    pub fn device_by_key(&self, key_hash: &SecretHash) -> Result<Option<Uuid>, RegistryError> {
        self.lookup(DEVICE_KEYS, key_hash)
    }

    pub fn device_by_mac(&self, org: Uuid, mac: &str) -> Result<Option<Uuid>, RegistryError> {
        if mac.is_empty() {
            return Ok(None);
        }
        self.lookup(DEVICE_MACS, &mac_key(org, mac))
    }

    /// Insert or replace a device, keeping the key and MAC indexes in step.
    pub fn put_device(&self, device: &Device) -> Result<(), RegistryError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut devices = tx.open_table(DEVICES).map_err(storage)?;
            let mut keys = tx.open_table(DEVICE_KEYS).map_err(storage)?;
            let mut macs = tx.open_table(DEVICE_MACS).map_err(storage)?;
            let old: Option<Device> = devices
                .get(device.id.as_bytes().as_slice())
                .map_err(storage)?
                .map(|v| decode(v.value(), "device"))
                .transpose()?;
            write_device(&mut devices, &mut keys, &mut macs, old.as_ref(), device)?;
        }
        tx.commit().map_err(storage)
    }

    /// Read, change and write a device in one write transaction, so concurrent writers
    /// (the API, registration, the alert service) never overwrite each other's fields and
    /// a deleted device is not written back. `None` if there is no such device.
    pub fn modify_device(
        &self,
        id: Uuid,
        change: impl FnOnce(&mut Device),
    ) -> Result<Option<Device>, RegistryError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let new = {
            let mut devices = tx.open_table(DEVICES).map_err(storage)?;
            let mut keys = tx.open_table(DEVICE_KEYS).map_err(storage)?;
            let mut macs = tx.open_table(DEVICE_MACS).map_err(storage)?;
            let old: Option<Device> = devices
                .get(id.as_bytes().as_slice())
                .map_err(storage)?
                .map(|v| decode(v.value(), "device"))
                .transpose()?;
            let Some(old) = old else {
                return Ok(None);
            };
            let mut new = old.clone();
            change(&mut new);
            new.id = old.id;
            write_device(&mut devices, &mut keys, &mut macs, Some(&old), &new)?;
            new
        };
        tx.commit().map_err(storage)?;
        Ok(Some(new))
    }

    pub fn delete_device(&self, id: Uuid) -> Result<Option<Device>, RegistryError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let old = {
            let mut devices = tx.open_table(DEVICES).map_err(storage)?;
            let mut keys = tx.open_table(DEVICE_KEYS).map_err(storage)?;
            let mut macs = tx.open_table(DEVICE_MACS).map_err(storage)?;
            let old: Option<Device> = devices
                .remove(id.as_bytes().as_slice())
                .map_err(storage)?
                .map(|v| decode(v.value(), "device"))
                .transpose()?;
            if let Some(old) = &old {
                keys.remove(old.key_hash.as_slice()).map_err(storage)?;
                if !old.mac.is_empty() {
                    macs.remove(mac_key(old.org, &old.mac).as_slice())
                        .map_err(storage)?;
                }
            }
            old
        };
        tx.commit().map_err(storage)?;
        Ok(old)
    }

    pub fn token(&self, hash: &SecretHash) -> Result<Option<Token>, RegistryError> {
        self.get(TOKENS, hash, "token")
    }

    pub fn tokens(&self) -> Result<Vec<Token>, RegistryError> {
        self.all(TOKENS, "token")
    }

    pub fn put_token(&self, token: &Token) -> Result<(), RegistryError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(TOKENS).map_err(storage)?;
            t.insert(token.hash.as_slice(), encode(token).as_slice())
                .map_err(storage)?;
        }
        tx.commit().map_err(storage)
    }

    /// Stores `token` in place of the token whose hash was `old_hash`, atomically.
    pub fn replace_token(&self, old_hash: &SecretHash, token: &Token) -> Result<(), RegistryError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(TOKENS).map_err(storage)?;
            t.remove(old_hash.as_slice()).map_err(storage)?;
            t.insert(token.hash.as_slice(), encode(token).as_slice())
                .map_err(storage)?;
        }
        tx.commit().map_err(storage)
    }

    pub fn delete_token(&self, id: Uuid) -> Result<bool, RegistryError> {
        let Some(token) = self.tokens()?.into_iter().find(|t| t.id == id) else {
            return Ok(false);
        };
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(TOKENS).map_err(storage)?;
            t.remove(token.hash.as_slice()).map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        Ok(true)
    }
}

type Table<'t> = redb::Table<'t, &'static [u8], &'static [u8]>;

/// Write `new` over `old` (if any) and move its key and MAC index entries.
fn write_device(
    devices: &mut Table<'_>,
    keys: &mut Table<'_>,
    macs: &mut Table<'_>,
    old: Option<&Device>,
    new: &Device,
) -> Result<(), RegistryError> {
    let id = new.id.as_bytes().as_slice();
    if let Some(old) = old {
        keys.remove(old.key_hash.as_slice()).map_err(storage)?;
        if !old.mac.is_empty() {
            macs.remove(mac_key(old.org, &old.mac).as_slice())
                .map_err(storage)?;
        }
    }
    devices
        .insert(id, encode(new).as_slice())
        .map_err(storage)?;
    keys.insert(new.key_hash.as_slice(), id).map_err(storage)?;
    if !new.mac.is_empty() {
        macs.insert(mac_key(new.org, &new.mac).as_slice(), id)
            .map_err(storage)?;
    }
    Ok(())
}
