//! The store end to end on a real redb file: writes, overwrite, group commit, types,
//! retention with an injected clock, deletion, `latest`, reopening.

use super::*;
use crate::tsdb::{Agg, FieldValue, Row, TagFilter};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

const HOUR: i64 = 3_600_000_000;
/// 2026-01-01T00:00:00Z, a round "now" for the tests.
const NOW: i64 = 1_767_225_600_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<ManualClock>,
    store: EmbeddedStore,
}

fn open() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ts.redb");
    let clock = Arc::new(ManualClock::new(NOW));
    let store = EmbeddedStore::open(&path, EmbeddedConfig::default(), clock.clone()).unwrap();
    Fixture {
        _dir: dir,
        path,
        clock,
        store,
    }
}

fn cpu(device: &str, time_us: i64, usage: f64) -> Point {
    Point::new("cpu", time_us)
        .tag("object_id", device)
        .tag("content_type", "config.device")
        .field("cpu_usage", FieldValue::Float(usage))
}

fn query(
    measurement: &str,
    field: &str,
    agg: Agg,
    start: i64,
    end: i64,
    bucket: Option<i64>,
) -> Query {
    Query {
        retention: Retention::Default,
        measurement: measurement.into(),
        filters: Vec::new(),
        fields: vec![(field.into(), agg)],
        start_us: start,
        end_us: end,
        bucket_us: bucket,
        bucket_offset_us: 0,
        group_by_tags: Vec::new(),
    }
}

fn filter(key: &str, value: &str) -> TagFilter {
    TagFilter {
        key: key.into(),
        value: value.into(),
    }
}

fn values(series: &[Series]) -> Vec<Vec<Option<FieldValue>>> {
    series[0].rows.iter().map(|r| r.values.clone()).collect()
}

#[tokio::test]
async fn written_points_are_queried_back_per_device_and_bucket() {
    let f = open();
    let t0 = NOW - 3 * HOUR;
    f.store
        .write(vec![
            cpu("a", t0, 10.0),
            cpu("a", t0 + 1, 30.0),
            cpu("b", t0, 99.0),
            cpu("a", t0 + 2 * HOUR, 5.0),
        ])
        .await
        .unwrap();
    let mut q = query("cpu", "cpu_usage", Agg::Mean, t0, NOW, Some(HOUR));
    q.filters = vec![
        filter("content_type", "config.device"),
        filter("object_id", "a"),
    ];
    let got = f.store.query(q.clone()).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].rows,
        [
            Row {
                time_us: t0,
                values: vec![Some(FieldValue::Float(20.0))]
            },
            Row {
                time_us: t0 + HOUR,
                values: vec![None]
            },
            Row {
                time_us: t0 + 2 * HOUR,
                values: vec![Some(FieldValue::Float(5.0))]
            },
        ]
    );
    q.filters = vec![filter("object_id", "nope")];
    assert!(f.store.query(q.clone()).await.unwrap().is_empty());
    q.filters.clear();
    q.group_by_tags = vec!["object_id".into()];
    let got = f.store.query(q).await.unwrap();
    let groups: Vec<_> = got.iter().map(|s| s.tags["object_id"].clone()).collect();
    assert_eq!(groups, ["a", "b"]);
    assert_eq!(got[1].rows[0].values, [Some(FieldValue::Float(99.0))]);
}

#[tokio::test]
async fn same_series_and_time_merges_fields_last_write_wins() {
    let f = open();
    let t = NOW - HOUR;
    let base = |v| {
        Point::new("traffic", t)
            .tag("ifname", "eth0")
            .field("rx_bytes", FieldValue::Int(v))
    };
    f.store
        .write(vec![base(1).field("tx_bytes", FieldValue::Int(7))])
        .await
        .unwrap();
    f.store.write(vec![base(2)]).await.unwrap();
    let mut q = query("traffic", "rx_bytes", Agg::Sum, t, NOW, None);
    q.fields.push(("tx_bytes".into(), Agg::Sum));
    q.fields.push(("rx_bytes".into(), Agg::Count));
    let got = f.store.query(q).await.unwrap();
    assert_eq!(
        values(&got),
        [vec![
            Some(FieldValue::Int(2)),
            Some(FieldValue::Int(7)),
            Some(FieldValue::Int(1))
        ]]
    );
}

