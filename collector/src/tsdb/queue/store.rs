//! The queue's redb file: entries waiting for the backend and dead letters; in memory,
//! where the newest queued `short` point of each series is (so `latest` sees what is not
//! delivered yet). Blocking: call from the blocking pool. Every change is one transaction
//! committed with redb's default durability (fsync), so a returned `append` survives a
//! crash.

use crate::tsdb::{Point, Retention, StoreError};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Sequence number → postcard of an [`Entry`] (one `write` call's points).
const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
/// Dead-letter id → postcard of a [`DeadLetter`].
const DEAD: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_letters");
/// Where earlier versions kept a copy of the newest queued `short` point of each series
/// (a device's whole snapshot, written a second time with every sample); dropped at open.
const LEGACY_LATEST: TableDefinition<&[u8], &[u8]> = TableDefinition::new("latest_short");
/// `next_seq`, `next_dead`, `points` (points queued).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// One `write` call's points and when they were queued.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub enqueued_us: i64,
    pub points: Vec<Point>,
}

/// An [`Entry`] as written: the same bytes, serialised from the caller's points without
/// copying them.
#[derive(serde::Serialize)]
struct EntryRef<'a> {
    enqueued_us: i64,
    points: &'a [Point],
}

/// An entry the drain delivered: its sequence number and the series keys of its `short`
/// points (whose `latest` rows may be its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub seq: u64,
    pub short_keys: Vec<Vec<u8>>,
}

impl Sent {
    pub fn new(seq: u64, entry: &Entry) -> Self {
        let short_keys = entry
            .points
            .iter()
            .filter(|p| p.retention == Retention::Short)
            .map(series_key)
            .collect();
        Sent { seq, short_keys }
    }
}

/// A point the backend refused as malformed, with its answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeadLetter {
    /// When it was refused, µs since the epoch.
    pub time_us: i64,
    pub error: String,
    pub point: Point,
}

/// Why the queue file cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the write queue {path}: {message}")]
pub struct OpenError {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug)]
pub struct QueueStore {
    db: Database,
    /// The newest queued `short` point of each series: its entry and time, by series key
    /// (postcard of retention, measurement and tags). Rebuilt from the entries at open;
    /// changed under the lock together with the transaction that changes the entries.
    latest: Mutex<LatestIndex>,
}

/// Series key → (sequence number of the entry holding its newest queued point, its time).
type LatestIndex = HashMap<Box<[u8]>, (u64, i64)>;

/// A series key's parts, as [`series_key`] writes them.
type SeriesKeyParts = (Retention, String, BTreeMap<String, String>);

fn db_err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Unavailable(format!("write queue: {}", e.into()))
}

fn corrupt(e: &postcard::Error) -> StoreError {
    StoreError::Unavailable(format!("write queue: undecodable record: {e}"))
}

fn series_key(p: &Point) -> Vec<u8> {
    postcard::to_allocvec(&(p.retention, &p.measurement, &p.tags)).expect("serialisable")
}

fn meta(t: &impl ReadableTable<&'static str, u64>, key: &str) -> Result<u64, StoreError> {
    Ok(t.get(key).map_err(db_err)?.map_or(0, |v| v.value()))
}

