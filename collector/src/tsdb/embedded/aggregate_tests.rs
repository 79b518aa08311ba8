//! Each aggregation against values computed by hand.

use super::*;
use crate::tsdb::{Retention, TagFilter};

const MIN: i64 = 60_000_000;
const HOUR: i64 = 60 * MIN;

fn query(fields: &[(&str, Agg)], start_us: i64, end_us: i64, bucket_us: Option<i64>) -> Query {
    Query {
        retention: Retention::Default,
        measurement: "m".into(),
        filters: Vec::<TagFilter>::new(),
        fields: fields.iter().map(|(f, a)| ((*f).to_owned(), *a)).collect(),
        start_us,
        end_us,
        bucket_us,
        bucket_offset_us: 0,
        group_by_tags: Vec::new(),
    }
}

fn fields(name: &str, value: FieldValue) -> BTreeMap<String, FieldValue> {
    BTreeMap::from([(name.to_owned(), value)])
}

/// Evaluate one field over `(time, value)` points of one series, one bucket per hour over
/// `[0, 3h)`; returns the three bucket values.
fn eval(agg: Agg, points: &[(i64, FieldValue)]) -> Vec<Option<FieldValue>> {
    let mut e = Evaluation::new(&query(&[("f", agg)], 0, 3 * HOUR, Some(HOUR))).unwrap();
    let group = e.group_of(&BTreeMap::new());
    for (t, v) in points {
        e.push(&group, *t, &fields("f", v.clone())).unwrap();
    }
    let series = e.finish();
    assert_eq!(series.len(), 1);
    assert_eq!(
        series[0].rows.iter().map(|r| r.time_us).collect::<Vec<_>>(),
        [0, HOUR, 2 * HOUR]
    );
    series[0].rows.iter().map(|r| r.values[0].clone()).collect()
}

use FieldValue::{Bool, Float, Int, Str};

#[test]
fn mean_of_integers_is_a_float_and_empty_buckets_are_null() {
    let got = eval(Agg::Mean, &[(0, Int(1)), (MIN, Int(2)), (2 * HOUR, Int(4))]);
    assert_eq!(got, [Some(Float(1.5)), None, Some(Float(4.0))]);
}

#[test]
fn mean_of_integers_does_not_depend_on_order() {
    // In f64, MAX-1 + MIN+1 cancels differently depending on which comes first.
    let got = eval(
        Agg::Mean,
        &[(0, Int(i64::MAX - 1)), (1, Int(-1)), (2, Int(i64::MIN + 1))],
    );
    assert_eq!(got[0], Some(Float(-2.0 / 3.0)));
}

#[test]
fn sum_keeps_integers_exact_and_floats_float() {
    let big = 1_i64 << 60;
    let got = eval(Agg::Sum, &[(0, Int(big)), (1, Int(3)), (HOUR, Int(-5))]);
    assert_eq!(got, [Some(Int(big + 3)), Some(Int(-5)), None]);
    let got = eval(Agg::Sum, &[(0, Float(0.5)), (1, Float(0.25))]);
    assert_eq!(got, [Some(Float(0.75)), None, None]);
}

#[test]
fn integer_sum_wraps_like_influxdb() {
    let got = eval(Agg::Sum, &[(0, Int(i64::MAX)), (1, Int(1))]);
    assert_eq!(got[0], Some(Int(i64::MIN)));
}

#[test]
fn count_is_zero_in_empty_buckets_of_an_existing_series() {
    let got = eval(
        Agg::Count,
        &[
            (0, Str("a".into())),
            (1, Str("a".into())),
            (2 * HOUR, Str("b".into())),
        ],
    );
    assert_eq!(got, [Some(Int(2)), Some(Int(0)), Some(Int(1))]);
}

#[test]
fn count_distinct_counts_values_once() {
    let macs = ["aa", "bb", "aa", "cc", "bb"].map(|m| Str(m.into()));
    let points: Vec<_> = macs
        .iter()
        .enumerate()
        .map(|(i, m)| (i64::try_from(i).unwrap(), m.clone()))
        .collect();
    assert_eq!(
        eval(Agg::CountDistinct, &points),
        [Some(Int(3)), Some(Int(0)), Some(Int(0))]
    );
    // Go maps treat 0.0 and -0.0 as one key.
    let got = eval(
        Agg::CountDistinct,
        &[(0, Float(0.0)), (1, Float(-0.0)), (2, Float(1.0))],
    );
    assert_eq!(got[0], Some(Int(2)));
}