#[tokio::test]
async fn a_type_conflict_rejects_only_its_request() {
    let f = open();
    let t = NOW - HOUR;
    f.store.write(vec![cpu("a", t, 1.0)]).await.unwrap();
    let bad = Point::new("cpu", t + 1)
        .tag("object_id", "a")
        .field("cpu_usage", FieldValue::Int(1));
    let (r1, r2) = tokio::join!(
        f.store.write(vec![cpu("b", t, 2.0), bad]),
        f.store.write(vec![cpu("c", t, 3.0)])
    );
    assert!(
        matches!(r1, Err(StoreError::Rejected(ref m)) if m.contains("cpu_usage")),
        "{r1:?}"
    );
    r2.unwrap();
    let mut q = query("cpu", "cpu_usage", Agg::Count, t, NOW, None);
    q.group_by_tags = vec!["object_id".into()];
    let got = f.store.query(q).await.unwrap();
    let devices: Vec<_> = got.iter().map(|s| s.tags["object_id"].as_str()).collect();
    assert_eq!(
        devices,
        ["a", "c"],
        "nothing of the rejected request is stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_writes_share_one_commit() {
    let f = open();
    let max = f.store.commands.max_capacity();
    // Hold redb's write lock so the writer blocks on its first group.
    let blocker = f.store.db.begin_write().unwrap();
    let mut replies = Vec::new();
    let (reply, rx) = oneshot::channel();
    f.store
        .send(Command::Write {
            points: vec![cpu("d0", NOW - 1, 1.0)].into(),
            reply,
        })
        .await
        .unwrap();
    replies.push(rx);
    while f.store.commands.capacity() < max {
        tokio::task::yield_now().await; // until the writer has taken the first request
    }
    for i in 1..100 {
        let (reply, rx) = oneshot::channel();
        let points = vec![cpu(&format!("d{i}"), NOW - 1, 1.0)];
        f.store
            .send(Command::Write {
                points: points.into(),
                reply,
            })
            .await
            .unwrap();
        replies.push(rx);
    }
    drop(blocker);
    for rx in replies {
        rx.await.unwrap().unwrap();
    }
    let stats = f.store.stats();
    assert_eq!(stats.write_requests.load(Ordering::Relaxed), 100);
    assert_eq!(stats.points_written.load(Ordering::Relaxed), 100);
    let commits = stats.write_commits.load(Ordering::Relaxed);
    assert!(
        (1..=2).contains(&commits),
        "100 queued requests took {commits} commits"
    );
    let got = f
        .store
        .query(query("cpu", "cpu_usage", Agg::Count, NOW - 2, NOW, None))
        .await
        .unwrap();
    assert_eq!(values(&got), [vec![Some(FieldValue::Int(100))]]);
}

#[tokio::test]
async fn expired_points_are_never_returned_and_the_sweep_deletes_them() {
    let f = open();
    let snapshot = |t: i64| {
        Point::new("device_data", t)
            .retention(Retention::Short)
            .tag("pk", "dev1")
            .field("data", FieldValue::Str(format!("at {t}")))
    };
    let long = |t: i64| {
        Point::new("ping", t)
            .tag("pk", "dev1")
            .field("reachable", FieldValue::Int(1))
    };
    let t0 = NOW - 2 * HOUR;
    f.store
        .write(vec![snapshot(t0), snapshot(t0 + HOUR), long(t0)])
        .await
        .unwrap();
    let mut q = query("device_data", "data", Agg::Count, t0, NOW, None);
    q.retention = Retention::Short;
    assert_eq!(
        values(&f.store.query(q.clone()).await.unwrap()),
        [vec![Some(FieldValue::Int(2))]]
    );

    // 24 h after the first snapshot: it has expired, the second has not.
    f.clock.set(t0 + 24 * HOUR + 1);
    assert_eq!(
        values(&f.store.query(q.clone()).await.unwrap()),
        [vec![Some(FieldValue::Int(1))]]
    );
    let latest = f.store.latest(
        Retention::Short,
        "device_data".into(),
        vec![("pk".into(), "dev1".into())],
    );
    assert_eq!(latest.await.unwrap().unwrap().time_us, t0 + HOUR);
    // Writing an expired point is accepted and dropped, as InfluxDB drops it.
    f.store.write(vec![snapshot(t0 - 1)]).await.unwrap();

    let report = f.store.sweep(f.clock.now_us()).await.unwrap();
    assert_eq!(
        report,
        SweepReport {
            points: 1,
            series: 0
        }
    );
    // Back in time: the swept point is physically gone, the default-policy one is kept.
    f.clock.set(NOW);
    assert_eq!(
        values(&f.store.query(q.clone()).await.unwrap()),
        [vec![Some(FieldValue::Int(1))]]
    );
    let ping = query("ping", "reachable", Agg::Count, t0, NOW, None);
    assert_eq!(
        values(&f.store.query(ping).await.unwrap()),
        [vec![Some(FieldValue::Int(1))]]
    );

    // Once the last snapshot expires the series goes too; a new write recreates it.
    let report = f.store.sweep(NOW + 48 * HOUR).await.unwrap();
    assert_eq!(
        report,
        SweepReport {
            points: 1,
            series: 1
        }
    );
    assert!(f.store.query(q.clone()).await.unwrap().is_empty());
    f.store.write(vec![snapshot(NOW - 1)]).await.unwrap();
    assert_eq!(
        values(&f.store.query(q).await.unwrap()),
        [vec![Some(FieldValue::Int(1))]]
    );
}

#[tokio::test]
async fn a_sweep_larger_than_one_chunk_finishes_in_several_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let config = EmbeddedConfig {
        sweep_chunk_points: 7,
        ..EmbeddedConfig::default()
    };
    let store = EmbeddedStore::open(
        dir.path().join("ts.redb"),
        config,
        Arc::new(ManualClock::new(NOW)),
    )
    .unwrap();
    let points: Vec<_> = (0..50)
        .flat_map(|i| [cpu("a", NOW - 100 + i, 1.0), cpu("b", NOW - 100 + i, 1.0)])
        .collect();
    store.write(points).await.unwrap();
    let before = store.stats().write_commits.load(Ordering::Relaxed);
    let report = store.sweep(NOW + 26_280 * HOUR).await.unwrap();
    assert_eq!(
        report,
        SweepReport {
            points: 100,
            series: 2
        }
    );
    assert_eq!(
        store.stats().write_commits.load(Ordering::Relaxed),
        before,
        "sweeps are not counted as writes"
    );
    let q = query("cpu", "cpu_usage", Agg::Count, NOW - 200, NOW, None);
    assert!(store.query(q).await.unwrap().is_empty());
}

