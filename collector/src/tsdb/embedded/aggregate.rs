//! Sans-IO query evaluation: time buckets and the per-bucket reducers.
//!
//! The read path feeds `(series tags, time, fields)` in; [`Evaluation::finish`] returns the
//! [`Series`] InfluxDB 1.x would return for the same data (see `docs/architecture.md`,
//! "Embedded time-series store", for every rule and why).

use super::rollup::{FieldRollup, Rollup, Sum as RollupSum};
use crate::tsdb::{Agg, FieldValue, Query, Row, Series, StoreError};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

/// More buckets than this in one query is refused: it would only ever be a mistake (a year
/// of one-second buckets) and would allocate per bucket.
pub const MAX_BUCKETS: i64 = 100_000;

/// The bucket layout of a query: aligned to multiples of the width since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buckets {
    /// Start of the first bucket (the one holding `start_us`); `start_us` when unbucketed.
    first_us: i64,
    /// Bucket width; `None` for one bucket over the whole range.
    width_us: Option<i64>,
    /// Number of buckets (≥ 1).
    count: usize,
}

impl Buckets {
    /// The buckets of `[start_us, end_us)`, or why the query is invalid.
    #[cfg(test)]
    pub fn new(start_us: i64, end_us: i64, width_us: Option<i64>) -> Result<Self, StoreError> {
        Self::with_offset(start_us, end_us, width_us, 0)
    }

    /// The buckets of `[start_us, end_us)` with boundaries at `offset_us + k * width`, or
    /// why the query is invalid.
    pub fn with_offset(
        start_us: i64,
        end_us: i64,
        width_us: Option<i64>,
        offset_us: i64,
    ) -> Result<Self, StoreError> {
        if start_us >= end_us {
            return Err(StoreError::InvalidQuery(format!(
                "empty time range: start {start_us} µs is not before end {end_us} µs"
            )));
        }
        let Some(width) = width_us else {
            return Ok(Buckets {
                first_us: start_us,
                width_us: None,
                count: 1,
            });
        };
        if width <= 0 {
            return Err(StoreError::InvalidQuery(format!(
                "bucket width must be positive, got {width} µs"
            )));
        }
        let offset = offset_us.rem_euclid(width);
        let first = (start_us - offset).div_euclid(width) * width + offset;
        let last = (end_us - 1 - offset).div_euclid(width) * width + offset;
        let count = (i128::from(last) - i128::from(first)) / i128::from(width) + 1;
        if count > i128::from(MAX_BUCKETS) {
            return Err(StoreError::InvalidQuery(format!(
                "{count} buckets of {width} µs requested; at most {MAX_BUCKETS} are allowed"
            )));
        }
        let count = usize::try_from(count).expect("bounded by MAX_BUCKETS");
        Ok(Buckets {
            first_us: first,
            width_us: Some(width),
            count,
        })
    }

    /// The index of the bucket holding `time_us` (which must lie in the query's range).
    pub fn index(&self, time_us: i64) -> usize {
        match self.width_us {
            None => 0,
            Some(width) => usize::try_from((time_us - self.first_us) / width)
                .expect("time inside the query range"),
        }
    }

    /// The start time of bucket `index`.
    pub fn start(&self, index: usize) -> i64 {
        let index = i64::try_from(index).expect("bounded by MAX_BUCKETS");
        self.first_us + index * self.width_us.unwrap_or(0)
    }

    pub fn count(&self) -> usize {
        self.count
    }
}

/// One query being evaluated: groups of buckets of reducers, filled as points arrive.
#[derive(Debug)]
pub struct Evaluation {
    aggs: Vec<Agg>,
    field_names: Vec<String>,
    group_by: Vec<String>,
    buckets: Buckets,
    /// Group tags → `buckets.count * aggs.len()` reducers, created on first value.
    groups: BTreeMap<BTreeMap<String, String>, Vec<Option<Reducer>>>,
    /// Order in which values arrive, to break time ties deterministically (see `Reducer`).
    arrival: u64,
}

impl Evaluation {
    pub fn new(query: &Query) -> Result<Self, StoreError> {
        if query.fields.is_empty() {
            return Err(StoreError::InvalidQuery("no field selected".into()));
        }
        let buckets = Buckets::with_offset(
            query.start_us,
            query.end_us,
            query.bucket_us,
            query.bucket_offset_us,
        )?;
        let mut group_by = query.group_by_tags.clone();
        group_by.sort();
        group_by.dedup();
        Ok(Evaluation {
            aggs: query.fields.iter().map(|(_, agg)| *agg).collect(),
            field_names: query.fields.iter().map(|(name, _)| name.clone()).collect(),
            group_by,
            buckets,
            groups: BTreeMap::new(),
            arrival: 0,
        })
    }

