//! Hourly rollups: per series and UTC hour, a mergeable summary of every field (count,
//! sum, min, max, last, distinct strings), so that a long chart reads one row per hour
//! instead of every point (a year of 5-minute data: 8 760 rows instead of 105 120).
//!
//! Rollups are an index, never the truth: a query uses the rollup of an hour only when it
//! exists and the hour lies wholly inside one bucket of every evaluation; otherwise it
//! reads the points. So a missing rollup costs time, never correctness, and the one rule
//! that keeps them right is that a rollup never outlives a change to its hour:
//!
//! - rollups are built by the retention sweep (in the writer thread, like every write) for
//!   hours before `below`, a bound the sweep raises (persisted as `rollup_below` in `meta`
//!   before any rollup above the old bound is built);
//! - a write of a point before `below` (a late sample: backlog, clock fixed) deletes the
//!   rollup of its hour in the same transaction and records the hour as stale; the next
//!   sweep rebuilds it from the points.

use super::layout::{META, db_err};
use crate::tsdb::{FieldValue, StoreError};
use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The rollup units.
pub const HOUR_US: i64 = 3_600_000_000;
pub const DAY_US: i64 = 24 * HOUR_US;

/// `(series id, hour start µs)` → postcard of [`Rollup`].
pub const ROLLUPS: TableDefinition<(u64, i64), &[u8]> = TableDefinition::new("rollups");
/// `(series id, UTC day start µs)` → postcard of [`Rollup`]: the same over a whole day
/// (a year is 365 rows), built from the day's points once the day is complete.
pub const DAYS: TableDefinition<(u64, i64), &[u8]> = TableDefinition::new("rollups_day");
/// `(series id, hour start µs)` of rollups deleted by a late write, to rebuild.
pub const STALE: TableDefinition<(u64, i64), ()> = TableDefinition::new("rollups_stale");
/// `meta` key: hours before it may have rollups, so writes before it invalidate.
pub const ROLLUP_BELOW: &str = "rollup_below";

/// Sweeps build rollups only for hours that ended this long ago, so that samples a little
/// late (an agent's retry) rarely invalidate a fresh rollup.
pub const SETTLE_US: i64 = 15 * 60 * 1_000_000;

/// The start of the hour holding `t`.
pub fn hour_of(t: i64) -> i64 {
    start_of(t, HOUR_US)
}

/// The first hour start at or after `t`.
pub fn hour_at_or_after(t: i64) -> i64 {
    start_at_or_after(t, HOUR_US)
}

/// The start of the `unit` (hour or day) holding `t`.
pub fn start_of(t: i64, unit: i64) -> i64 {
    t.div_euclid(unit) * unit
}

/// The first `unit` start at or after `t`.
pub fn start_at_or_after(t: i64, unit: i64) -> i64 {
    let s = start_of(t, unit);
    if s == t { s } else { s.saturating_add(unit) }
}

/// The summary of one field over one hour of one series.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldRollup {
    pub count: u64,
    pub sum: Sum,
    pub min: FieldValue,
    pub max: FieldValue,
    pub last_us: i64,
    pub last: FieldValue,
    /// Distinct values, for strings and booleans only (`COUNT(DISTINCT)` of numbers reads
    /// the points).
    pub distinct: Option<Vec<FieldValue>>,
}

/// The sum of a field's values as each aggregation needs it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Sum {
    Float(f64),
    /// Exact (for `MEAN`) and wrapping (for `SUM`, as InfluxDB's int64).
    Int {
        exact: i128,
        wrapping: i64,
    },
    /// Strings and booleans have no sum.
    None,
}

/// One series' hour: field name → summary.
pub type Rollup = BTreeMap<String, FieldRollup>;

/// Order values of one field for min/max: integers exactly, floats totally, strings and
/// booleans naturally (the reducers refuse what InfluxDB refuses).
fn order(a: &FieldValue, b: &FieldValue) -> Ordering {
    match (a, b) {
        (FieldValue::Int(x), FieldValue::Int(y)) => x.cmp(y),
        (FieldValue::Float(x), FieldValue::Float(y)) => x.total_cmp(y),
        (FieldValue::Str(x), FieldValue::Str(y)) => x.cmp(y),
        (FieldValue::Bool(x), FieldValue::Bool(y)) => x.cmp(y),
        // A field never changes type (writes enforce it); any fixed order will do.
        _ => Ordering::Equal,
    }
}

impl FieldRollup {
    fn new(time_us: i64, value: &FieldValue) -> Self {
        FieldRollup {
            count: 1,
            sum: match value {
                FieldValue::Float(v) => Sum::Float(*v),
                FieldValue::Int(v) => Sum::Int {
                    exact: i128::from(*v),
                    wrapping: *v,
                },
                _ => Sum::None,
            },
            min: value.clone(),
            max: value.clone(),
            last_us: time_us,
            last: value.clone(),
            distinct: matches!(value, FieldValue::Str(_) | FieldValue::Bool(_))
                .then(|| vec![value.clone()]),
        }
    }

