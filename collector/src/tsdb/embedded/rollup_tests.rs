//! Rollups answer exactly what the points answer: random data in two stores, one of them
//! swept (rollups built), then late writes to both (invalidation), then random queries
//! compared. Floats may differ in the last bits (sums added per hour), so they are
//! compared with a relative tolerance; everything else exactly.

use super::*;
use crate::tsdb::{Agg, FieldValue, TagFilter};
use proptest::prelude::*;
use redb::{ReadableDatabase, ReadableTableMetadata};

const HOUR: i64 = 3_600_000_000;
/// 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600_000_000;

fn store(dir: &std::path::Path, name: &str, clock: Arc<ManualClock>) -> EmbeddedStore {
    EmbeddedStore::open(dir.join(name), EmbeddedConfig::default(), clock).unwrap()
}

/// A point of device `dev` at `t`: a float, an int, a string and a bool field (some
/// points lack some fields).
fn point(dev: u8, t: i64, v: i64, mask: u8) -> Point {
    let mut p = Point::new("m", t)
        .tag("object_id", format!("d{dev}"))
        .tag("kind", if dev.is_multiple_of(2) { "even" } else { "odd" });
    #[allow(clippy::cast_precision_loss)]
    if mask & 1 != 0 || mask.trailing_zeros() >= 4 {
        p = p.field("f", FieldValue::Float(v as f64 / 7.0));
    }
    if mask & 2 != 0 {
        p = p.field("i", FieldValue::Int(v * 1_000_003));
    }
    if mask & 4 != 0 {
        p = p.field("s", FieldValue::Str(format!("c{}", v % 5)));
    }
    if mask & 8 != 0 {
        p = p.field("b", FieldValue::Bool(v % 3 == 0));
    }
    p
}

