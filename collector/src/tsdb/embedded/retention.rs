//! Removing points: the retention sweep, series deletion (unlink, then purge), both in
//! bounded transactions so the writer can commit ingest batches in between.

use super::layout::{
    GARBAGE, MEASUREMENT_INDEX, POINTS, SERIES, SERIES_META, SeriesKey, TAG_INDEX, db_err,
    retention_code,
};
use super::read::find_series;
use super::rollup;
use crate::tsdb::{Retention, StoreError};
use redb::{ReadableTable, Table, WriteTransaction};
use std::collections::VecDeque;

/// Series examined per sweep transaction at most (bounds the work even when no point is due).
const SERIES_PER_CHUNK: usize = 4096;

/// What a completed retention sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Expired points deleted.
    pub points: u64,
    /// Series removed because their last point expired.
    pub series: u64,
}

/// A sweep in progress: series are visited in id order, one chunk per transaction.
#[derive(Debug)]
pub struct Sweep {
    /// Expiry cutoff per retention code, fixed when the sweep started.
    pub cutoffs: [i64; 2],
    /// The next series id to visit.
    pub next_id: u64,
    pub report: SweepReport,
    /// Rollups are built for hours in `[rollup_from, rollup_below)` (and stale ones).
    pub rollup_from: i64,
    pub rollup_below: i64,
}

/// Run one chunk of `sweep`; returns whether the sweep is complete and the keys of the
/// series it removed (to forget in the writer's cache once committed).
pub fn sweep_chunk(
    txn: &WriteTransaction,
    sweep: &mut Sweep,
    budget: usize,
) -> Result<(bool, Vec<Vec<u8>>), StoreError> {
    let mut points = txn.open_table(POINTS).map_err(db_err)?;
    let visit: Vec<(u64, Vec<u8>)> = txn
        .open_table(SERIES_META)
        .map_err(db_err)?
        .range(sweep.next_id..)
        .map_err(db_err)?
        .take(SERIES_PER_CHUNK)
        .map(|row| {
            row.map(|(k, v)| (k.value(), v.value().to_vec()))
                .map_err(db_err)
        })
        .collect::<Result<_, _>>()?;
    let mut left = budget;
    let mut removed = Vec::new();
    rollup::store_below(txn, sweep.rollup_below)?;
    let mut rollups = rollup::Tables::open(txn)?;
    for (id, bytes) in &visit {
        let key = SeriesKey::decode(bytes)?;
        let cutoff = sweep.cutoffs[usize::from(retention_code(key.retention))];
        let (deleted, more) = delete_points(&mut points, *id, cutoff, left)?;
        sweep.report.points += deleted as u64;
        left -= deleted;
        if more {
            return Ok((false, removed)); // budget spent; resume at this series
        }
        if deleted > 0
            && points
                .range((*id, i64::MIN)..(*id + 1, i64::MIN))
                .map_err(db_err)?
                .next()
                .is_none()
        {
            unlink(txn, *id, &key, bytes)?;
            rollup::remove_series(&mut rollups, *id)?;
            sweep.report.series += 1;
            removed.push(bytes.clone());
        } else if key.retention == Retention::Default {
            let read = rollup::build_series(
                &mut rollups,
                &points,
                *id,
                sweep.rollup_from,
                sweep.rollup_below,
                cutoff,
            )?;
            left = left.saturating_sub(read);
        }
        sweep.next_id = id + 1;
    }
    Ok((visit.len() < SERIES_PER_CHUNK, removed))
}

/// Delete up to `budget` points of series `id` older than `below_us`; returns how many
/// were deleted and whether older points remain.
fn delete_points(
    points: &mut Table<(u64, i64), &[u8]>,
    id: u64,
    below_us: i64,
    budget: usize,
) -> Result<(usize, bool), StoreError> {
    let times: Vec<i64> = points
        .range((id, i64::MIN)..(id, below_us))
        .map_err(db_err)?
        .take(budget + 1)
        .map(|row| row.map(|(k, _)| k.value().1).map_err(db_err))
        .collect::<Result<_, _>>()?;
    let deleted = times.len().min(budget);
    for time in &times[..deleted] {
        points.remove((id, *time)).map_err(db_err)?;
    }
    Ok((deleted, times.len() > budget))
}