impl QueueStore {
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let fail = |message: String| OpenError {
            path: path.to_path_buf(),
            message,
        };
        let db = crate::open_redb(path, 32).map_err(|e| fail(e.to_string()))?;
        let txn = db.begin_write().map_err(|e| fail(e.to_string()))?;
        {
            txn.open_table(ENTRIES).map_err(|e| fail(e.to_string()))?;
            txn.open_table(DEAD).map_err(|e| fail(e.to_string()))?;
            txn.open_table(META).map_err(|e| fail(e.to_string()))?;
        }
        txn.delete_table(LEGACY_LATEST)
            .map_err(|e| fail(e.to_string()))?;
        txn.commit().map_err(|e| fail(e.to_string()))?;
        let store = QueueStore {
            db,
            latest: Mutex::default(),
        };
        store.rebuild_latest().map_err(|e| fail(e.to_string()))?;
        Ok(store)
    }

    fn latest_index(&self) -> MutexGuard<'_, LatestIndex> {
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The in-memory index of the newest queued `short` points, from every entry.
    fn rebuild_latest(&self) -> Result<(), StoreError> {
        let mut index = self.latest_index();
        index.clear();
        let txn = self.db.begin_read().map_err(db_err)?;
        let entries = txn.open_table(ENTRIES).map_err(db_err)?;
        for row in entries.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            note_latest(&mut index, k.value(), &decode_entry(v.value())?.points);
        }
        Ok(())
    }

    /// Points queued and the oldest entry's time (`None` when empty).
    pub fn depth(&self) -> Result<(u64, Option<i64>), StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let m = txn.open_table(META).map_err(db_err)?;
        let entries = txn.open_table(ENTRIES).map_err(db_err)?;
        let oldest = match entries.first().map_err(db_err)? {
            Some((_, v)) => Some(decode_entry(v.value())?.enqueued_us),
            None => None,
        };
        Ok((meta(&m, "points")?, oldest))
    }

    /// Queue `points` durably; refused (`Unavailable`) when it would pass `max_points`.
    pub fn append(&self, points: &[Point], now_us: i64, max_points: u64) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        let seq = {
            let mut m = txn.open_table(META).map_err(db_err)?;
            let queued = meta(&m, "points")?;
            let n = points.len() as u64;
            if queued > 0 && queued + n > max_points {
                return Err(StoreError::Unavailable(format!(
                    "write queue full: {queued} points wait for the backend (influxdb.queue_max_points = {max_points})"
                )));
            }
            let seq = meta(&m, "next_seq")?;
            let entry = postcard::to_allocvec(&EntryRef {
                enqueued_us: now_us,
                points,
            })
            .expect("serialisable");
            txn.open_table(ENTRIES)
                .map_err(db_err)?
                .insert(seq, entry.as_slice())
                .map_err(db_err)?;
            m.insert("next_seq", seq + 1).map_err(db_err)?;
            m.insert("points", queued + n).map_err(db_err)?;
            seq
        };
        let mut index = self.latest_index();
        txn.commit().map_err(db_err)?;
        note_latest(&mut index, seq, points);
        Ok(())
    }

    /// The oldest entries, whole, until they hold at least `max_points` points (at least
    /// one entry when any is queued).
    pub fn peek(&self, max_points: usize) -> Result<Vec<(u64, Entry)>, StoreError> {
        self.peek_after(None, max_points)
    }

    /// [`peek`](Self::peek) from the entry after `after` (the entries up to it are being
    /// delivered already).
    pub fn peek_after(
        &self,
        after: Option<u64>,
        max_points: usize,
    ) -> Result<Vec<(u64, Entry)>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let entries = txn.open_table(ENTRIES).map_err(db_err)?;
        let mut out = Vec::new();
        let mut points = 0;
        let from = match after {
            None => 0,
            Some(u64::MAX) => return Ok(out),
            Some(seq) => seq + 1,
        };
        for row in entries.range(from..).map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let entry = decode_entry(v.value())?;
            points += entry.points.len();
            out.push((k.value(), entry));
            if points >= max_points {
                break;
            }
        }
        Ok(out)
    }

    /// The delivered (or dead-lettered) entries leave the queue; `dead` are kept. Each
    /// entry comes with its [`Sent`] keys (from the entry the drain read, so nothing is
    /// decoded again here: settling once decoded every point a second time).
    pub fn settle(&self, sent: &[Sent], dead: &[DeadLetter]) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut entries = txn.open_table(ENTRIES).map_err(db_err)?;
            let mut m = txn.open_table(META).map_err(db_err)?;
            let mut removed = 0u64;
            for Sent { seq, .. } in sent {
                let Some(v) = entries.remove(seq).map_err(db_err)? else {
                    continue;
                };
                // The count as stored now (a device deletion may have removed points
                // since the drain read the entry).
                removed += entry_len(v.value())?;
            }
            let queued = meta(&m, "points")?;
            m.insert("points", queued.saturating_sub(removed))
                .map_err(db_err)?;
            let mut dead_table = txn.open_table(DEAD).map_err(db_err)?;
            let mut next = meta(&m, "next_dead")?;
            for d in dead {
                let value = postcard::to_allocvec(d).expect("serialisable");
                dead_table.insert(next, value.as_slice()).map_err(db_err)?;
                next += 1;
            }
            m.insert("next_dead", next).map_err(db_err)?;
        }
        let mut index = self.latest_index();
        txn.commit().map_err(db_err)?;
        for Sent { seq, short_keys } in sent {
            for key in short_keys {
                if index.get(key.as_slice()).is_some_and(|(s, _)| s == seq) {
                    index.remove(key.as_slice());
                }
            }
        }
        Ok(())
    }

    /// The newest queued `short` point of `measurement` among series carrying `tags` (an
    /// empty value: tag absent).
    pub fn latest(
        &self,
        retention: Retention,
        measurement: &str,
        tags: &[(String, String)],
    ) -> Result<Option<Point>, StoreError> {
        if retention != Retention::Short {
            return Ok(None);
        }
        // The newest matching series' entry, then its point from that entry.
        let mut best: Option<(Box<[u8]>, u64, i64)> = None;
        for (key, &(seq, time_us)) in self.latest_index().iter() {
            if best.as_ref().is_some_and(|(_, _, t)| *t >= time_us) {
                continue;
            }
            let (_, m, have): SeriesKeyParts =
                postcard::from_bytes(key).map_err(|e| corrupt(&e))?;
            if m == measurement && matches(&have, tags) {
                best = Some((key.clone(), seq, time_us));
            }
        }
        let Some((key, seq, time_us)) = best else {
            return Ok(None);
        };
        let txn = self.db.begin_read().map_err(db_err)?;
        let entries = txn.open_table(ENTRIES).map_err(db_err)?;
        // Gone since: delivered, so the backend has it.
        let Some(v) = entries.get(seq).map_err(db_err)? else {
            return Ok(None);
        };
        Ok(decode_entry(v.value())?
            .points
            .into_iter()
            .rev()
            .find(|p| p.time_us == time_us && *series_key(p) == *key))
    }

    /// Remove the queued points of `measurement` carrying `tags` (device deletion: they
    /// must not reach the backend after its `DROP SERIES`).
    pub fn delete_matching(
        &self,
        measurement: &str,
        tags: &[(String, String)],
    ) -> Result<u64, StoreError> {
        let hit = |p: &Point| p.measurement == measurement && matches(&p.tags, tags);
        let txn = self.db.begin_write().map_err(db_err)?;
        let mut removed = 0u64;
        {
            let mut entries = txn.open_table(ENTRIES).map_err(db_err)?;
            let mut changed: Vec<(u64, Entry)> = Vec::new();
            for row in entries.iter().map_err(db_err)? {
                let (k, v) = row.map_err(db_err)?;
                let entry = decode_entry(v.value())?;
                if entry.points.iter().any(hit) {
                    changed.push((k.value(), entry));
                }
            }
            for (seq, mut entry) in changed {
                let before = entry.points.len();
                entry.points.retain(|p| !hit(p));
                removed += (before - entry.points.len()) as u64;
                if entry.points.is_empty() {
                    entries.remove(seq).map_err(db_err)?;
                } else {
                    let value = postcard::to_allocvec(&entry).expect("serialisable");
                    entries.insert(seq, value.as_slice()).map_err(db_err)?;
                }
            }
            let mut m = txn.open_table(META).map_err(db_err)?;
            let queued = meta(&m, "points")?;
            m.insert("points", queued.saturating_sub(removed))
                .map_err(db_err)?;
        }
        let mut index = self.latest_index();
        txn.commit().map_err(db_err)?;
        index.retain(|key, _| {
            postcard::from_bytes::<SeriesKeyParts>(key).map_or(true, |(_, m, have)| {
                !(m == measurement && matches(&have, tags))
            })
        });
        Ok(removed)
    }

    /// Dead letters, oldest first, at most `limit`.
    pub fn dead_letters(&self, limit: usize) -> Result<Vec<(u64, DeadLetter)>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(DEAD).map_err(db_err)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(db_err)?.take(limit) {
            let (k, v) = row.map_err(db_err)?;
            out.push((
                k.value(),
                postcard::from_bytes(v.value()).map_err(|e| corrupt(&e))?,
            ));
        }
        Ok(out)
    }

    pub fn dead_letter_count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        txn.open_table(DEAD).map_err(db_err)?.len().map_err(db_err)
    }

    /// Replace dead letter `id` (a failed replay keeps it with the new answer) or remove
    /// it (`None`: replayed).
    pub fn update_dead(&self, id: u64, letter: Option<&DeadLetter>) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = txn.open_table(DEAD).map_err(db_err)?;
            match letter {
                Some(d) => {
                    let value = postcard::to_allocvec(d).expect("serialisable");
                    table.insert(id, value.as_slice()).map_err(db_err)?;
                }
                None => {
                    table.remove(id).map_err(db_err)?;
                }
            }
        }
        txn.commit().map_err(db_err)
    }
}

