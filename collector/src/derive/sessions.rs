//! WiFi sessions: which client was associated with which access-point interface when.
//!
//! The reference (`save_wifi_clients_and_sessions`) runs on every stored snapshot: each
//! client of an interface with `type == "wireless"` and `wireless.mode == "access_point"`
//! updates its `WifiClient` row and has one open `WifiSession` per (interface, SSID,
//! client); the device's open sessions not seen in the snapshot are closed at `now`.
//! This module is that step as a pure function of (open sessions, snapshot, now).

use serde_json::Value;
use std::collections::HashSet;

/// What identifies an open session of a device.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    pub interface_name: String,
    pub ssid: String,
    /// The client's MAC address as the device sent it.
    pub mac: String,
}

/// A session the store holds open; `id` is whatever the store identifies it with, `key`
/// its [`SessionKey`] or anything that tells keys apart as well (the ingest worker keeps
/// a 64-bit keyed digest: 32 bytes a session instead of three strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession<Id, K = SessionKey> {
    pub id: Id,
    pub key: K,
    pub start_us: i64,
}

/// The `WifiClient` row as this snapshot describes the client (upsert by `mac`).
/// `ht`/`vht`/`he` are `None` when unknown (absent, or nulled by the htmode rule).
// Independent capability flags, as the reference's nullable booleans.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WifiClient {
    pub mac: String,
    pub vendor: Option<String>,
    pub ht: Option<bool>,
    pub vht: Option<bool>,
    pub he: Option<bool>,
    pub wmm: Option<bool>,
    pub wds: Option<bool>,
    pub wps: Option<bool>,
}

/// A session to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub key: SessionKey,
    pub start_us: i64,
}

/// An open session to close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedSession<Id> {
    pub id: Id,
    pub stop_us: i64,
}

/// What to change in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChanges<Id> {
    /// Clients to upsert, one per MAC (the last description wins), in first-seen order.
    pub clients: Vec<WifiClient>,
    /// Sessions to create (start = the step's `now`).
    pub opened: Vec<NewSession>,
    /// Open sessions that continue (the reference's `get_or_create` found them).
    pub kept: Vec<Id>,
    /// Open sessions to close (stop = the step's `now`).
    pub closed: Vec<ClosedSession<Id>>,
}

/// The access-point clients of a (transformed) snapshot, in order: `(key, client)`.
pub fn access_point_clients(snapshot: &Value) -> Vec<(SessionKey, WifiClient)> {
    let mut out = Vec::new();
    for iface in snapshot
        .get("interfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if iface.get("type").and_then(Value::as_str) != Some("wireless") {
            continue;
        }
        let Some(wireless) = iface.get("wireless") else {
            continue;
        };
        if wireless.get("mode").and_then(Value::as_str) != Some("access_point") {
            continue;
        }
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let interface_name = text(iface.get("name"));
        let ssid = text(wireless.get("ssid"));
        for client in wireless
            .get("clients")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(mac) = client.get("mac").and_then(Value::as_str) else {
                continue;
            };
            let flag = |k: &str| client.get(k).and_then(Value::as_bool);
            let record = WifiClient {
                mac: mac.to_owned(),
                vendor: client
                    .get("vendor")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                ht: flag("ht"),
                vht: flag("vht"),
                he: flag("he"),
                wmm: flag("wmm"),
                wds: flag("wds"),
                wps: flag("wps"),
            };
            let key = SessionKey {
                interface_name: interface_name.clone(),
                ssid: ssid.clone(),
                mac: mac.to_owned(),
            };
            out.push((key, record));
        }
    }
    out
}

/// One step of the session state machine: the device's `open` sessions and its new
/// `snapshot` (after [`transform`](super::transform::transform)), stored at `now_us`
/// (the reference uses the worker's clock here, not the sample time), give the changes.
///
/// Invariant of the result: afterwards the device has exactly one open session per
/// access-point client of the snapshot. If the store held several open sessions with the
/// same key (the reference's `get_or_create` would fail there) the oldest is kept and the
/// others are closed.
pub fn update<Id: Clone>(
    open: &[OpenSession<Id>],
    snapshot: &Value,
    now_us: i64,
) -> SessionChanges<Id> {
    update_by(open, snapshot, now_us, SessionKey::clone)
}

/// [`update`] for open sessions whose keys are `key_of` of their [`SessionKey`]: the same
/// changes whenever `key_of` tells the keys of one device apart.
pub fn update_by<Id: Clone, K: Eq + std::hash::Hash>(
    open: &[OpenSession<Id, K>],
    snapshot: &Value,
    now_us: i64,
    key_of: impl Fn(&SessionKey) -> K,
) -> SessionChanges<Id> {
    let seen = access_point_clients(snapshot);
    let mut clients: Vec<WifiClient> = Vec::new();
    for (_, client) in &seen {
        match clients.iter_mut().find(|c| c.mac == client.mac) {
            Some(existing) => *existing = client.clone(),
            None => clients.push(client.clone()),
        }
    }
    let wanted: HashSet<K> = seen.iter().map(|(key, _)| key_of(key)).collect();

    let mut by_age: Vec<&OpenSession<Id, K>> = open.iter().collect();
    by_age.sort_by_key(|s| s.start_us);
    let mut kept_keys: HashSet<&K> = HashSet::new();
    let (mut kept, mut closed) = (Vec::new(), Vec::new());
    for session in by_age {
        if wanted.contains(&session.key) && kept_keys.insert(&session.key) {
            kept.push(session.id.clone());
        } else {
            closed.push(ClosedSession {
                id: session.id.clone(),
                stop_us: now_us,
            });
        }
    }
    let mut opened: Vec<NewSession> = Vec::new();
    for (key, _) in &seen {
        if !kept_keys.contains(&key_of(key)) && !opened.iter().any(|n| &n.key == key) {
            opened.push(NewSession {
                key: key.clone(),
                start_us: now_us,
            });
        }
    }
    SessionChanges {
        clients,
        opened,
        kept,
        closed,
    }
}

/// Every open session of a device that went offline (a critical metric crossed its
/// tolerance): all of them close.
pub fn close_all<Id: Clone, K>(open: &[OpenSession<Id, K>], now_us: i64) -> Vec<ClosedSession<Id>> {
    open.iter()
        .map(|s| ClosedSession {
            id: s.id.clone(),
            stop_us: now_us,
        })
        .collect()
}

/// A digest of a snapshot's client descriptions, in order. The reference updates a
/// client's row only when its description changed: a device whose digest is the same as
/// in its previous sample has no client rows to write.
pub fn clients_digest(clients: &[WifiClient]) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    clients.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests;
