//! Model-based property test: random points written in random batches, then random
//! queries, answered by the embedded store and by a naive reference evaluation of a plain
//! list of points written here from the `Query` documentation (and InfluxDB's reducers).

use edgemon_collector::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, ManualClock};
use edgemon_collector::tsdb::{
    Agg, FieldValue, Point, Query, Retention, Row, Series, StoreError, TagFilter, TimeSeries,
};
use proptest::prelude::*;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[allow(clippy::cast_precision_loss)]
fn float(v: impl TryInto<i64, Error: std::fmt::Debug>) -> f64 {
    v.try_into().unwrap() as f64
}

fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap()
}

const NOW: i64 = 1_767_225_600_000_000;
const HOUR: i64 = 3_600_000_000;
/// Times are drawn in `[NOW - 2 h, NOW)` on a coarse grid so timestamps collide.
const STEP: i64 = 5 * 60_000_000;

type Tags = BTreeMap<String, String>;
/// Matching points of one group: `(time, series tags, fields)`.
type GroupPoints<'a> = Vec<(i64, Tags, &'a BTreeMap<String, FieldValue>)>;

// ---------------------------------------------------------------- generators

fn field_value(name: &str) -> BoxedStrategy<FieldValue> {
    match name {
        "i" => prop_oneof![(-3_i64..4), Just(i64::MAX - 1), Just(i64::MIN + 1)]
            .prop_map(FieldValue::Int)
            .boxed(),
        "f" => (-6_i32..7)
            .prop_map(|v| FieldValue::Float(f64::from(v) * 0.5))
            .boxed(),
        "s" => prop::sample::select(vec!["gsm", "lte", "umts"])
            .prop_map(|s| FieldValue::Str(s.into()))
            .boxed(),
        _ => any::<bool>().prop_map(FieldValue::Bool).boxed(),
    }
}

fn point() -> impl Strategy<Value = Point> {
    let fields = prop::collection::btree_map(
        prop::sample::select(vec!["i", "f", "s", "b"]),
        Just(()),
        1..4,
    )
    .prop_flat_map(|names| {
        names
            .into_keys()
            .map(|n| field_value(n).prop_map(move |v| (n.to_owned(), v)))
            .collect::<Vec<_>>()
    });
    (
        prop::sample::select(vec!["m1", "m2"]),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["a", "b", "c", ""])),
        prop::option::of(prop::sample::select(vec!["x", "y"])),
        0_i64..24,
        fields,
    )
        .prop_map(|(measurement, short, dev, ifname, slot, fields)| {
            let mut p = Point::new(measurement, NOW - 2 * HOUR + slot * STEP);
            if short {
                p = p.retention(Retention::Short);
            }
            if let Some(dev) = dev {
                p = p.tag("dev", dev);
            }
            if let Some(ifname) = ifname {
                p = p.tag("if", ifname);
            }
            p.fields = fields.into_iter().collect();
            p
        })
}

fn agg() -> impl Strategy<Value = Agg> {
    prop::sample::select(vec![
        Agg::Mean,
        Agg::Sum,
        Agg::Count,
        Agg::CountDistinct,
        Agg::Mode,
        Agg::Max,
        Agg::Min,
        Agg::Last,
    ])
}

