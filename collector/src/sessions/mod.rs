//! WiFi sessions and clients, stored (`sessions.redb`): what the reference keeps in its SQL
//! tables `WifiClient` and `WifiSession`, fed by `derive::sessions::update` after every
//! stored snapshot and read by the API.
//!
//! Tables (postcard values):
//! - `clients`: MAC → [`StoredClient`] (written when new or changed: the last description
//!   wins);
//! - `sessions`: session id (a UUID, as the reference's; version 7, so time-ordered) →
//!   [`Session`];
//! - `open`: (device id, session id) → () — the device's open sessions, one range scan;
//! - `by_start`: (start µs, session id) → () — newest-first listing.

use crate::derive::sessions::{OpenSession, SessionChanges, SessionKey, WifiClient};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::path::Path;
use uuid::Uuid;

const CLIENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("clients");
const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions");
const OPEN: TableDefinition<(&[u8], &[u8]), ()> = TableDefinition::new("open");
const BY_START: TableDefinition<(i64, &[u8]), ()> = TableDefinition::new("by_start");

/// Why the session store failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("WiFi session store: {0}")]
    Storage(String),
}

fn storage(e: impl std::fmt::Display) -> SessionError {
    SessionError::Storage(e.to_string())
}

/// A WiFi client as last described by a device.
// Independent capability flags, as the reference's nullable booleans.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClient {
    pub mac: String,
    pub vendor: Option<String>,
    pub ht: Option<bool>,
    pub vht: Option<bool>,
    pub he: Option<bool>,
    pub wmm: Option<bool>,
    pub wds: Option<bool>,
    pub wps: Option<bool>,
    pub modified_us: i64,
}

impl StoredClient {
    /// Whether `other` describes the client as this does (all but the modification time).
    pub fn same_description(&self, other: &StoredClient) -> bool {
        StoredClient {
            modified_us: other.modified_us,
            ..self.clone()
        } == *other
    }
}

/// One association of a client with an access-point interface of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: Uuid,
    pub device: Uuid,
    pub org: Uuid,
    pub interface_name: String,
    pub ssid: String,
    pub mac: String,
    pub start_us: i64,
    /// `None` while the client is associated.
    pub stop_us: Option<i64>,
}

/// One device's session changes, with the new sessions' records (ids chosen by the
/// caller, so it can keep its view of the open sessions without reading them back).
#[derive(Debug, Clone, Default)]
pub struct Step {
    pub device: Uuid,
    pub clients: Vec<StoredClient>,
    pub opened: Vec<Session>,
    /// `(session id, stop µs)`.
    pub closed: Vec<(Uuid, i64)>,
}

impl Step {
    /// The records for `changes` of `device` (of `org`) at `now_us`: new sessions get
    /// time-ordered UUIDs (version 7), so that new rows land together at the end of the
    /// `sessions` table instead of on a random page each.
    pub fn new(device: Uuid, org: Uuid, changes: &SessionChanges<Uuid>, now_us: i64) -> Self {
        Step {
            device,
            clients: changes.clients.iter().map(|c| stored(c, now_us)).collect(),
            opened: changes
                .opened
                .iter()
                .map(|n| Session {
                    id: Uuid::now_v7(),
                    device,
                    org,
                    interface_name: n.key.interface_name.clone(),
                    ssid: n.key.ssid.clone(),
                    mac: n.key.mac.clone(),
                    start_us: n.start_us,
                    stop_us: None,
                })
                .collect(),
            closed: changes.closed.iter().map(|c| (c.id, c.stop_us)).collect(),
        }
    }
}

/// Which sessions to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub orgs: Option<Vec<Uuid>>,
    pub device: Option<Uuid>,
    /// `Some(true)`: only open sessions; `Some(false)`: only closed ones.
    pub open: Option<bool>,
    /// Bounds on the start time (the reference's `start_time`, `__gt`, `__gte`, …).
    pub start: TimeRange,
    /// Bounds on the stop time; an open session matches only when no bound is set.
    pub stop: TimeRange,
}