#[tokio::test]
async fn deleted_series_disappear_and_their_points_are_purged() {
    let f = open();
    let t = NOW - HOUR;
    f.store
        .write(vec![
            cpu("a", t, 1.0),
            cpu("a", t + 1, 2.0),
            cpu("b", t, 3.0),
        ])
        .await
        .unwrap();
    f.store
        .delete_series("cpu".into(), vec![("object_id".into(), "a".into())])
        .await
        .unwrap();
    let mut q = query("cpu", "cpu_usage", Agg::Count, t, NOW, None);
    q.group_by_tags = vec!["object_id".into()];
    let got = f.store.query(q.clone()).await.unwrap();
    assert_eq!(
        got.iter()
            .map(|s| s.tags["object_id"].as_str())
            .collect::<Vec<_>>(),
        ["b"]
    );
    // Writing the same series again starts afresh.
    f.store.write(vec![cpu("a", t + 2, 4.0)]).await.unwrap();
    let got = f.store.query(q).await.unwrap();
    assert_eq!(got[0].rows[0].values, [Some(FieldValue::Int(1))]);
    // Background jobs run in order: once this sweep answers, the purge has finished.
    f.store.sweep(NOW).await.unwrap();
    let txn = redb::ReadableDatabase::begin_read(&*f.store.db).unwrap();
    let points = txn.open_table(layout::POINTS).unwrap();
    assert_eq!(
        redb::ReadableTableMetadata::len(&points).unwrap(),
        2,
        "b's point and a's new one"
    );
    let garbage = txn.open_table(layout::GARBAGE).unwrap();
    assert!(redb::ReadableTableMetadata::is_empty(&garbage).unwrap());
}