    /// The group a series with these tags belongs to: every group-by key, with `""` for a
    /// tag the series does not have (as InfluxDB).
    pub fn group_of(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        self.group_by
            .iter()
            .map(|k| (k.clone(), tags.get(k).cloned().unwrap_or_default()))
            .collect()
    }

    /// Feed one stored point (inside the query range) of a series in `group`.
    ///
    /// Callers feed points of one group in time order, series in tag-set order, so ties in
    /// time are broken by series as InfluxDB's merge does.
    pub fn push(
        &mut self,
        group: &BTreeMap<String, String>,
        time_us: i64,
        fields: &BTreeMap<String, FieldValue>,
    ) -> Result<(), StoreError> {
        let width = self.aggs.len();
        let bucket = self.buckets.index(time_us);
        let mut selected = self
            .field_names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| fields.get(name).map(|v| (i, v)))
            .peekable();
        if selected.peek().is_none() {
            return Ok(());
        }
        if !self.groups.contains_key(group) {
            let cells = (0..width * self.buckets.count()).map(|_| None).collect();
            self.groups.insert(group.clone(), cells);
        }
        let cells = self.groups.get_mut(group).expect("inserted above");
        for (i, value) in selected {
            self.arrival += 1;
            let cell = cells[bucket * width + i].get_or_insert_with(|| Reducer::new(self.aggs[i]));
            cell.push(time_us, self.arrival, value)
                .map_err(|e| e.in_field(&self.field_names[i]))?;
        }
        Ok(())
    }

    /// Whether hourly rollups can answer this evaluation at all (`MODE` needs every point).
    pub fn takes_rollups(&self) -> bool {
        !self.aggs.contains(&Agg::Mode)
    }

    /// Whether `[start_us, start_us + len_us)` (inside the query's range) lies in one
    /// bucket.
    pub fn in_one_bucket(&self, start_us: i64, len_us: i64) -> bool {
        self.buckets.index(start_us) == self.buckets.index(start_us + len_us - 1)
    }

    /// Whether `rollup` can stand for its hour's points: `COUNT(DISTINCT)` of numbers
    /// has no distinct set in a rollup.
    pub fn accepts(&self, rollup: &Rollup) -> bool {
        self.field_names
            .iter()
            .zip(&self.aggs)
            .all(|(name, agg)| match rollup.get(name) {
                None => true,
                Some(r) => {
                    *agg != Agg::Mode && (*agg != Agg::CountDistinct || r.distinct.is_some())
                }
            })
    }

    /// Feed the rollup of one hour starting at `hour_us` (in one bucket, accepted) of a
    /// series in `group`, instead of its points.
    pub fn push_rollup(
        &mut self,
        group: &BTreeMap<String, String>,
        hour_us: i64,
        rollup: &Rollup,
    ) -> Result<(), StoreError> {
        let width = self.aggs.len();
        let bucket = self.buckets.index(hour_us);
        let selected: Vec<(usize, &FieldRollup)> = self
            .field_names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| rollup.get(name).map(|r| (i, r)))
            .collect();
        if selected.is_empty() {
            return Ok(());
        }
        if !self.groups.contains_key(group) {
            let cells = (0..width * self.buckets.count()).map(|_| None).collect();
            self.groups.insert(group.clone(), cells);
        }
        let cells = self.groups.get_mut(group).expect("inserted above");
        for (i, r) in selected {
            self.arrival += 1;
            let cell = cells[bucket * width + i].get_or_insert_with(|| Reducer::new(self.aggs[i]));
            cell.merge(self.aggs[i], r, self.arrival)
                .map_err(|e| e.in_field(&self.field_names[i]))?;
        }
        Ok(())
    }

    /// The result: one [`Series`] per group that received at least one value, sorted by
    /// tags, each with every bucket of the range.
    pub fn finish(self) -> Vec<Series> {
        let width = self.aggs.len();
        let buckets = self.buckets;
        let aggs = self.aggs;
        self.groups
            .into_iter()
            .map(|(tags, cells)| {
                let mut cells = cells.into_iter();
                let rows = (0..buckets.count())
                    .map(|b| Row {
                        time_us: buckets.start(b),
                        values: aggs
                            .iter()
                            .zip(cells.by_ref().take(width))
                            .map(|(agg, cell)| match cell {
                                Some(reducer) => Some(reducer.finish()),
                                None => empty_bucket_value(*agg),
                            })
                            .collect(),
                    })
                    .collect();
                Series { tags, rows }
            })
            .collect()
    }
}

