//! The read path: find the series a request names, scan their points, evaluate.
//!
//! Everything here runs inside one redb read transaction (a consistent snapshot), on a
//! blocking thread; writers are never blocked by readers.

use super::aggregate::Evaluation;
use super::layout::{
    MEASUREMENT_INDEX, POINTS, SERIES_META, SeriesKey, TAG_INDEX, db_err, decode_fields,
    retention_code,
};
use super::rollup;
use crate::tsdb::{Point, Query, Retention, Series, StoreError, WithSummary};
use redb::{Database, ReadableDatabase, ReadableMultimapTable, ReadableTable};

/// The ids and keys of the series of `measurement` in `retention` carrying every tag of
/// `tags` (an empty value: the tag is absent), in tag-set order.
pub fn find_series(
    tag_index: &impl ReadableMultimapTable<(u8, &'static str, &'static str, &'static str), u64>,
    measurement_index: &impl ReadableMultimapTable<(u8, &'static str), u64>,
    series_meta: &impl ReadableTable<u64, &'static [u8]>,
    retention: Retention,
    measurement: &str,
    tags: &[(String, String)],
) -> Result<Vec<(u64, SeriesKey)>, StoreError> {
    let rc = retention_code(retention);
    // The most selective tag narrows the candidates (`content_type` alone matches every
    // device; `object_id` one); the rest is checked on each candidate's key.
    let mut best = None;
    for (k, v) in tags.iter().filter(|(_, v)| !v.is_empty()) {
        let ids = tag_index
            .get((rc, measurement, k.as_str(), v.as_str()))
            .map_err(db_err)?;
        if best
            .as_ref()
            .is_none_or(|b: &redb::MultimapValue<u64>| ids.len() < b.len())
        {
            best = Some(ids);
        }
    }
    let ids = match best {
        Some(ids) => ids,
        None => measurement_index.get((rc, measurement)).map_err(db_err)?,
    };
    let mut found = Vec::new();
    for id in ids {
        let id = id.map_err(db_err)?.value();
        let Some(bytes) = series_meta.get(id).map_err(db_err)? else {
            continue;
        };
        let key = SeriesKey::decode(bytes.value())?;
        if key.matches(tags) {
            found.push((id, key));
        }
    }
    found.sort_by(|a, b| a.1.tags.cmp(&b.1.tags));
    Ok(found)
}

/// Evaluate `query`, ignoring points older than `cutoff_us` (expired by retention).
pub fn query(db: &Database, query: &Query, cutoff_us: i64) -> Result<Vec<Series>, StoreError> {
    let mut eval = Evaluation::new(query)?;
    scan(db, query, cutoff_us, &mut [&mut eval])?;
    Ok(eval.finish())
}

/// Evaluate `query` and its summary (no buckets) in one scan of the points.
pub fn query_with_summary(
    db: &Database,
    query: &Query,
    cutoff_us: i64,
) -> Result<WithSummary, StoreError> {
    let mut data = Evaluation::new(query)?;
    let mut summary = Evaluation::new(&Query {
        bucket_us: None,
        ..query.clone()
    })?;
    scan(db, query, cutoff_us, &mut [&mut data, &mut summary])?;
    Ok((data.finish(), summary.finish()))
}

/// Feeds every live point of the query's series in its range to `evals`.
fn scan(
    db: &Database,
    query: &Query,
    cutoff_us: i64,
    evals: &mut [&mut Evaluation],
) -> Result<(), StoreError> {
    let from = query.start_us.max(cutoff_us);
    if from >= query.end_us {
        return Ok(());
    }
    let txn = db.begin_read().map_err(db_err)?;
    let filters: Vec<(String, String)> = query
        .filters
        .iter()
        .map(|f| (f.key.clone(), f.value.clone()))
        .collect();
    let series = find_series(
        &txn.open_multimap_table(TAG_INDEX).map_err(db_err)?,
        &txn.open_multimap_table(MEASUREMENT_INDEX).map_err(db_err)?,
        &txn.open_table(SERIES_META).map_err(db_err)?,
        query.retention,
        &query.measurement,
        &filters,
    )?;
    let points = txn.open_table(POINTS).map_err(db_err)?;
    let rollups = Rollups {
        levels: [
            (
                txn.open_table(rollup::DAYS).map_err(db_err)?,
                rollup::DAY_US,
            ),
            (
                txn.open_table(rollup::ROLLUPS).map_err(db_err)?,
                rollup::HOUR_US,
            ),
        ],
    };
    // Days, then hours, wholly inside the range may come from their rollups (`rollup.rs`).
    let use_rollups =
        query.retention == Retention::Default && evals.iter().all(|e| e.takes_rollups());
    for (id, key) in series {
        // Every evaluation groups by the same tags.
        let group = evals[0].group_of(&key.tags);
        let mut cursor = from;
        if use_rollups {
            feed(
                &rollups,
                0,
                &points,
                id,
                &mut cursor,
                query.end_us,
                &group,
                evals,
            )?;
        }
        scan_points(&points, id, cursor, query.end_us, &group, evals)?;
    }
    Ok(())
}

/// A rollup table in a read transaction.
type RollupTable = redb::ReadOnlyTable<(u64, i64), &'static [u8]>;

/// The rollup tables with their units, coarsest first.
struct Rollups {
    levels: [(RollupTable, i64); 2],
}

/// Feed `[cursor, end)` of series `id` from the rollups of `level` where they can stand
/// for their day or hour, from the finer levels between them, and from the points below
/// the finest; `cursor` ends at `end`.
#[allow(clippy::too_many_arguments)]
fn feed(
    rollups: &Rollups,
    level: usize,
    points: &impl ReadableTable<(u64, i64), &'static [u8]>,
    id: u64,
    cursor: &mut i64,
    end: i64,
    group: &std::collections::BTreeMap<String, String>,
    evals: &mut [&mut Evaluation],
) -> Result<(), StoreError> {
    let Some((table, unit)) = rollups.levels.get(level) else {
        scan_points(points, id, *cursor, end, group, evals)?;
        *cursor = end;
        return Ok(());
    };
    let (first, last_end) = (
        rollup::start_at_or_after(*cursor, *unit),
        rollup::start_of(end, *unit),
    );
    if first < last_end {
        for row in table.range((id, first)..(id, last_end)).map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let start = k.value().1;
            if !evals.iter().all(|e| e.in_one_bucket(start, *unit)) {
                continue;
            }
            let summary = rollup::decode(v.value())?;
            if !evals.iter().all(|e| e.accepts(&summary)) {
                continue;
            }
            feed(rollups, level + 1, points, id, cursor, start, group, evals)?;
            for eval in evals.iter_mut() {
                eval.push_rollup(group, start, &summary)?;
            }
            *cursor = start + unit;
        }
    }
    feed(rollups, level + 1, points, id, cursor, end, group, evals)
}

/// Feed the points of series `id` in `[from, to)` to `evals`.
fn scan_points(
    points: &impl ReadableTable<(u64, i64), &'static [u8]>,
    id: u64,
    from: i64,
    to: i64,
    group: &std::collections::BTreeMap<String, String>,
    evals: &mut [&mut Evaluation],
) -> Result<(), StoreError> {
    if from >= to {
        return Ok(());
    }
    for row in points.range((id, from)..(id, to)).map_err(db_err)? {
        let (k, v) = row.map_err(db_err)?;
        let fields = decode_fields(v.value())?;
        for eval in evals.iter_mut() {
            eval.push(group, k.value().1, &fields)?;
        }
    }
    Ok(())
}

/// The newest live point of the series matching `tags`; at equal times the series first in
/// tag-set order.
pub fn latest(
    db: &Database,
    retention: Retention,
    measurement: &str,
    tags: &[(String, String)],
    cutoff_us: i64,
) -> Result<Option<Point>, StoreError> {
    let txn = db.begin_read().map_err(db_err)?;
    let series = find_series(
        &txn.open_multimap_table(TAG_INDEX).map_err(db_err)?,
        &txn.open_multimap_table(MEASUREMENT_INDEX).map_err(db_err)?,
        &txn.open_table(SERIES_META).map_err(db_err)?,
        retention,
        measurement,
        tags,
    )?;
    let points = txn.open_table(POINTS).map_err(db_err)?;
    let mut newest: Option<(i64, SeriesKey, Vec<u8>)> = None;
    for (id, key) in series {
        let Some(row) = points
            .range((id, cutoff_us)..=(id, i64::MAX))
            .map_err(db_err)?
            .next_back()
        else {
            continue;
        };
        let (k, v) = row.map_err(db_err)?;
        let time_us = k.value().1;
        if newest.as_ref().is_none_or(|(t, _, _)| time_us > *t) {
            newest = Some((time_us, key, v.value().to_vec()));
        }
    }
    newest
        .map(|(time_us, key, fields)| {
            Ok(Point {
                retention: key.retention,
                measurement: key.measurement,
                tags: key.tags,
                fields: decode_fields(&fields)?,
                time_us,
            })
        })
        .transpose()
}