#[tokio::test]
async fn latest_returns_the_newest_point_with_its_tags() {
    let f = open();
    f.store
        .write(vec![
            cpu("a", NOW - 10, 1.0),
            cpu("a", NOW - 5, 2.0),
            cpu("b", NOW - 1, 3.0),
        ])
        .await
        .unwrap();
    let got = f
        .store
        .latest(
            Retention::Default,
            "cpu".into(),
            vec![("object_id".into(), "a".into())],
        )
        .await
        .unwrap();
    assert_eq!(got, Some(cpu("a", NOW - 5, 2.0)));
    let any = f
        .store
        .latest(Retention::Default, "cpu".into(), Vec::new())
        .await
        .unwrap();
    assert_eq!(any.unwrap().time_us, NOW - 1);
    let none = f
        .store
        .latest(Retention::Short, "cpu".into(), Vec::new())
        .await
        .unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn reopening_keeps_points_field_types_and_series_ids() {
    let f = open();
    f.store.write(vec![cpu("a", NOW - 10, 1.0)]).await.unwrap();
    f.store.close().await;
    let store = EmbeddedStore::open(&f.path, EmbeddedConfig::default(), f.clock.clone()).unwrap();
    let bad = Point::new("cpu", NOW - 1)
        .tag("object_id", "a")
        .field("cpu_usage", FieldValue::Bool(true));
    assert!(matches!(
        store.write(vec![bad]).await,
        Err(StoreError::Rejected(_))
    ));
    store.write(vec![cpu("b", NOW - 1, 2.0)]).await.unwrap();
    let mut q = query("cpu", "cpu_usage", Agg::Sum, NOW - 100, NOW, None);
    q.group_by_tags = vec!["object_id".into()];
    let got = store.query(q).await.unwrap();
    let sums: Vec<_> = got
        .iter()
        .map(|s| (s.tags["object_id"].clone(), s.rows[0].values[0].clone()))
        .collect();
    assert_eq!(
        sums,
        [
            ("a".into(), Some(FieldValue::Float(1.0))),
            ("b".into(), Some(FieldValue::Float(2.0)))
        ]
    );
}

#[tokio::test]
async fn invalid_queries_say_what_is_wrong() {
    let f = open();
    let err = f
        .store
        .query(query("cpu", "x", Agg::Mean, NOW, NOW, None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidQuery(ref m) if m.contains("empty time range")),
        "{err}"
    );
    f.store
        .write(vec![
            Point::new("m", NOW - 1).field("s", FieldValue::Str("x".into())),
        ])
        .await
        .unwrap();
    let err = f
        .store
        .query(query("m", "s", Agg::Mean, NOW - 2, NOW, None))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("field `s`, which holds string values"),
        "{err}"
    );
}

#[tokio::test]
async fn empty_tag_values_are_dropped_and_filter_as_absent() {
    let f = open();
    let p = Point::new("m", NOW - 1)
        .tag("a", "")
        .tag("b", "x")
        .field("f", FieldValue::Int(1));
    f.store.write(vec![p]).await.unwrap();
    let mut q = query("m", "f", Agg::Sum, NOW - 2, NOW, None);
    q.filters = vec![filter("a", ""), filter("b", "x")];
    let got = f.store.query(q).await.unwrap();
    assert_eq!(got.len(), 1);
    let latest = f
        .store
        .latest(Retention::Default, "m".into(), Vec::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        latest.tags,
        BTreeMap::from([("b".to_owned(), "x".to_owned())])
    );
}