/// InfluxDB 1.x fills empty buckets with null, except that `COUNT` (and so
/// `COUNT(DISTINCT)`) counts zero points.
fn empty_bucket_value(agg: Agg) -> Option<FieldValue> {
    match agg {
        Agg::Count | Agg::CountDistinct => Some(FieldValue::Int(0)),
        _ => None,
    }
}

/// A value's type does not support the aggregation (InfluxDB refuses these too).
#[derive(Debug)]
pub struct Unsupported {
    agg: Agg,
    kind: &'static str,
}

impl Unsupported {
    fn in_field(self, field: &str) -> StoreError {
        StoreError::InvalidQuery(format!(
            "{:?} is not defined for field `{field}`, which holds {} values",
            self.agg, self.kind
        ))
    }
}

fn kind(value: &FieldValue) -> &'static str {
    match value {
        FieldValue::Float(_) => "float",
        FieldValue::Int(_) => "integer",
        FieldValue::Str(_) => "string",
        FieldValue::Bool(_) => "boolean",
    }
}

/// The running state of one aggregation in one bucket.
#[derive(Debug)]
enum Reducer {
    Mean {
        sum: f64,
        count: u64,
    },
    /// Integers are summed exactly, so the mean does not depend on the order of points.
    MeanInt {
        sum: i128,
        count: u64,
    },
    SumInt(i64),
    SumFloat(f64),
    Count(i64),
    Distinct(HashSet<DistinctKey>),
    /// All values with their time and arrival order: MODE needs the whole bucket.
    Mode(Vec<(i64, u64, FieldValue)>),
    Max(FieldValue),
    Min(FieldValue),
    Last {
        time_us: i64,
        value: FieldValue,
    },
    /// Created but no value yet (the first value decides the variant).
    Fresh(Agg),
}

/// Hashable identity of a value for `COUNT(DISTINCT)`; `-0.0` equals `0.0` as in Go maps.
#[derive(Debug, PartialEq, Eq, Hash)]
enum DistinctKey {
    Float(u64),
    Int(i64),
    Str(String),
    Bool(bool),
}

impl Reducer {
    fn new(agg: Agg) -> Self {
        Reducer::Fresh(agg)
    }

    fn push(&mut self, time_us: i64, arrival: u64, value: &FieldValue) -> Result<(), Unsupported> {
        if let Reducer::Fresh(agg) = *self {
            *self = Self::first(agg, time_us, arrival, value)?;
            return Ok(());
        }
        if let (Reducer::SumInt(sum), FieldValue::Float(v)) = (&*self, value) {
            // A field never changes type (writes enforce it); stay total anyway.
            #[allow(clippy::cast_precision_loss)]
            let as_float = *sum as f64 + v;
            *self = Reducer::SumFloat(as_float);
            return Ok(());
        }
        match (self, value) {
            (Reducer::MeanInt { sum, count }, FieldValue::Int(v)) => {
                *sum += i128::from(*v);
                *count += 1;
            }
            (Reducer::MeanInt { .. }, v) => {
                return Err(Unsupported {
                    agg: Agg::Mean,
                    kind: kind(v),
                });
            }
            (Reducer::Mean { sum, count }, v) => {
                *sum += numeric(Agg::Mean, v)?;
                *count += 1;
            }
            (Reducer::SumInt(sum), FieldValue::Int(v)) => *sum = sum.wrapping_add(*v),
            (Reducer::SumInt(_), v) => {
                return Err(Unsupported {
                    agg: Agg::Sum,
                    kind: kind(v),
                });
            }
            (Reducer::SumFloat(sum), v) => *sum += numeric(Agg::Sum, v)?,
            (Reducer::Count(n), _) => *n += 1,
            (Reducer::Distinct(set), v) => {
                set.insert(distinct_key(v));
            }
            (Reducer::Mode(values), v) => values.push((time_us, arrival, v.clone())),
            (Reducer::Max(best), v) => {
                if compare(Agg::Max, v, best)? == Ordering::Greater {
                    *best = v.clone();
                }
            }
            (Reducer::Min(best), v) => {
                if compare(Agg::Min, v, best)? == Ordering::Less {
                    *best = v.clone();
                }
            }
            (
                Reducer::Last {
                    time_us: t,
                    value: best,
                },
                v,
            ) => {
                // Newest wins; at equal times the larger value (InfluxDB's LAST reducer).
                if time_us > *t
                    || (time_us == *t && compare(Agg::Last, v, best)? == Ordering::Greater)
                {
                    *t = time_us;
                    *best = v.clone();
                }
            }
            (Reducer::Fresh(_), _) => unreachable!("replaced above"),
        }
        Ok(())
    }