fn query() -> impl Strategy<Value = Query> {
    (
        prop::sample::select(vec!["m1", "m2"]),
        any::<bool>(),
        prop::collection::vec(
            prop::sample::select(vec![
                ("dev", "a"),
                ("dev", "b"),
                ("dev", ""),
                ("if", "x"),
                ("if", ""),
            ]),
            0..2,
        ),
        prop::collection::vec(
            (prop::sample::select(vec!["i", "f", "s", "b"]), agg()),
            1..4,
        ),
        -2_i64..26,
        1_i64..28,
        prop::option::of(prop::sample::select(vec![1_i64, 3, 7, 12, 100])),
        prop::sample::subsequence(vec!["dev", "if"], 0..=2),
        prop::sample::select(vec![0_i64, 1, -7, STEP / 3, 5 * STEP]),
    )
        .prop_map(
            |(m, short, filters, fields, start, len, bucket, group_by, offset)| Query {
                retention: if short {
                    Retention::Short
                } else {
                    Retention::Default
                },
                measurement: m.into(),
                filters: filters
                    .into_iter()
                    .map(|(k, v)| TagFilter {
                        key: k.into(),
                        value: v.into(),
                    })
                    .collect(),
                fields: fields.into_iter().map(|(f, a)| (f.into(), a)).collect(),
                start_us: NOW - 2 * HOUR + start * STEP,
                end_us: NOW - 2 * HOUR + (start + len) * STEP,
                bucket_us: bucket.map(|b| b * STEP / 2),
                bucket_offset_us: offset,
                group_by_tags: group_by.into_iter().map(Into::into).collect(),
            },
        )
}

// ---------------------------------------------------------------- the model

#[derive(Default)]
struct Model {
    /// `(retention, measurement, tags, time)` → merged fields.
    points: BTreeMap<(Retention, String, Tags, i64), BTreeMap<String, FieldValue>>,
}

fn retention_us(retention: Retention) -> i64 {
    match retention {
        Retention::Short => HOUR,
        Retention::Default => 26_280 * HOUR,
    }
}

impl Model {
    fn write(&mut self, points: &[Point]) {
        for p in points {
            if p.time_us < NOW - retention_us(p.retention) {
                continue;
            }
            let tags: Tags = p
                .tags
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let key = (p.retention, p.measurement.clone(), tags, p.time_us);
            self.points.entry(key).or_default().extend(p.fields.clone());
        }
    }

    fn query(&self, q: &Query) -> Result<Vec<Series>, StoreError> {
        if q.start_us >= q.end_us {
            return Err(StoreError::InvalidQuery("empty range".into()));
        }
        let from = q.start_us.max(NOW - retention_us(q.retention));
        let mut groups: BTreeMap<Tags, GroupPoints> = BTreeMap::new();
        for ((retention, measurement, tags, time), fields) in &self.points {
            let filtered = q.filters.iter().all(|f| {
                tags.get(&f.key)
                    .map_or(f.value.is_empty(), |v| *v == f.value)
            });
            if *retention != q.retention || *measurement != q.measurement || !filtered {
                continue;
            }
            if *time < from || *time >= q.end_us {
                continue;
            }
            if !q.fields.iter().any(|(f, _)| fields.contains_key(f)) {
                continue;
            }
            let group: Tags = q
                .group_by_tags
                .iter()
                .map(|k| (k.clone(), tags.get(k).cloned().unwrap_or_default()))
                .collect();
            groups
                .entry(group)
                .or_default()
                .push((*time, tags.clone(), fields));
        }
        let starts: Vec<i64> = match q.bucket_us {
            None => vec![q.start_us],
            Some(w) => {
                // The boundary at or before the start, counted from the offset.
                let mut first = q.start_us - (q.start_us - q.bucket_offset_us).rem_euclid(w);
                let mut starts = Vec::new();
                while first < q.end_us {
                    starts.push(first);
                    first += w;
                }
                starts
            }
        };
        let mut out = Vec::new();
        for (tags, mut points) in groups {
            points.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            let mut rows = Vec::new();
            for (i, start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(q.end_us);
                let mut values = Vec::new();
                for (field, agg) in &q.fields {
                    let in_bucket: Vec<(i64, FieldValue)> = points
                        .iter()
                        .filter(|(t, _, _)| q.bucket_us.is_none() || (*t >= *start && *t < end))
                        .filter_map(|(t, _, f)| f.get(field).map(|v| (*t, v.clone())))
                        .collect();
                    values.push(reference(*agg, &in_bucket)?);
                }
                rows.push(Row {
                    time_us: *start,
                    values,
                });
            }
            out.push(Series { tags, rows });
        }
        Ok(out)
    }
}