fn matches(have: &BTreeMap<String, String>, want: &[(String, String)]) -> bool {
    want.iter().all(|(k, v)| match have.get(k) {
        Some(h) => h == v,
        None => v.is_empty(),
    })
}

fn decode_entry(bytes: &[u8]) -> Result<Entry, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| corrupt(&e))
}

/// The number of points of a stored entry, from its first two fields alone (postcard:
/// `enqueued_us` as a zigzag varint, then the points' count as a varint).
fn entry_len(bytes: &[u8]) -> Result<u64, StoreError> {
    let (_, rest): (i64, _) = postcard::take_from_bytes(bytes).map_err(|e| corrupt(&e))?;
    let (n, _): (u64, _) = postcard::take_from_bytes(rest).map_err(|e| corrupt(&e))?;
    Ok(n)
}

/// Records the `short` points of entry `seq` in the index where they are the newest of
/// their series (a later entry wins a tie: it was written later).
fn note_latest(index: &mut LatestIndex, seq: u64, points: &[Point]) {
    for p in points.iter().filter(|p| p.retention == Retention::Short) {
        let key = series_key(p);
        match index.get_mut(key.as_slice()) {
            Some(at) if at.1 > p.time_us => {}
            Some(at) => *at = (seq, p.time_us),
            None => {
                index.insert(key.into_boxed_slice(), (seq, p.time_us));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsdb::FieldValue;
    use proptest::prelude::*;

    proptest! {
        /// The count read from an entry's first bytes is its number of points.
        #[test]
        fn entry_len_reads_the_count_of_any_entry(enqueued_us in any::<i64>(), n in 0usize..300) {
            let points: Vec<Point> = (0..n)
                .map(|i| Point::new("m", i64::try_from(i).unwrap()).field("v", FieldValue::Int(1)))
                .collect();
            let bytes = postcard::to_allocvec(&EntryRef { enqueued_us, points: &points }).unwrap();
            prop_assert_eq!(entry_len(&bytes).unwrap(), n as u64);
            prop_assert_eq!(decode_entry(&bytes).unwrap().points.len(), n);
        }
    }

    #[test]
    fn sent_keeps_the_keys_of_short_points_only() {
        let entry = Entry {
            enqueued_us: 1,
            points: vec![
                Point::new("cpu", 1).field("v", FieldValue::Int(1)),
                Point::new("device_data", 1)
                    .retention(Retention::Short)
                    .tag("pk", "a")
                    .field("data", FieldValue::Str("{}".into())),
            ],
        };
        let sent = Sent::new(9, &entry);
        assert_eq!(sent.seq, 9);
        assert_eq!(sent.short_keys, vec![series_key(&entry.points[1])]);
        assert!(entry_len(b"").is_err());
    }
}