    /// Merge an hour's rollup of one field (as if its points were pushed).
    fn merge(&mut self, agg: Agg, r: &FieldRollup, arrival: u64) -> Result<(), Unsupported> {
        #[allow(clippy::cast_possible_wrap)]
        let count = r.count as i64;
        match agg {
            Agg::Mean => {
                let (fsum, isum) = match r.sum {
                    RollupSum::Float(v) => (v, None),
                    #[allow(clippy::cast_precision_loss)]
                    RollupSum::Int { exact, .. } => (exact as f64, Some(exact)),
                    RollupSum::None => {
                        return Err(Unsupported {
                            agg,
                            kind: kind(&r.last),
                        });
                    }
                };
                *self = match (std::mem::replace(self, Reducer::Fresh(agg)), isum) {
                    (Reducer::Fresh(_), Some(i)) => Reducer::MeanInt {
                        sum: i,
                        count: r.count,
                    },
                    (Reducer::Fresh(_), None) => Reducer::Mean {
                        sum: fsum,
                        count: r.count,
                    },
                    (Reducer::MeanInt { sum, count }, Some(i)) => Reducer::MeanInt {
                        sum: sum + i,
                        count: count + r.count,
                    },
                    #[allow(clippy::cast_precision_loss)]
                    (Reducer::MeanInt { sum, count }, None) => Reducer::Mean {
                        sum: sum as f64 + fsum,
                        count: count + r.count,
                    },
                    (Reducer::Mean { sum, count }, _) => Reducer::Mean {
                        sum: sum + fsum,
                        count: count + r.count,
                    },
                    (other, _) => other,
                };
            }
            Agg::Sum => match (&mut *self, r.sum) {
                (Reducer::Fresh(_), RollupSum::Int { wrapping, .. }) => {
                    *self = Reducer::SumInt(wrapping);
                }
                (Reducer::Fresh(_), RollupSum::Float(v)) => *self = Reducer::SumFloat(v),
                (Reducer::SumInt(s), RollupSum::Int { wrapping, .. }) => {
                    *s = s.wrapping_add(wrapping);
                }
                #[allow(clippy::cast_precision_loss)]
                (Reducer::SumInt(s), RollupSum::Float(v)) => {
                    *self = Reducer::SumFloat(*s as f64 + v);
                }
                (Reducer::SumFloat(s), RollupSum::Float(v)) => *s += v,
                #[allow(clippy::cast_precision_loss)]
                (Reducer::SumFloat(s), RollupSum::Int { exact, .. }) => *s += exact as f64,
                (_, _) => {
                    return Err(Unsupported {
                        agg,
                        kind: kind(&r.last),
                    });
                }
            },
            Agg::Count => match self {
                Reducer::Count(n) => *n += count,
                _ => *self = Reducer::Count(count),
            },
            Agg::CountDistinct => {
                for v in r.distinct.iter().flatten() {
                    self.push(r.last_us, arrival, v)?;
                }
            }
            Agg::Max => self.push(r.last_us, arrival, &r.max)?,
            Agg::Min => self.push(r.last_us, arrival, &r.min)?,
            Agg::Last => self.push(r.last_us, arrival, &r.last)?,
            Agg::Mode => unreachable!("rollups are not offered to MODE"),
        }
        Ok(())
    }

    fn first(
        agg: Agg,
        time_us: i64,
        arrival: u64,
        value: &FieldValue,
    ) -> Result<Self, Unsupported> {
        Ok(match agg {
            Agg::Mean => match value {
                FieldValue::Int(v) => Reducer::MeanInt {
                    sum: i128::from(*v),
                    count: 1,
                },
                v => Reducer::Mean {
                    sum: numeric(agg, v)?,
                    count: 1,
                },
            },
            Agg::Sum => match value {
                FieldValue::Int(v) => Reducer::SumInt(*v),
                v => Reducer::SumFloat(numeric(agg, v)?),
            },
            Agg::Count => Reducer::Count(1),
            Agg::CountDistinct => Reducer::Distinct(HashSet::from([distinct_key(value)])),
            Agg::Mode => Reducer::Mode(vec![(time_us, arrival, value.clone())]),
            Agg::Max | Agg::Min => {
                if matches!(value, FieldValue::Str(_)) {
                    return Err(Unsupported {
                        agg,
                        kind: "string",
                    });
                }
                if agg == Agg::Max {
                    Reducer::Max(value.clone())
                } else {
                    Reducer::Min(value.clone())
                }
            }
            Agg::Last => Reducer::Last {
                time_us,
                value: value.clone(),
            },
        })
    }