    /// Add the next point's value (points come in time order).
    fn add(&mut self, time_us: i64, value: &FieldValue) {
        self.count += 1;
        match (&mut self.sum, value) {
            (Sum::Float(s), FieldValue::Float(v)) => *s += v,
            (Sum::Int { exact, wrapping }, FieldValue::Int(v)) => {
                *exact += i128::from(*v);
                *wrapping = wrapping.wrapping_add(*v);
            }
            _ => {}
        }
        if order(value, &self.min) == Ordering::Less {
            self.min = value.clone();
        }
        if order(value, &self.max) == Ordering::Greater {
            self.max = value.clone();
        }
        if time_us > self.last_us
            || (time_us == self.last_us && order(value, &self.last) == Ordering::Greater)
        {
            self.last_us = time_us;
            self.last = value.clone();
        }
        if let Some(set) = &mut self.distinct
            && !set.contains(value)
        {
            set.push(value.clone());
        }
    }
}

/// Summarise points given in time order.
pub fn summarise<'a>(
    points: impl IntoIterator<Item = (i64, &'a BTreeMap<String, FieldValue>)>,
) -> Rollup {
    let mut rollup = Rollup::new();
    for (time_us, fields) in points {
        for (name, value) in fields {
            match rollup.get_mut(name) {
                Some(r) => r.add(time_us, value),
                None => {
                    rollup.insert(name.clone(), FieldRollup::new(time_us, value));
                }
            }
        }
    }
    rollup
}

pub fn encode(rollup: &Rollup) -> Vec<u8> {
    postcard::to_allocvec(rollup).expect("a rollup always serialises")
}

pub fn decode(bytes: &[u8]) -> Result<Rollup, StoreError> {
    postcard::from_bytes(bytes)
        .map_err(|e| StoreError::Unavailable(format!("embedded store: undecodable rollup: {e}")))
}

/// The persisted bound (0 when no rollup was ever built).
pub fn load_below(txn: &WriteTransaction) -> Result<i64, StoreError> {
    let meta = txn.open_table(META).map_err(db_err)?;
    Ok(meta
        .get(ROLLUP_BELOW)
        .map_err(db_err)?
        .map_or(0, |v| i64::try_from(v.value()).unwrap_or(i64::MAX)))
}

/// Persist a raised bound (in the transaction that builds the first rollups under it).
pub fn store_below(txn: &WriteTransaction, below: i64) -> Result<(), StoreError> {
    let mut meta = txn.open_table(META).map_err(db_err)?;
    meta.insert(ROLLUP_BELOW, u64::try_from(below.max(0)).unwrap_or(0))
        .map_err(db_err)?;
    Ok(())
}

/// A write to `(id, time_us)` below the bound: drop the hour's rollup, mark it stale.
pub fn invalidate(tables: &mut Tables<'_>, id: u64, time_us: i64) -> Result<(), StoreError> {
    let hour = hour_of(time_us);
    let had_hour = tables.rollups.remove((id, hour)).map_err(db_err)?.is_some();
    let had_day = tables
        .days
        .remove((id, start_of(time_us, DAY_US)))
        .map_err(db_err)?
        .is_some();
    if had_hour || had_day {
        tables.stale.insert((id, hour), ()).map_err(db_err)?;
    }
    Ok(())
}

/// Build the rollups of series `id` for hours in `[from, below)` and its stale hours
/// before `below`, and drop those wholly older than `cutoff` (expired). Returns the points
/// read.
pub fn build_series(
    tables: &mut Tables<'_>,
    points: &Table<(u64, i64), &[u8]>,
    id: u64,
    from: i64,
    below: i64,
    cutoff: i64,
) -> Result<usize, StoreError> {
    let Tables {
        rollups,
        days,
        stale,
    } = tables;
    // Expired hours: every point of the hour is older than the cutoff.
    let expired_below = cutoff.saturating_sub(HOUR_US).saturating_add(1);
    rollups
        .retain_in((id, i64::MIN)..(id, expired_below), |_, _| false)
        .map_err(db_err)?;
    let expired_days_below = cutoff.saturating_sub(DAY_US).saturating_add(1);
    days.retain_in((id, i64::MIN)..(id, expired_days_below), |_, _| false)
        .map_err(db_err)?;
    let stale_hours: Vec<i64> = stale
        .range((id, i64::MIN)..(id, below))
        .map_err(db_err)?
        .map(|row| row.map(|(k, _)| k.value().1).map_err(db_err))
        .collect::<Result<_, _>>()?;
    let mut spans: Vec<(i64, i64)> = stale_hours
        .iter()
        .filter(|h| **h < from && **h + HOUR_US > cutoff)
        .map(|h| (*h, h + HOUR_US))
        .collect();
    let start = hour_at_or_after(from.max(cutoff));
    if start < below {
        spans.push((start, below));
    }
    // Complete days touched by this build: those of the span and of stale hours.
    let mut touched_days: Vec<i64> = stale_hours.iter().map(|h| start_of(*h, DAY_US)).collect();
    if start < below {
        let mut d = start_of(start, DAY_US);
        while d < below {
            touched_days.push(d);
            d += DAY_US;
        }
    }
    touched_days.sort_unstable();
    touched_days.dedup();
    touched_days.retain(|d| d + DAY_US <= below && d + DAY_US > cutoff);
    for h in stale_hours {
        stale.remove((id, h)).map_err(db_err)?;
    }
    let mut read = 0;
    for d in touched_days {
        let mut rows: Vec<(i64, BTreeMap<String, FieldValue>)> = Vec::new();
        for row in points.range((id, d)..(id, d + DAY_US)).map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            read += 1;
            rows.push((k.value().1, super::layout::decode_fields(v.value())?));
        }
        if rows.is_empty() {
            days.remove((id, d)).map_err(db_err)?;
        } else {
            put(days, id, Some(d), &rows)?;
        }
    }
    for (a, b) in spans {
        let mut hour = None;
        let mut rows: Vec<(i64, BTreeMap<String, FieldValue>)> = Vec::new();
        for row in points.range((id, a)..(id, b)).map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let t = k.value().1;
            read += 1;
            if hour.is_some_and(|h| hour_of(t) != h) {
                put(rollups, id, hour, &rows)?;
                rows.clear();
            }
            hour = Some(hour_of(t));
            rows.push((t, super::layout::decode_fields(v.value())?));
        }
        put(rollups, id, hour, &rows)?;
    }
    Ok(read)
}