/// Make a series invisible: remove it from the key table, its metadata and the indexes.
/// Its points (if any remain) must be purged separately.
fn unlink(
    txn: &WriteTransaction,
    id: u64,
    key: &SeriesKey,
    bytes: &[u8],
) -> Result<(), StoreError> {
    let rc = retention_code(key.retention);
    txn.open_table(SERIES)
        .map_err(db_err)?
        .remove(bytes)
        .map_err(db_err)?;
    txn.open_table(SERIES_META)
        .map_err(db_err)?
        .remove(id)
        .map_err(db_err)?;
    txn.open_multimap_table(MEASUREMENT_INDEX)
        .map_err(db_err)?
        .remove((rc, key.measurement.as_str()), id)
        .map_err(db_err)?;
    let mut tag_index = txn.open_multimap_table(TAG_INDEX).map_err(db_err)?;
    for (k, v) in &key.tags {
        tag_index
            .remove((rc, key.measurement.as_str(), k.as_str(), v.as_str()), id)
            .map_err(db_err)?;
    }
    Ok(())
}

/// `delete_series`: unlink every matching series (in both policies) and record them as
/// garbage whose points [`purge_chunk`] removes. Returns the ids and keys unlinked.
pub fn unlink_matching(
    txn: &WriteTransaction,
    measurement: &str,
    tags: &[(String, String)],
) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let mut found = Vec::new();
    for retention in [Retention::Default, Retention::Short] {
        found.extend(find_series(
            &txn.open_multimap_table(TAG_INDEX).map_err(db_err)?,
            &txn.open_multimap_table(MEASUREMENT_INDEX).map_err(db_err)?,
            &txn.open_table(SERIES_META).map_err(db_err)?,
            retention,
            measurement,
            tags,
        )?);
    }
    let mut unlinked = Vec::with_capacity(found.len());
    for (id, key) in found {
        let bytes = key.encode();
        unlink(txn, id, &key, &bytes)?;
        txn.open_table(GARBAGE)
            .map_err(db_err)?
            .insert(id, ())
            .map_err(db_err)?;
        unlinked.push((id, bytes));
    }
    Ok(unlinked)
}

/// Delete up to `budget` points of unlinked series, front first; a series whose points are
/// all gone leaves the garbage table and the queue.
pub fn purge_chunk(
    txn: &WriteTransaction,
    ids: &mut VecDeque<u64>,
    budget: usize,
) -> Result<(), StoreError> {
    let mut points = txn.open_table(POINTS).map_err(db_err)?;
    let mut garbage = txn.open_table(GARBAGE).map_err(db_err)?;
    let mut rollups = rollup::Tables::open(txn)?;
    let mut left = budget;
    while let Some(&id) = ids.front() {
        let (deleted, more) = delete_points(&mut points, id, i64::MAX, left)?;
        left -= deleted;
        // `i64::MAX` itself is excluded by the range above.
        points.remove((id, i64::MAX)).map_err(db_err)?;
        if more {
            return Ok(());
        }
        garbage.remove(id).map_err(db_err)?;
        rollup::remove_series(&mut rollups, id)?;
        ids.pop_front();
    }
    Ok(())
}

/// The garbage left by an interrupted purge (resumed at open).
pub fn pending_garbage(txn: &WriteTransaction) -> Result<VecDeque<u64>, StoreError> {
    txn.open_table(GARBAGE)
        .map_err(db_err)?
        .iter()
        .map_err(db_err)?
        .map(|row| row.map(|(k, _)| k.value()).map_err(db_err))
        .collect()
}