    fn finish(self) -> FieldValue {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Reducer::Mean { sum, count } => FieldValue::Float(sum / count as f64),
            #[allow(clippy::cast_precision_loss)]
            Reducer::MeanInt { sum, count } => FieldValue::Float(sum as f64 / count as f64),
            Reducer::SumInt(v) | Reducer::Count(v) => FieldValue::Int(v),
            Reducer::SumFloat(v) => FieldValue::Float(v),
            Reducer::Distinct(set) => {
                FieldValue::Int(i64::try_from(set.len()).expect("fits in memory"))
            }
            Reducer::Mode(values) => mode(values),
            Reducer::Max(v) | Reducer::Min(v) | Reducer::Last { value: v, .. } => v,
            Reducer::Fresh(_) => unreachable!("a reducer exists only once it has a value"),
        }
    }
}

/// The value for MEAN and SUM: integers and floats only, as InfluxDB.
fn numeric(agg: Agg, value: &FieldValue) -> Result<f64, Unsupported> {
    match value {
        FieldValue::Float(v) => Ok(*v),
        #[allow(clippy::cast_precision_loss)]
        FieldValue::Int(v) => Ok(*v as f64),
        v => Err(Unsupported { agg, kind: kind(v) }),
    }
}

fn distinct_key(value: &FieldValue) -> DistinctKey {
    match value {
        FieldValue::Float(v) => DistinctKey::Float(if *v == 0.0 { 0 } else { v.to_bits() }),
        FieldValue::Int(v) => DistinctKey::Int(*v),
        FieldValue::Str(s) => DistinctKey::Str(s.clone()),
        FieldValue::Bool(b) => DistinctKey::Bool(*b),
    }
}

/// Order two values of one field (same type; integers exactly, never through `f64`).
fn compare(agg: Agg, a: &FieldValue, b: &FieldValue) -> Result<Ordering, Unsupported> {
    Ok(match (a, b) {
        (FieldValue::Int(x), FieldValue::Int(y)) => x.cmp(y),
        (FieldValue::Bool(x), FieldValue::Bool(y)) => x.cmp(y),
        (FieldValue::Str(x), FieldValue::Str(y)) if agg == Agg::Last || agg == Agg::Mode => {
            x.cmp(y)
        }
        (FieldValue::Str(_), _) | (_, FieldValue::Str(_)) => {
            return Err(Unsupported {
                agg,
                kind: "string",
            });
        }
        (x, y) => numeric(agg, x)?.total_cmp(&numeric(agg, y)?),
    })
}

/// `MODE()` as InfluxDB 1.x computes it (`query/call_iterator.go`, `*ModeReduceSlice`):
/// the values are sorted by value (equal values keep time order) and scanned run by run; a
/// later (larger) run replaces the current mode when it is more frequent, or equally
/// frequent and its first point is not newer than the point at which the current mode
/// reached its count. Booleans: `true` unless `false` is strictly more frequent.
fn mode(mut values: Vec<(i64, u64, FieldValue)>) -> FieldValue {
    if values.len() == 1 {
        return values.pop().expect("one value").2;
    }
    if let FieldValue::Bool(_) = values[0].2 {
        let trues = values
            .iter()
            .filter(|v| v.2 == FieldValue::Bool(true))
            .count();
        return FieldValue::Bool(trues * 2 >= values.len());
    }
    values.sort_by_key(|v| (v.0, v.1));
    values.sort_by(|a, b| compare(Agg::Mode, &a.2, &b.2).unwrap_or(Ordering::Equal));
    let mut best: Option<(usize, i64, usize)> = None; // (count, time reached, index)
    let mut run_start = 0;
    while run_start < values.len() {
        let run_len = values[run_start..]
            .iter()
            .take_while(|v| v.2 == values[run_start].2)
            .count();
        let first_time = values[run_start].0;
        // The first run competes from its first point, later runs from their second.
        let from = if run_start == 0 { 1 } else { 2 };
        for n in from..=run_len {
            let replaces = match best {
                None => true,
                Some((count, reached, _)) => n > count || (n == count && first_time <= reached),
            };
            if replaces {
                best = Some((n, values[run_start + n - 1].0, run_start));
            }
        }
        run_start += run_len;
    }
    let (_, _, index) = best.expect("at least two values");
    values.swap_remove(index).2
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
