//! `ingest.redb`: what the native path must remember across restarts.
//!
//! - `native_devices`: per device, the settled sequence numbers and the byte counters of
//!   recent stored samples (the base of later traffic deltas): [`DeviceLedger`]. Both are
//!   committed together, after the time-series write of the batch and before its
//!   acknowledgement: see `docs/native-ingest.md` ("Exactly once") for why that order and
//!   these two together make a replayed batch store the same points again.
//! - `dead_letters`: MQTT messages that could not be ingested, with the reason.
//! - `device_status`: the last `online`/`offline` a device's status topic said.

use super::native::DeviceLedger;
use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};
use serde::{Deserialize, Serialize};
use std::path::Path;
use uuid::Uuid;

const NATIVE_DEVICES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("native_devices");
const DEAD_LETTERS: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_letters");
const DEVICE_STATUS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("device_status");

/// Dead letters kept, at most (a flood of garbage must not fill the disk).
pub const MAX_DEAD_LETTERS: u64 = 10_000;

/// The ledger cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("ingest ledger: {0}")]
pub struct LedgerError(String);

impl LedgerError {
    /// A commit task that panicked.
    pub fn from_panic(e: &tokio::task::JoinError) -> Self {
        LedgerError(format!("commit task failed: {e}"))
    }
}

fn storage(e: impl std::fmt::Display) -> LedgerError {
    LedgerError(e.to_string())
}

/// A message kept aside instead of ingested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub received_us: i64,
    pub topic: String,
    /// Why it was not ingested (a [`super::DeadReason`] name).
    pub reason: String,
    /// The decoder's or the check's message.
    pub detail: String,
    /// The payload as received (truncated to 64 KiB).
    pub payload: Vec<u8>,
}

/// A device's last reported connection state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub online: bool,
    pub since_us: i64,
}

/// The open `ingest.redb`.
pub struct Ledger {
    db: Database,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").finish_non_exhaustive()
    }
}

impl Ledger {
    /// Open (or create) the ledger file.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let db = crate::open_redb(path, 4)
            .map_err(|e| LedgerError(format!("cannot open {}: {e}", path.display())))?;
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(NATIVE_DEVICES).map_err(storage)?;
        tx.open_table(DEAD_LETTERS).map_err(storage)?;
        tx.open_table(DEVICE_STATUS).map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(Ledger { db })
    }

    /// A device's state; `None` before its first native batch.
    pub fn device(&self, id: Uuid) -> Result<Option<DeviceLedger>, LedgerError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let t = tx.open_table(NATIVE_DEVICES).map_err(storage)?;
        t.get(id.as_bytes().as_slice())
            .map_err(storage)?
            .map(|v| postcard::from_bytes(v.value()).map_err(storage))
            .transpose()
    }

    /// Write the states of several devices in one durable commit.
    pub fn commit(&self, devices: &[(Uuid, DeviceLedger)]) -> Result<(), LedgerError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(NATIVE_DEVICES).map_err(storage)?;
            for (id, state) in devices {
                let bytes = postcard::to_allocvec(state).map_err(storage)?;
                t.insert(id.as_bytes().as_slice(), bytes.as_slice())
                    .map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)
    }

    /// Append a dead letter (the oldest beyond [`MAX_DEAD_LETTERS`] are deleted); returns
    /// its number.
    pub fn dead_letter(&self, letter: &DeadLetter) -> Result<u64, LedgerError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let id = {
            let mut t = tx.open_table(DEAD_LETTERS).map_err(storage)?;
            let id = t.last().map_err(storage)?.map_or(1, |(k, _)| k.value() + 1);
            let bytes = postcard::to_allocvec(letter).map_err(storage)?;
            t.insert(id, bytes.as_slice()).map_err(storage)?;
            if id > MAX_DEAD_LETTERS {
                t.retain_in(..=id - MAX_DEAD_LETTERS, |_, _| false)
                    .map_err(storage)?;
            }
            id
        };
        tx.commit().map_err(storage)?;
        Ok(id)
    }

    /// Every dead letter, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, LedgerError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let t = tx.open_table(DEAD_LETTERS).map_err(storage)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(storage)? {
            let (_, v) = row.map_err(storage)?;
            out.push(postcard::from_bytes(v.value()).map_err(storage)?);
        }
        Ok(out)
    }

    /// Record a device's connection state.
    pub fn set_status(&self, id: Uuid, status: &DeviceStatus) -> Result<(), LedgerError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut t = tx.open_table(DEVICE_STATUS).map_err(storage)?;
            let bytes = postcard::to_allocvec(status).map_err(storage)?;
            t.insert(id.as_bytes().as_slice(), bytes.as_slice())
                .map_err(storage)?;
        }
        tx.commit().map_err(storage)
    }

    /// A device's last reported connection state.
    pub fn status(&self, id: Uuid) -> Result<Option<DeviceStatus>, LedgerError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let t = tx.open_table(DEVICE_STATUS).map_err(storage)?;
        t.get(id.as_bytes().as_slice())
            .map_err(storage)?
            .map(|v| postcard::from_bytes(v.value()).map_err(storage))
            .transpose()
    }
}
