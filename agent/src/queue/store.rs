//! The redb shell around [`bounds`](super::bounds): one transaction per change, an
//! in-memory index of `(seq, collection time, size)` so bookkeeping never scans the file.

use super::bounds::{self, Limits, Meta};
use super::{QueueError, storage};
use edgemon_shared::envelope::{Document, Sample};
use redb::{
    Database, ReadableDatabase, ReadableTable, StorageBackend, TableDefinition, TableError,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

const SAMPLES: TableDefinition<u64, &[u8]> = TableDefinition::new("samples");
const STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("state");
const STATE_KEY: &str = "state";

/// redb's page cache: small, a router has 32–128 MB of RAM and the queue is read once.
const CACHE_BYTES: usize = 256 * 1024;

/// What the queue persists besides the samples (postcard, one record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    /// The sequence number the next sample gets; never reused, even after a drop.
    next_seq: u64,
    /// Samples dropped because they were too old or did not fit (or could not be stored).
    dropped: u64,
    /// Samples a server refused as invalid (HTTP 400) and that were deleted.
    rejected: u64,
    last_success_us: Option<i64>,
    last_error: Option<(i64, String)>,
}

/// What `edgemon-agent status` prints, and what each sample reports about the backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub depth: u64,
    pub bytes: u64,
    pub oldest_at_us: Option<i64>,
    pub next_seq: u64,
    pub dropped: u64,
    pub rejected: u64,
    pub last_success_us: Option<i64>,
    pub last_error: Option<(i64, String)>,
}

impl Status {
    /// Age of the oldest queued sample in whole seconds at `now_us` (0 if in the future).
    pub fn oldest_age_s(&self, now_us: i64) -> Option<u64> {
        self.oldest_at_us
            .map(|at| u64::try_from(now_us.saturating_sub(at) / 1_000_000).unwrap_or(0))
    }
}

/// The result of [`Queue::enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub seq: u64,
    /// False when the sample alone is larger than the queue's byte limit (it is counted as
    /// dropped, and its sequence number is spent so the server sees the gap).
    pub stored: bool,
    /// How many older samples were dropped to make room or for age.
    pub evicted: usize,
}

/// The durable queue. Not `Sync`: one task owns it.
#[derive(Debug)]
pub struct Queue {
    db: Database,
    limits: Limits,
    index: BTreeMap<u64, Meta>,
    bytes: u64,
    state: State,
    /// Set by a storage error: the file may hold a half-written transaction, so this
    /// handle stops and the owner reopens the file.
    poisoned: bool,
}