fn put(
    rollups: &mut Table<(u64, i64), &[u8]>,
    id: u64,
    hour: Option<i64>,
    rows: &[(i64, BTreeMap<String, FieldValue>)],
) -> Result<(), StoreError> {
    let Some(hour) = hour else {
        return Ok(());
    };
    let rollup = summarise(rows.iter().map(|(t, f)| (*t, f)));
    rollups
        .insert((id, hour), encode(&rollup).as_slice())
        .map_err(db_err)?;
    Ok(())
}

/// The rollup tables, open in one write transaction.
pub struct Tables<'txn> {
    pub rollups: Table<'txn, (u64, i64), &'static [u8]>,
    pub days: Table<'txn, (u64, i64), &'static [u8]>,
    pub stale: Table<'txn, (u64, i64), ()>,
}

impl<'txn> Tables<'txn> {
    pub fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(Tables {
            rollups: txn.open_table(ROLLUPS).map_err(db_err)?,
            days: txn.open_table(DAYS).map_err(db_err)?,
            stale: txn.open_table(STALE).map_err(db_err)?,
        })
    }
}

/// Remove every rollup of an unlinked series.
pub fn remove_series(tables: &mut Tables<'_>, id: u64) -> Result<(), StoreError> {
    let Tables {
        rollups,
        days,
        stale,
    } = tables;
    days.retain_in((id, i64::MIN)..=(id, i64::MAX), |_, _| false)
        .map_err(db_err)?;
    rollups
        .retain_in((id, i64::MIN)..=(id, i64::MAX), |_, _| false)
        .map_err(db_err)?;
    stale
        .retain_in((id, i64::MIN)..=(id, i64::MAX), |_, ()| false)
        .map_err(db_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, FieldValue)]) -> BTreeMap<String, FieldValue> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn hours() {
        assert_eq!(hour_of(0), 0);
        assert_eq!(hour_of(HOUR_US - 1), 0);
        assert_eq!(hour_of(-1), -HOUR_US);
        assert_eq!(hour_at_or_after(0), 0);
        assert_eq!(hour_at_or_after(1), HOUR_US);
        assert_eq!(hour_at_or_after(HOUR_US), HOUR_US);
    }

    #[test]
    fn summaries_of_each_type() {
        let first = f(&[
            ("x", FieldValue::Float(1.5)),
            ("n", FieldValue::Int(i64::MAX)),
            ("s", FieldValue::Str("b".into())),
        ]);
        let second = f(&[
            ("x", FieldValue::Float(-2.0)),
            ("n", FieldValue::Int(1)),
            ("s", FieldValue::Str("a".into())),
            ("on", FieldValue::Bool(true)),
        ]);
        let third = f(&[("s", FieldValue::Str("b".into()))]);
        let r = summarise([(10, &first), (20, &second), (30, &third)]);
        let x = &r["x"];
        assert_eq!((x.count, x.sum), (2, Sum::Float(-0.5)));
        assert_eq!(
            (&x.min, &x.max),
            (&FieldValue::Float(-2.0), &FieldValue::Float(1.5))
        );
        assert_eq!((x.last_us, &x.last), (20, &FieldValue::Float(-2.0)));
        assert_eq!(x.distinct, None);
        let n = &r["n"];
        assert_eq!(
            n.sum,
            Sum::Int {
                exact: i128::from(i64::MAX) + 1,
                wrapping: i64::MIN
            }
        );
        let s = &r["s"];
        assert_eq!(s.count, 3);
        assert_eq!(s.sum, Sum::None);
        assert_eq!(
            s.distinct,
            Some(vec![
                FieldValue::Str("b".into()),
                FieldValue::Str("a".into())
            ])
        );
        assert_eq!((s.last_us, &s.last), (30, &FieldValue::Str("b".into())));
        assert_eq!(r["on"].count, 1);
        assert_eq!(decode(&encode(&r)).unwrap(), r);
    }
}