fn as_f64(v: &FieldValue) -> Result<f64, StoreError> {
    match v {
        FieldValue::Int(i) => Ok(float(*i)),
        FieldValue::Float(f) => Ok(*f),
        _ => Err(StoreError::InvalidQuery("type".into())),
    }
}

fn order(a: &FieldValue, b: &FieldValue) -> Ordering {
    match (a, b) {
        (FieldValue::Int(x), FieldValue::Int(y)) => x.cmp(y),
        (FieldValue::Float(x), FieldValue::Float(y)) => x.total_cmp(y),
        (FieldValue::Str(x), FieldValue::Str(y)) => x.cmp(y),
        (FieldValue::Bool(x), FieldValue::Bool(y)) => x.cmp(y),
        _ => unreachable!("one type per field"),
    }
}

/// One aggregation over the `(time, value)`s of a bucket, in (time, series) order.
fn reference(agg: Agg, values: &[(i64, FieldValue)]) -> Result<Option<FieldValue>, StoreError> {
    let type_error = || Err(StoreError::InvalidQuery("type".into()));
    if values.is_empty() {
        return Ok(matches!(agg, Agg::Count | Agg::CountDistinct).then_some(FieldValue::Int(0)));
    }
    let vals: Vec<&FieldValue> = values.iter().map(|(_, v)| v).collect();
    Ok(Some(match agg {
        Agg::Mean if matches!(vals[0], FieldValue::Int(_)) => {
            let sum: i128 = vals
                .iter()
                .map(|v| match v {
                    FieldValue::Int(i) => i128::from(*i),
                    _ => unreachable!("one type per field"),
                })
                .sum();
            #[allow(clippy::cast_precision_loss)]
            let mean = sum as f64 / float(vals.len());
            FieldValue::Float(mean)
        }
        Agg::Mean => {
            let mut sum = 0.0;
            for v in &vals {
                sum += as_f64(v)?;
            }
            FieldValue::Float(sum / float(vals.len()))
        }
        Agg::Sum => match vals[0] {
            FieldValue::Int(_) => FieldValue::Int(vals.iter().fold(0_i64, |s, v| match v {
                FieldValue::Int(i) => s.wrapping_add(*i),
                _ => unreachable!(),
            })),
            FieldValue::Float(_) => {
                FieldValue::Float(vals.iter().map(|v| as_f64(v).unwrap()).sum())
            }
            _ => return type_error(),
        },
        Agg::Count => FieldValue::Int(int(vals.len())),
        Agg::CountDistinct => {
            let distinct: BTreeSet<String> = vals.iter().map(|v| format!("{v:?}")).collect();
            FieldValue::Int(int(distinct.len()))
        }
        Agg::Max | Agg::Min => {
            if matches!(vals[0], FieldValue::Str(_)) {
                return type_error();
            }
            let mut best = vals[0].clone();
            for v in &vals[1..] {
                let o = order(v, &best);
                if (agg == Agg::Max && o == Ordering::Greater)
                    || (agg == Agg::Min && o == Ordering::Less)
                {
                    best = (*v).clone();
                }
            }
            best
        }
        Agg::Last => {
            let mut best = &values[0];
            for p in &values[1..] {
                if p.0 > best.0 || (p.0 == best.0 && order(&p.1, &best.1) == Ordering::Greater) {
                    best = p;
                }
            }
            best.1.clone()
        }
        Agg::Mode => go_mode(values),
    }))
}