#[test]
fn max_and_min_keep_the_type() {
    let points = [(0, Int(3)), (1, Int(-7)), (2, Int(9)), (HOUR, Int(4))];
    assert_eq!(eval(Agg::Max, &points), [Some(Int(9)), Some(Int(4)), None]);
    assert_eq!(eval(Agg::Min, &points), [Some(Int(-7)), Some(Int(4)), None]);
    let points = [(0, Float(-1.5)), (1, Float(2.5))];
    assert_eq!(eval(Agg::Max, &points)[0], Some(Float(2.5)));
    assert_eq!(eval(Agg::Min, &points)[0], Some(Float(-1.5)));
    let points = [(0, Bool(false)), (1, Bool(true))];
    assert_eq!(eval(Agg::Max, &points)[0], Some(Bool(true)));
    assert_eq!(eval(Agg::Min, &points)[0], Some(Bool(false)));
}

#[test]
fn max_compares_large_integers_exactly() {
    // Both round to the same f64; the exact comparison still tells them apart.
    let a = (1_i64 << 60) + 1;
    let b = 1_i64 << 60;
    assert_eq!(eval(Agg::Max, &[(0, Int(b)), (1, Int(a))])[0], Some(Int(a)));
}

#[test]
fn last_is_the_newest_value_whatever_the_arrival_order() {
    let got = eval(
        Agg::Last,
        &[(5, Int(1)), (9, Int(2)), (7, Int(3)), (HOUR + 1, Int(8))],
    );
    assert_eq!(got, [Some(Int(2)), Some(Int(8)), None]);
}

#[test]
fn mode_is_the_most_frequent_value() {
    let got = eval(
        Agg::Mode,
        &[(0, Int(4)), (1, Int(3)), (2, Int(4)), (3, Int(5))],
    );
    assert_eq!(got[0], Some(Int(4)));
    let got = eval(
        Agg::Mode,
        &[
            (0, Str("lte".into())),
            (1, Str("umts".into())),
            (2, Str("umts".into())),
        ],
    );
    assert_eq!(got[0], Some(Str("umts".into())));
}

#[test]
fn mode_ties_follow_influxdbs_reducer() {
    // All distinct: the smallest value.
    assert_eq!(
        eval(Agg::Mode, &[(0, Int(5)), (1, Int(3)), (2, Int(4))])[0],
        Some(Int(3))
    );
    // 3 (scanned first) reaches count 2 at t=3; 4's run starts at t=0 ≤ 3, so the
    // equally frequent 4 replaces it.
    let got = eval(
        Agg::Mode,
        &[(0, Int(4)), (1, Int(4)), (2, Int(3)), (3, Int(3))],
    );
    assert_eq!(got[0], Some(Int(4)));
    // Values 1 (t=0, t=3) and 2 (t=1, t=2): 1 reaches count 2 at t=3; 2's run starts at
    // t=1 ≤ 3, so 2 replaces it (InfluxDB answers 2 here, not the smaller 1).
    let got = eval(
        Agg::Mode,
        &[(0, Int(1)), (1, Int(2)), (2, Int(2)), (3, Int(1))],
    );
    assert_eq!(got[0], Some(Int(2)));
    // Values 1 (t=0, t=1) and 2 (t=2, t=3): 2's run starts at t=2 > 1: 1 stays.
    let got = eval(
        Agg::Mode,
        &[(0, Int(1)), (1, Int(1)), (2, Int(2)), (3, Int(2))],
    );
    assert_eq!(got[0], Some(Int(1)));
    // Booleans: true unless false is strictly more frequent.
    assert_eq!(
        eval(Agg::Mode, &[(0, Bool(false)), (1, Bool(true))])[0],
        Some(Bool(true))
    );
    let got = eval(
        Agg::Mode,
        &[(0, Bool(false)), (1, Bool(true)), (2, Bool(false))],
    );
    assert_eq!(got[0], Some(Bool(false)));
}