impl Queue {
    /// Opens (or creates) the queue file.
    pub fn open(path: &Path, limits: Limits) -> Result<Self, QueueError> {
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| QueueError::Open {
                path: path.display().to_string(),
                source: e.into(),
            })?;
        Self::load(db, limits)
    }

    /// Opens a queue on any redb storage backend (tests use one that can fail or lose
    /// unsynced writes on demand).
    pub fn open_backend(backend: impl StorageBackend, limits: Limits) -> Result<Self, QueueError> {
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create_with_backend(backend)
            .map_err(storage)?;
        Self::load(db, limits)
    }

    fn load(db: Database, limits: Limits) -> Result<Self, QueueError> {
        let tx = db.begin_read().map_err(storage)?;
        let mut index = BTreeMap::new();
        let mut bytes = 0;
        match tx.open_table(SAMPLES) {
            Ok(table) => {
                for row in table.iter().map_err(storage)? {
                    let (k, v) = row.map_err(storage)?;
                    let seq = k.value();
                    let (at_us, len) = meta_of(seq, v.value())?;
                    bytes += len;
                    index.insert(seq, Meta { seq, at_us, len });
                }
            }
            Err(TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(storage(e)),
        }
        let state = match tx.open_table(STATE) {
            Ok(table) => match table.get(STATE_KEY).map_err(storage)? {
                Some(v) => postcard::from_bytes(v.value()).map_err(|e| QueueError::Corrupt {
                    seq: 0,
                    reason: format!("state record: {e}"),
                })?,
                None => State::default(),
            },
            Err(TableError::TableDoesNotExist(_)) => State::default(),
            Err(e) => return Err(storage(e)),
        };
        let mut state = state;
        // A crash can never make next_seq go backwards past a stored sample.
        let after_last = index.keys().next_back().map_or(1, |s| s + 1);
        state.next_seq = state.next_seq.max(after_last);
        Ok(Self {
            db,
            limits,
            index,
            bytes,
            state,
            poisoned: false,
        })
    }

    /// Stores a new sample (one transaction that also applies the bounds).
    pub fn enqueue(
        &mut self,
        collected_at_us: i64,
        document: Document,
        now_us: i64,
    ) -> Result<Enqueued, QueueError> {
        self.check()?;
        let seq = self.state.next_seq;
        let sample = Sample {
            seq,
            collected_at_us,
            document,
        };
        let encoded = postcard::to_allocvec(&sample).expect("a sample always encodes");
        let len = encoded.len() as u64;
        let ev = bounds::evictions(self.index.values(), self.bytes, len, now_us, &self.limits);
        let mut next = self.state.clone();
        next.next_seq = seq + 1;
        next.dropped += ev.drop.len() as u64 + u64::from(!ev.admit);
        self.commit(&next, |t| {
            for s in &ev.drop {
                t.remove(s)?;
            }
            if ev.admit {
                t.insert(seq, encoded.as_slice())?;
            }
            Ok(())
        })?;
        self.forget(&ev.drop);
        if ev.admit {
            self.index.insert(
                seq,
                Meta {
                    seq,
                    at_us: collected_at_us,
                    len,
                },
            );
            self.bytes += len;
        }
        self.state = next;
        Ok(Enqueued {
            seq,
            stored: ev.admit,
            evicted: ev.drop.len(),
        })
    }

    /// Deletes acknowledged samples (unknown sequence numbers are ignored) and records the
    /// success. Also drops what has grown too old meanwhile. Returns how many were deleted.
    pub fn ack(&mut self, seqs: &[u64], now_us: i64) -> Result<usize, QueueError> {
        self.remove(seqs, now_us, None)
    }

    /// Deletes samples a server refused as invalid, counting them and keeping the reason
    /// as the last error.
    pub fn reject(&mut self, seqs: &[u64], now_us: i64, reason: &str) -> Result<usize, QueueError> {
        self.remove(seqs, now_us, Some(reason))
    }

    /// Moves queued samples in time by `delta_us` (the wall clock was set after they were
    /// stamped; see `daemon::clock`), in one transaction. Unknown sequence numbers are
    /// ignored. Returns how many moved.
    pub fn retime(&mut self, seqs: &[u64], delta_us: i64) -> Result<usize, QueueError> {
        self.check()?;
        let known: Vec<u64> = seqs
            .iter()
            .copied()
            .filter(|s| self.index.contains_key(s))
            .collect();
        let mut moved = Vec::with_capacity(known.len());
        for mut sample in self.read(&known)? {
            sample.collected_at_us = sample.collected_at_us.saturating_add(delta_us);
            let encoded = postcard::to_allocvec(&sample).expect("a sample always encodes");
            moved.push((sample.seq, sample.collected_at_us, encoded));
        }
        let next = self.state.clone();
        self.commit(&next, |t| {
            for (seq, _, encoded) in &moved {
                t.insert(seq, encoded.as_slice())?;
            }
            Ok(())
        })?;
        for (seq, at_us, encoded) in &moved {
            if let Some(m) = self.index.get_mut(seq) {
                self.bytes = self.bytes - m.len + encoded.len() as u64;
                m.len = encoded.len() as u64;
                m.at_us = *at_us;
            }
        }
        Ok(moved.len())
    }

    /// Lowers the byte bound for this handle (a full disk showed the configured one does
    /// not fit); later enqueues evict the oldest samples to stay under it.
    pub fn lower_max_bytes(&mut self, max_bytes: u64) {
        self.limits.max_bytes = self.limits.max_bytes.min(max_bytes);
    }

    /// Drops the oldest samples holding at least `percent` % of the queued bytes (at least
    /// one sample), counted as dropped: how the daemon makes room when the disk is full
    /// before the byte bound is reached. Returns how many were dropped.
    pub fn drop_oldest_share(&mut self, percent: u64) -> Result<usize, QueueError> {
        self.check()?;
        let target = (self.bytes * percent / 100).max(1);
        let mut gone = Vec::new();
        let mut freed = 0;
        for m in self.index.values() {
            if freed >= target {
                break;
            }
            gone.push(m.seq);
            freed += m.len;
        }
        let mut next = self.state.clone();
        next.dropped += gone.len() as u64;
        self.commit(&next, |t| {
            for s in &gone {
                t.remove(s)?;
            }
            Ok(())
        })?;
        self.forget(&gone);
        self.state = next;
        Ok(gone.len())
    }

    /// Adds samples that were collected but could not be stored at all to the dropped
    /// count (persisted with the next write). False when the handle is unusable.
    pub fn count_unstored(&mut self, n: u64) -> bool {
        if self.poisoned {
            return false;
        }
        self.state.dropped += n;
        true
    }

    /// Remembers a delivery failure for `status`; persisted with the next write, so a
    /// server that stays down does not wear the flash.
    pub fn note_error(&mut self, now_us: i64, message: &str) {
        self.state.last_error = Some((now_us, message.to_owned()));
    }

    fn remove(
        &mut self,
        seqs: &[u64],
        now_us: i64,
        rejected: Option<&str>,
    ) -> Result<usize, QueueError> {
        self.check()?;
        let mut gone: Vec<u64> = seqs
            .iter()
            .copied()
            .filter(|s| self.index.contains_key(s))
            .collect();
        gone.sort_unstable();
        gone.dedup();
        let left_bytes = self.bytes - gone.iter().map(|s| self.index[s].len).sum::<u64>();
        let left = self
            .index
            .values()
            .filter(|m| gone.binary_search(&m.seq).is_err());
        let ev = bounds::evictions(left, left_bytes, 0, now_us, &self.limits);
        let mut next = self.state.clone();
        next.dropped += ev.drop.len() as u64;
        match rejected {
            Some(reason) => {
                next.rejected += gone.len() as u64;
                next.last_error = Some((now_us, reason.to_owned()));
            }
            None => next.last_success_us = Some(now_us),
        }
        self.commit(&next, |t| {
            for s in gone.iter().chain(&ev.drop) {
                t.remove(s)?;
            }
            Ok(())
        })?;
        self.forget(&gone);
        self.forget(&ev.drop);
        self.state = next;
        Ok(gone.len())
    }

    /// Up to `n` of the oldest samples, stopping before `max_bytes` of encoded samples
    /// (always at least one when the queue is not empty).
    pub fn peek_oldest(&self, n: usize, max_bytes: u64) -> Result<Vec<Sample>, QueueError> {
        self.check()?;
        let mut take = Vec::new();
        let mut total = 0;
        for m in self.index.values().take(n) {
            if !take.is_empty() && total + m.len > max_bytes {
                break;
            }
            total += m.len;
            take.push(m.seq);
        }
        self.read(&take)
    }

    /// The newest queued sample.
    pub fn peek_newest(&self) -> Result<Option<Sample>, QueueError> {
        self.check()?;
        let Some(&seq) = self.index.keys().next_back() else {
            return Ok(None);
        };
        Ok(self.read(&[seq])?.pop())
    }

    /// Sequence numbers currently queued, oldest first.
    pub fn seqs(&self) -> impl Iterator<Item = u64> + '_ {
        self.index.keys().copied()
    }

    pub fn status(&self) -> Status {
        Status {
            depth: self.index.len() as u64,
            bytes: self.bytes,
            oldest_at_us: self.index.values().next().map(|m| m.at_us),
            next_seq: self.state.next_seq,
            dropped: self.state.dropped,
            rejected: self.state.rejected,
            last_success_us: self.state.last_success_us,
            last_error: self.state.last_error.clone(),
        }
    }

    fn read(&self, seqs: &[u64]) -> Result<Vec<Sample>, QueueError> {
        self.check()?;
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(SAMPLES).map_err(storage)?;
        seqs.iter()
            .map(|&seq| {
                let v = table
                    .get(seq)
                    .map_err(storage)?
                    .ok_or(QueueError::Corrupt {
                        seq,
                        reason: "indexed but missing from the file".into(),
                    })?;
                postcard::from_bytes(v.value()).map_err(|e| QueueError::Corrupt {
                    seq,
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    fn commit(
        &mut self,
        state: &State,
        edit: impl FnOnce(&mut redb::Table<u64, &[u8]>) -> Result<(), redb::StorageError>,
    ) -> Result<(), QueueError> {
        let result = (|| -> Result<(), redb::Error> {
            let tx = self.db.begin_write()?;
            {
                let mut samples = tx.open_table(SAMPLES)?;
                edit(&mut samples)?;
                let mut st = tx.open_table(STATE)?;
                let encoded = postcard::to_allocvec(state).expect("state always encodes");
                st.insert(STATE_KEY, encoded.as_slice())?;
            }
            tx.commit()?;
            Ok(())
        })();
        result.map_err(|e| {
            self.poisoned = true;
            QueueError::Storage(e)
        })
    }

    fn forget(&mut self, seqs: &[u64]) {
        for s in seqs {
            if let Some(m) = self.index.remove(s) {
                self.bytes -= m.len;
            }
        }
    }

    fn check(&self) -> Result<(), QueueError> {
        if self.poisoned {
            Err(QueueError::Poisoned)
        } else {
            Ok(())
        }
    }
}

/// `(collection time, size)` of a stored record, from its first two postcard fields.
fn meta_of(seq: u64, bytes: &[u8]) -> Result<(i64, u64), QueueError> {
    let ((_seq, at_us), _) =
        postcard::take_from_bytes::<(u64, i64)>(bytes).map_err(|e| QueueError::Corrupt {
            seq,
            reason: e.to_string(),
        })?;
    Ok((at_us, bytes.len() as u64))
}