/// A line-by-line reading of InfluxDB 1.x's `*ModeReduceSlice` (query/call_iterator.go),
/// with a stable sort by value.
fn go_mode(values: &[(i64, FieldValue)]) -> FieldValue {
    if values.len() == 1 {
        return values[0].1.clone();
    }
    if let FieldValue::Bool(_) = values[0].1 {
        let t = values
            .iter()
            .filter(|v| v.1 == FieldValue::Bool(true))
            .count();
        let f = values.len() - t;
        return FieldValue::Bool(t >= f);
    }
    let mut a = values.to_vec();
    a.sort_by(|x, y| order(&x.1, &y.1));
    let (mut most_freq, mut curr_freq) = (0, 0);
    let mut curr_mode = a[0].1.clone();
    let mut most_mode = a[0].1.clone();
    let (mut most_time, mut curr_time) = (a[0].0, a[0].0);
    for p in &a {
        if p.1 != curr_mode {
            curr_freq = 1;
            curr_mode = p.1.clone();
            curr_time = p.0;
            continue;
        }
        curr_freq += 1;
        if most_freq > curr_freq || (most_freq == curr_freq && curr_time > most_time) {
            continue;
        }
        most_freq = curr_freq;
        most_mode = p.1.clone();
        most_time = p.0;
    }
    most_mode
}

// ---------------------------------------------------------------- comparison

fn same_value(a: Option<&FieldValue>, b: Option<&FieldValue>) -> bool {
    match (a, b) {
        (Some(FieldValue::Float(x)), Some(FieldValue::Float(y))) => {
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        _ => a == b,
    }
}

fn same(a: &Result<Vec<Series>, StoreError>, b: &Result<Vec<Series>, StoreError>) -> bool {
    match (a, b) {
        (Err(StoreError::InvalidQuery(_)), Err(StoreError::InvalidQuery(_))) => true,
        (Ok(a), Ok(b)) => {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| {
                    x.tags == y.tags
                        && x.rows.len() == y.rows.len()
                        && x.rows.iter().zip(&y.rows).all(|(r, s)| {
                            r.time_us == s.time_us
                                && r.values
                                    .iter()
                                    .zip(&s.values)
                                    .all(|(u, v)| same_value(u.as_ref(), v.as_ref()))
                        })
                })
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn store_answers_like_the_model(
        batches in prop::collection::vec(prop::collection::vec(point(), 1..30), 1..6),
        queries in prop::collection::vec(query(), 1..10),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = EmbeddedConfig { short_retention_hours: 1, ..EmbeddedConfig::default() };
        let store = Arc::new(
            EmbeddedStore::open(dir.path().join("ts.redb"), config, Arc::new(ManualClock::new(NOW))).unwrap(),
        );
        let mut model = Model::default();
        rt.block_on(async {
            // Concurrent batches share commits; the current-thread runtime runs the tasks in
            // spawn order, so they queue in the order the model applies them.
            let writes: Vec<_> = batches
                .iter()
                .map(|b| {
                    let store = store.clone();
                    let batch = b.clone();
                    tokio::spawn(async move { store.write(batch).await })
                })
                .collect();
            for (write, batch) in writes.into_iter().zip(&batches) {
                write.await.unwrap().unwrap();
                model.write(batch);
            }
            if std::env::var_os("TSDB_MODEL_DEBUG").is_some() {
                let nonempty = queries.iter().filter(|q| matches!(model.query(q), Ok(s) if !s.is_empty())).count();
                eprintln!("non-empty {nonempty}/{}", queries.len());
            }
            for q in &queries {
                let got = store.query(q.clone()).await;
                let want = model.query(q);
                prop_assert!(same(&got, &want), "query {q:#?}\nstore {got:#?}\nmodel {want:#?}");
                // The one-scan data + summary answers both queries exactly.
                let summary_q = Query { bucket_us: None, ..q.clone() };
                let both = store.query_with_summary(q.clone()).await;
                let want_summary = model.query(&summary_q);
                match (&both, &want, &want_summary) {
                    (Ok((data, summary)), Ok(_), Ok(_)) => {
                        prop_assert!(same(&Ok(data.clone()), &want), "data of {q:#?}");
                        prop_assert!(same(&Ok(summary.clone()), &want_summary), "summary of {q:#?}");
                    }
                    (Err(_), _, _) => prop_assert!(want.is_err() || want_summary.is_err(), "{both:?}"),
                    _ => prop_assert!(false, "store answered {both:?}, model {want:?} / {want_summary:?}"),
                }
            }
            Ok(())
        })?;
    }
}