#[test]
fn mean_and_sum_refuse_strings_and_booleans() {
    for (agg, value) in [
        (Agg::Mean, Str("x".into())),
        (Agg::Sum, Bool(true)),
        (Agg::Max, Str("x".into())),
    ] {
        let mut e = Evaluation::new(&query(&[("f", agg)], 0, HOUR, None)).unwrap();
        let group = e.group_of(&BTreeMap::new());
        let err = e.push(&group, 0, &fields("f", value)).unwrap_err();
        assert!(err.to_string().contains("field `f`"), "{err}");
    }
}

#[test]
fn buckets_are_aligned_to_the_epoch_and_cover_start_to_end() {
    // 00:30 .. 03:00 with 1 h buckets: 00:00, 01:00, 02:00 (03:00 is excluded).
    let b = Buckets::new(30 * MIN, 3 * HOUR, Some(HOUR)).unwrap();
    assert_eq!(
        (0..b.count()).map(|i| b.start(i)).collect::<Vec<_>>(),
        [0, HOUR, 2 * HOUR]
    );
    assert_eq!(b.index(30 * MIN), 0);
    assert_eq!(b.index(3 * HOUR - 1), 2);
    // Negative times round down, not towards zero.
    let b = Buckets::new(-90 * MIN, 0, Some(HOUR)).unwrap();
    assert_eq!(b.start(0), -2 * HOUR);
    assert_eq!(b.count(), 2);
}

#[test]
fn an_offset_shifts_the_boundaries() {
    // Day buckets at local midnight of UTC+05:30, from 2 h into the epoch's day.
    let day = 24 * HOUR;
    let off = 5 * HOUR + 30 * MIN;
    let b = Buckets::with_offset(2 * HOUR, 2 * day, Some(day), off).unwrap();
    assert_eq!(
        (0..b.count()).map(|i| b.start(i)).collect::<Vec<_>>(),
        [off - day, off, off + day]
    );
    assert_eq!(b.index(off - 1), 0);
    assert_eq!(b.index(off), 1);
    // An offset of a whole width (or a negative one) is the same alignment.
    let a = Buckets::with_offset(0, day, Some(HOUR), HOUR).unwrap();
    let c = Buckets::with_offset(0, day, Some(HOUR), -HOUR).unwrap();
    assert_eq!(a, Buckets::new(0, day, Some(HOUR)).unwrap());
    assert_eq!(a, c);
}

#[test]
fn invalid_ranges_are_refused() {
    assert!(Buckets::new(10, 10, None).is_err());
    assert!(Buckets::new(0, 10, Some(0)).is_err());
    assert!(Buckets::new(0, MAX_BUCKETS + 1, Some(1)).is_err());
    assert!(Buckets::new(0, MAX_BUCKETS, Some(1)).is_ok());
    assert!(Evaluation::new(&query(&[], 0, 1, None)).is_err());
}

#[test]
fn unbucketed_query_has_one_row_at_start() {
    let mut e =
        Evaluation::new(&query(&[("f", Agg::Sum), ("g", Agg::Count)], 7, 100, None)).unwrap();
    let group = e.group_of(&BTreeMap::new());
    e.push(&group, 50, &fields("f", Int(2))).unwrap();
    e.push(&group, 60, &fields("f", Int(3))).unwrap();
    let series = e.finish();
    assert_eq!(
        series[0].rows,
        [Row {
            time_us: 7,
            values: vec![Some(Int(5)), Some(Int(0))]
        }]
    );
}

#[test]
fn groups_fill_missing_tags_with_empty_strings_and_points_without_fields_make_no_series() {
    let mut q = query(&[("f", Agg::Sum)], 0, HOUR, None);
    q.group_by_tags = vec!["ifname".into(), "ifname".into()];
    let mut e = Evaluation::new(&q).unwrap();
    let with = BTreeMap::from([("ifname".to_owned(), "wlan0".to_owned())]);
    let g1 = e.group_of(&with);
    let g2 = e.group_of(&BTreeMap::new());
    assert_eq!(g2, BTreeMap::from([("ifname".to_owned(), String::new())]));
    e.push(&g1, 1, &fields("f", Int(1))).unwrap();
    e.push(&g2, 1, &fields("other", Int(1))).unwrap();
    let series = e.finish();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].tags, g1);
}