fn close(a: Option<&FieldValue>, b: Option<&FieldValue>) -> bool {
    match (a, b) {
        (Some(FieldValue::Float(x)), Some(FieldValue::Float(y))) => {
            x.to_bits() == y.to_bits() || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        _ => a == b,
    }
}

fn points() -> impl Strategy<Value = Vec<(u8, i64, i64, u8)>> {
    // Up to 3 days back, minute resolution: many hours, several points per hour.
    proptest::collection::vec((0u8..3, 0i64..(72 * 60), -1000i64..1000, 0u8..16), 1..120)
}

/// A query: aggregation, field, start minute, length in minutes, bucket width, bucket
/// offset, and whether it covers every device grouped by a tag (else one device).
type QuerySpec = (Agg, &'static str, i64, i64, Option<i64>, i64, bool);

fn queries() -> impl Strategy<Value = Vec<QuerySpec>> {
    let agg = prop_oneof![
        Just(Agg::Mean),
        Just(Agg::Sum),
        Just(Agg::Count),
        Just(Agg::CountDistinct),
        Just(Agg::Max),
        Just(Agg::Min),
        Just(Agg::Last),
        Just(Agg::Mode),
    ];
    let field = prop_oneof![Just("f"), Just("i"), Just("s"), Just("b")];
    let bucket = prop_oneof![
        Just(None),
        Just(Some(HOUR)),
        Just(Some(2 * HOUR)),
        Just(Some(24 * HOUR)),
        Just(Some(7 * 24 * HOUR)),
        Just(Some(45 * 60_000_000)),
    ];
    let offset = prop_oneof![
        Just(0i64),
        Just(HOUR),
        Just(30 * 60_000_000),
        Just(-5 * HOUR)
    ];
    proptest::collection::vec(
        (
            agg,
            field,
            0i64..(80 * 60),
            1i64..(80 * 60),
            bucket,
            offset,
            any::<bool>(),
        ),
        1..12,
    )
}

async fn answer(s: &EmbeddedStore, q: &Query) -> Result<Vec<Series>, String> {
    s.query(q.clone()).await.map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn rollups_answer_what_the_points_answer(
        early in points(),
        late in points(),
        qs in queries(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let clock = Arc::new(ManualClock::new(NOW));
            let rolled = store(dir.path(), "rolled.redb", clock.clone());
            let plain = store(dir.path(), "plain.redb", clock.clone());
            let at = |m: i64| NOW - 72 * HOUR + m * 60_000_000;
            let batch = |ps: &[(u8, i64, i64, u8)]| -> Vec<Point> {
                ps.iter().map(|(d, m, v, mask)| point(*d, at(*m), *v, *mask)).collect()
            };
            // Separate writes, so a field's type is fixed by the first one in each store.
            for p in batch(&early) {
                let _ = rolled.write(vec![p.clone()]).await;
                let _ = plain.write(vec![p]).await;
            }
            rolled.sweep(NOW).await.unwrap();
            // Late points land in hours that have rollups now.
            for p in batch(&late) {
                let _ = rolled.write(vec![p.clone()]).await;
                let _ = plain.write(vec![p]).await;
            }
            for round in 0..2 {
                for (agg, field, a, len, bucket, offset, by_kind) in &qs {
                    let q = Query {
                        retention: Retention::Default,
                        measurement: "m".into(),
                        filters: if *by_kind { vec![] } else {
                            vec![TagFilter { key: "object_id".into(), value: "d1".into() }]
                        },
                        fields: vec![((*field).into(), *agg)],
                        start_us: at(*a),
                        end_us: at(*a + *len),
                        bucket_us: *bucket,
                        bucket_offset_us: *offset,
                        group_by_tags: if *by_kind { vec!["kind".into()] } else { vec![] },
                    };
                    let (x, y) = (answer(&rolled, &q).await, answer(&plain, &q).await);
                    match (&x, &y) {
                        (Ok(x), Ok(y)) => {
                            prop_assert_eq!(x.len(), y.len(), "{:?}", q);
                            for (sx, sy) in x.iter().zip(y) {
                                prop_assert_eq!(&sx.tags, &sy.tags);
                                prop_assert_eq!(sx.rows.len(), sy.rows.len());
                                for (rx, ry) in sx.rows.iter().zip(&sy.rows) {
                                    prop_assert_eq!(rx.time_us, ry.time_us);
                                    prop_assert!(
                                        close(rx.values[0].as_ref(), ry.values[0].as_ref()),
                                        "round {} {:?}: {:?} vs {:?}", round, q, rx, ry
                                    );
                                }
                            }
                        }
                        _ => prop_assert_eq!(x.is_ok(), y.is_ok(), "{:?}: {:?} vs {:?}", q, x, y),
                    }
                }
                // The next sweep rebuilds the stale hours; answers stay the same.
                rolled.sweep(NOW + HOUR).await.unwrap();
            }
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn a_sweep_builds_hourly_rollups_and_a_late_write_invalidates_its_hour() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let s = store(dir.path(), "ts.redb", clock);
    let t0 = NOW - 5 * HOUR;
    let pts: Vec<Point> = (0..48)
        .map(|i| point(1, t0 + i * 5 * 60_000_000, i, 1))
        .collect();
    s.write(pts).await.unwrap();
    s.sweep(NOW).await.unwrap();
    let count = |s: &EmbeddedStore| {
        let txn = s.db.begin_read().unwrap();
        let t = txn.open_table(rollup::ROLLUPS).unwrap();
        let st = txn.open_table(rollup::STALE).unwrap();
        (t.len().unwrap(), st.len().unwrap())
    };
    // Hours ending 15 minutes before now: the 4 full hours of data, not the current one.
    assert_eq!(count(&s), (4, 0));
    s.write(vec![point(1, t0 + 90 * 60_000_000, 5, 1)])
        .await
        .unwrap();
    assert_eq!(count(&s), (3, 1), "the late write's hour lost its rollup");
    s.sweep(NOW).await.unwrap();
    assert_eq!(count(&s), (4, 0), "the next sweep rebuilt it");
}