/// Bounds on a time (microseconds since the epoch), as Django's lookups: every bound that
/// is set must hold; a missing time (an open session's stop) matches no bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub exact: Option<i64>,
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

impl TimeRange {
    pub fn is_unbounded(&self) -> bool {
        *self == TimeRange::default()
    }

    /// Does `t` satisfy every bound?
    pub fn contains(&self, t: Option<i64>) -> bool {
        let Some(t) = t else {
            return self.is_unbounded();
        };
        self.exact.is_none_or(|b| t == b)
            && self.gt.is_none_or(|b| t > b)
            && self.gte.is_none_or(|b| t >= b)
            && self.lt.is_none_or(|b| t < b)
            && self.lte.is_none_or(|b| t <= b)
    }
}

pub struct SessionStore {
    db: Database,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionStore")
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, SessionError> {
    postcard::from_bytes(bytes).map_err(|e| SessionError::Storage(format!("corrupt record: {e}")))
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("session records always encode")
}

impl SessionStore {
    pub fn open(path: &Path) -> Result<Self, SessionError> {
        let db = crate::open_redb(path, 8)
            .map_err(|e| SessionError::Storage(format!("cannot open {}: {e}", path.display())))?;
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(CLIENTS).map_err(storage)?;
        tx.open_table(SESSIONS).map_err(storage)?;
        tx.open_table(OPEN).map_err(storage)?;
        tx.open_table(BY_START).map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(SessionStore { db })
    }

    /// The device's open sessions, as `derive::sessions::update` wants them.
    pub fn open_sessions(&self, device: Uuid) -> Result<Vec<OpenSession<Uuid>>, SessionError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let open = tx.open_table(OPEN).map_err(storage)?;
        let sessions = tx.open_table(SESSIONS).map_err(storage)?;
        let key = device.as_bytes().as_slice();
        let (lo, hi) = ([0_u8; 16], [0xff_u8; 16]);
        let mut out = Vec::new();
        for row in open
            .range((key, lo.as_slice())..=(key, hi.as_slice()))
            .map_err(storage)?
        {
            let (k, _) = row.map_err(storage)?;
            let Some(bytes) = sessions.get(k.value().1).map_err(storage)? else {
                continue;
            };
            let s: Session = decode(bytes.value())?;
            out.push(OpenSession {
                id: s.id,
                key: SessionKey {
                    interface_name: s.interface_name,
                    ssid: s.ssid,
                    mac: s.mac,
                },
                start_us: s.start_us,
            });
        }
        Ok(out)
    }

    /// Applies several devices' steps in one transaction (the ingest worker's batch).
    pub fn commit(&self, steps: &[Step]) -> Result<(), SessionError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut clients = tx.open_table(CLIENTS).map_err(storage)?;
            let mut sessions = tx.open_table(SESSIONS).map_err(storage)?;
            let mut open = tx.open_table(OPEN).map_err(storage)?;
            let mut by_start = tx.open_table(BY_START).map_err(storage)?;
            for step in steps {
                let dev = step.device.as_bytes().as_slice();
                for c in &step.clients {
                    // As the reference, a client is saved only when new or changed: an
                    // unchanged one dirties no page (the table is keyed by MAC, so every
                    // write lands on a different page).
                    let unchanged = clients
                        .get(c.mac.as_str())
                        .map_err(storage)?
                        .map(|v| decode::<StoredClient>(v.value()))
                        .transpose()?
                        .is_some_and(|old| old.same_description(c));
                    if !unchanged {
                        clients
                            .insert(c.mac.as_str(), encode(c).as_slice())
                            .map_err(storage)?;
                    }
                }
                for (id, stop_us) in &step.closed {
                    let id = id.as_bytes().as_slice();
                    let Some(bytes) = sessions
                        .get(id)
                        .map_err(storage)?
                        .map(|v| v.value().to_vec())
                    else {
                        continue;
                    };
                    let mut s: Session = decode(&bytes)?;
                    s.stop_us = Some(*stop_us);
                    sessions
                        .insert(id, encode(&s).as_slice())
                        .map_err(storage)?;
                    open.remove((dev, id)).map_err(storage)?;
                }
                for s in &step.opened {
                    let id = s.id.as_bytes().as_slice();
                    sessions.insert(id, encode(s).as_slice()).map_err(storage)?;
                    open.insert((dev, id), ()).map_err(storage)?;
                    by_start.insert((s.start_us, id), ()).map_err(storage)?;
                }
            }
        }
        tx.commit().map_err(storage)
    }

    /// Removes every session of `device` (the reference's cascade when a device is
    /// deleted), in one transaction; returns how many. A full scan: deletions are rare.
    pub fn delete_device(&self, device: Uuid) -> Result<usize, SessionError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let mut removed = 0;
        {
            let mut sessions = tx.open_table(SESSIONS).map_err(storage)?;
            let mut open = tx.open_table(OPEN).map_err(storage)?;
            let mut by_start = tx.open_table(BY_START).map_err(storage)?;
            let mut doomed = Vec::new();
            for row in sessions.iter().map_err(storage)? {
                let (_, v) = row.map_err(storage)?;
                let s: Session = decode(v.value())?;
                if s.device == device {
                    doomed.push((s.id, s.start_us));
                }
            }
            let dev = device.as_bytes().as_slice();
            for (id, start_us) in doomed {
                let id = id.as_bytes().as_slice();
                sessions.remove(id).map_err(storage)?;
                open.remove((dev, id)).map_err(storage)?;
                by_start.remove((start_us, id)).map_err(storage)?;
                removed += 1;
            }
        }
        tx.commit().map_err(storage)?;
        Ok(removed)
    }

    /// Applies one step's changes in one transaction; new sessions get random UUIDs.
    pub fn apply(
        &self,
        device: Uuid,
        org: Uuid,
        changes: &SessionChanges<Uuid>,
        now_us: i64,
    ) -> Result<(), SessionError> {
        self.commit(&[Step::new(device, org, changes, now_us)])
    }

    pub fn session(&self, id: Uuid) -> Result<Option<Session>, SessionError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let sessions = tx.open_table(SESSIONS).map_err(storage)?;
        sessions
            .get(id.as_bytes().as_slice())
            .map_err(storage)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    pub fn client(&self, mac: &str) -> Result<Option<StoredClient>, SessionError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let clients = tx.open_table(CLIENTS).map_err(storage)?;
        clients
            .get(mac)
            .map_err(storage)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    /// Sessions matching `filter`, newest start first: how many match, and the page
    /// after skipping `offset`, at most `limit` long.
    pub fn page(
        &self,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<Session>), SessionError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let by_start = tx.open_table(BY_START).map_err(storage)?;
        let sessions = tx.open_table(SESSIONS).map_err(storage)?;
        let mut out = Vec::new();
        let mut count = 0;
        for row in by_start.iter().map_err(storage)?.rev() {
            let (k, _) = row.map_err(storage)?;
            let Some(bytes) = sessions.get(k.value().1).map_err(storage)? else {
                continue;
            };
            let s: Session = decode(bytes.value())?;
            let wanted = filter.device.is_none_or(|d| d == s.device)
                && filter.orgs.as_ref().is_none_or(|o| o.contains(&s.org))
                && filter.open.is_none_or(|open| open == s.stop_us.is_none())
                && filter.start.contains(Some(s.start_us))
                && filter.stop.contains(s.stop_us);
            if !wanted {
                continue;
            }
            if count >= offset && out.len() < limit {
                out.push(s);
            }
            count += 1;
        }
        Ok((count, out))
    }

    /// [`SessionStore::page`] without the count.
    pub fn list(
        &self,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Session>, SessionError> {
        self.page(filter, offset, limit).map(|(_, page)| page)
    }
}

fn stored(c: &WifiClient, now_us: i64) -> StoredClient {
    StoredClient {
        mac: c.mac.clone(),
        vendor: c.vendor.clone(),
        ht: c.ht,
        vht: c.vht,
        he: c.he,
        wmm: c.wmm,
        wds: c.wds,
        wps: c.wps,
        modified_us: now_us,
    }
}

#[cfg(test)]
mod tests;
