use super::*;
use crate::tsdb::FieldValue;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

/// A backend that keeps points by (series, time) like InfluxDB, can be down, and
/// refuses (as malformed) every batch holding a point with a `bad` field. With a
/// `delay`, each write takes that long, and it counts the writes running at once.
#[derive(Debug, Default)]
struct Fake {
    down: AtomicBool,
    stored: Mutex<BTreeSet<(String, i64)>>,
    writes: AtomicU64,
    latest: Mutex<Option<Point>>,
    delay: Duration,
    running: AtomicU64,
    most_running: AtomicU64,
    /// Points written, duplicates included.
    points_written: AtomicU64,
}

impl Fake {
    fn slow() -> Self {
        Fake {
            delay: Duration::from_millis(20),
            ..Fake::default()
        }
    }

    fn stored_times(&self) -> BTreeSet<i64> {
        self.stored
            .lock()
            .unwrap()
            .iter()
            .map(|(_, t)| *t)
            .collect()
    }
}

impl TimeSeries for Fake {
    fn write(&self, points: Vec<Point>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.writes.fetch_add(1, Ordering::Relaxed);
            if !self.delay.is_zero() {
                let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
                self.most_running.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                self.running.fetch_sub(1, Ordering::SeqCst);
            }
            if self.down.load(Ordering::Relaxed) {
                return Err(StoreError::Unavailable("down".into()));
            }
            if points.iter().any(|p| p.fields.contains_key("bad")) {
                return Err(StoreError::Rejected("bad point".into()));
            }
            self.points_written
                .fetch_add(points.len() as u64, Ordering::Relaxed);
            let mut s = self.stored.lock().unwrap();
            for p in points {
                s.insert((p.measurement, p.time_us));
            }
            Ok(())
        })
    }
    fn query(&self, _: Query) -> BoxFuture<'_, Result<Vec<Series>, StoreError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn latest(
        &self,
        _: Retention,
        _: String,
        _: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<Option<Point>, StoreError>> {
        Box::pin(async move {
            if self.down.load(Ordering::Relaxed) {
                return Err(StoreError::Unavailable("down".into()));
            }
            Ok(self.latest.lock().unwrap().clone())
        })
    }
    fn delete_series(
        &self,
        _: String,
        _: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
}

fn settings() -> Settings {
    Settings {
        batch_points: 4,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(2),
        max_points: 1000,
    }
}

fn point(m: &str, t: i64) -> Point {
    Point::new(m, t).field("v", FieldValue::Int(t))
}

fn bad(t: i64) -> Point {
    point("m", t).field("bad", FieldValue::Bool(true))
}

async fn drain(q: &WriteQueue) {
    let never = std::future::pending::<()>();
    tokio::pin!(never);
    while q.drain_batch(&mut never).await == Drained::Batch {}
}

#[tokio::test]
async fn queued_points_survive_a_reopen_and_drain_once_the_backend_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.redb");
    let fake = Arc::new(Fake::default());
    fake.down.store(true, Ordering::Relaxed);
    {
        let q = WriteQueue::open(&path, fake.clone(), settings()).unwrap();
        q.write((0..5).map(|t| point("m", t)).collect())
            .await
            .unwrap();
        q.write(vec![point("m", 5)]).await.unwrap();
        assert_eq!(q.stats.depth_points.load(Ordering::Relaxed), 6);
        // The drain cannot deliver: it stops at shutdown with everything still queued.
        let stop = tokio::time::sleep(Duration::from_millis(30));
        tokio::pin!(stop);
        assert_eq!(q.drain_batch(&mut stop).await, Drained::Stopped);
        assert!(q.stats.write_failures.load(Ordering::Relaxed) >= 1);
    }
    fake.down.store(false, Ordering::Relaxed);
    let q = WriteQueue::open(&path, fake.clone(), settings()).unwrap();
    assert_eq!(
        q.stats.depth_points.load(Ordering::Relaxed),
        6,
        "depth read back"
    );
    assert!(q.stats.oldest_us.load(Ordering::Relaxed) > 0);
    drain(&q).await;
    let stored: Vec<i64> = fake
        .stored
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| *t)
        .collect();
    assert_eq!(stored, (0..6).collect::<Vec<_>>());
    assert_eq!(q.stats.depth_points.load(Ordering::Relaxed), 0);
    assert_eq!(q.oldest_age_secs(i64::MAX), 0);
    assert_eq!(q.stats.delivered_points.load(Ordering::Relaxed), 6);
}

#[tokio::test]
async fn refused_points_alone_become_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake::default());
    let q = WriteQueue::open(
        &dir.path().join("q.redb"),
        fake.clone(),
        Settings {
            batch_points: 100,
            ..settings()
        },
    )
    .unwrap();
    let mut batch: Vec<Point> = (0..10).map(|t| point("m", t)).collect();
    batch[3] = bad(3);
    batch[8] = bad(8);
    q.write(batch).await.unwrap();
    drain(&q).await;
    let stored: Vec<i64> = fake
        .stored
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| *t)
        .collect();
    assert_eq!(stored, vec![0, 1, 2, 4, 5, 6, 7, 9]);
    let dead = q.store().dead_letters(10).unwrap();
    let times: Vec<i64> = dead.iter().map(|(_, d)| d.point.time_us).collect();
    assert_eq!(times, vec![3, 8]);
    assert_eq!(dead[0].1.error, "bad point");
    assert_eq!(q.stats.dead_letters.load(Ordering::Relaxed), 2);
    assert_eq!(q.stats.depth_points.load(Ordering::Relaxed), 0);
    // Replaying a letter after the cause is fixed removes it.
    q.store().update_dead(dead[0].0, None).unwrap();
    assert_eq!(q.store().dead_letter_count().unwrap(), 1);
}

#[tokio::test]
async fn latest_sees_queued_short_points_even_while_the_backend_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake::default());
    let q = WriteQueue::open(&dir.path().join("q.redb"), fake.clone(), settings()).unwrap();
    let snap = |t: i64, pk: &str| {
        Point::new("device_data", t)
            .retention(Retention::Short)
            .tag("pk", pk)
            .field("data", FieldValue::Str(format!("{t}")))
    };
    *fake.latest.lock().unwrap() = Some(snap(50, "a"));
    fake.down.store(true, Ordering::Relaxed);
    q.write(vec![snap(10, "a"), snap(20, "a"), snap(99, "b")])
        .await
        .unwrap();
    q.write(vec![snap(15, "a")]).await.unwrap();
    let tags = vec![("pk".to_owned(), "a".to_owned())];
    let got = q
        .latest(Retention::Short, "device_data".into(), tags.clone())
        .await
        .unwrap();
    assert_eq!(got.map(|p| p.time_us), Some(20), "queued, backend down");
    fake.down.store(false, Ordering::Relaxed);
    let got = q
        .latest(Retention::Short, "device_data".into(), tags.clone())
        .await
        .unwrap();
    assert_eq!(got.map(|p| p.time_us), Some(50), "the backend's is newer");
    drain(&q).await;
    assert!(
        q.store()
            .latest(Retention::Short, "device_data", &tags)
            .unwrap()
            .is_none()
    );
    // Nothing queued and the backend down: its error.
    fake.down.store(true, Ordering::Relaxed);
    assert!(
        q.latest(Retention::Short, "device_data".into(), tags)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn deleted_series_leave_the_queue_and_a_full_queue_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake::default());
    let q = WriteQueue::open(
        &dir.path().join("q.redb"),
        fake.clone(),
        Settings {
            max_points: 5,
            ..settings()
        },
    )
    .unwrap();
    q.write(vec![
        point("m", 1).tag("object_id", "x"),
        point("m", 2).tag("object_id", "y"),
    ])
    .await
    .unwrap();
    q.write(vec![point("m", 3).tag("object_id", "x")])
        .await
        .unwrap();
    q.write(vec![point("m", 4), point("m", 5)]).await.unwrap();
    let full = q.write(vec![point("m", 6)]).await;
    assert!(matches!(full, Err(StoreError::Unavailable(m)) if m.contains("queue_max_points")));
    q.delete_series("m".into(), vec![("object_id".into(), "x".into())])
        .await
        .unwrap();
    assert_eq!(q.stats.depth_points.load(Ordering::Relaxed), 3);
    drain(&q).await;
    let stored: Vec<i64> = fake
        .stored
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| *t)
        .collect();
    assert_eq!(stored, vec![2, 4, 5]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    /// Random batches, refused points, outages and restarts: in the end the backend holds
    /// every accepted point, the dead letters are exactly the refused ones, the queue is
    /// empty.
    #[test]
    fn nothing_is_lost_nor_invented(
        ops in proptest::collection::vec((1usize..6, proptest::bool::ANY, 0u8..4), 1..12),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("q.redb");
            let fake = Arc::new(Fake::default());
            let mut q = WriteQueue::open(&path, fake.clone(), settings()).unwrap();
            let (mut good, mut refused) = (BTreeSet::new(), BTreeSet::new());
            let mut t = 0;
            for (n, with_bad, action) in ops {
                let mut batch = Vec::new();
                for i in 0..n {
                    t += 1;
                    if with_bad && i == 0 { refused.insert(t); batch.push(bad(t)); }
                    else { good.insert(t); batch.push(point("m", t)); }
                }
                q.write(batch).await.unwrap();
                match action {
                    0 => fake.down.store(!fake.down.load(Ordering::Relaxed), Ordering::Relaxed),
                    1 => { drop(q); q = WriteQueue::open(&path, fake.clone(), settings()).unwrap(); }
                    2 if !fake.down.load(Ordering::Relaxed) => drain(&q).await,
                    _ => {}
                }
            }
            fake.down.store(false, Ordering::Relaxed);
            drain(&q).await;
            let stored: BTreeSet<i64> = fake.stored.lock().unwrap().iter().map(|(_, t)| *t).collect();
            assert_eq!(stored, good);
            let dead: BTreeSet<i64> = q.store().dead_letters(usize::MAX).unwrap()
                .into_iter().map(|(_, d)| d.point.time_us).collect();
            assert_eq!(dead, refused);
            assert_eq!(q.store().depth().unwrap(), (0, None));
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_keeps_two_batches_in_flight_and_empties_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let slow = Arc::new(Fake::slow());
    let q =
        Arc::new(WriteQueue::open(&dir.path().join("q.redb"), slow.clone(), settings()).unwrap());
    for t in 0..40 {
        q.write(vec![point("m", t)]).await.unwrap();
    }
    let stop = Arc::new(Notify::new());
    let drain = tokio::spawn({
        let (q, stop) = (q.clone(), stop.clone());
        async move { q.run_drain(stop.notified()).await }
    });
    while q.stats.depth_points.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.notify_one();
    drain.await.unwrap();
    assert_eq!(
        slow.most_running.load(Ordering::SeqCst),
        IN_FLIGHT as u64,
        "batches overlap, never more than IN_FLIGHT"
    );
    assert_eq!(
        slow.points_written.load(Ordering::Relaxed),
        40,
        "each point written once"
    );
    assert_eq!(slow.stored_times(), (0..40).collect::<BTreeSet<_>>());
    assert_eq!(q.store().depth().unwrap(), (0, None));
    assert_eq!(q.stats.delivered_points.load(Ordering::Relaxed), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_stopped_mid_way_leaves_the_undelivered_batches_queued() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.redb");
    let slow = Arc::new(Fake::slow());
    {
        let q = Arc::new(WriteQueue::open(&path, slow.clone(), settings()).unwrap());
        for t in 0..40 {
            q.write(vec![point("m", t)]).await.unwrap();
        }
        // Shut down once at least two batches have left the queue (their removal
        // committed), while later ones are in flight or not read yet.
        let stop = {
            let q = q.clone();
            async move {
                while q.stats.depth_points.load(Ordering::Relaxed) > 32 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        };
        q.run_drain(stop).await;
    }
    let written = slow.stored_times();
    let fake = Arc::new(Fake::default());
    let q = WriteQueue::open(&path, fake.clone(), settings()).unwrap();
    let (left, _) = q.store().depth().unwrap();
    assert!(left <= 32, "two batches at least were removed: {left} left");
    // What left the queue is the oldest points, each written before it left.
    let removed = 40 - i64::try_from(left).unwrap();
    assert!((0..removed).all(|t| written.contains(&t)), "{written:?}");
    drain(&q).await;
    let rest = fake.stored_times();
    // What was not removed is sent again (harmless: one point per series and time); what
    // was removed had been written.
    assert_eq!(&written | &rest, (0..40).collect::<BTreeSet<_>>());
}

#[tokio::test]
async fn queued_latest_points_are_found_again_after_a_restart_and_leave_with_their_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.redb");
    let snap = |t: i64, pk: &str| {
        Point::new("device_data", t)
            .retention(Retention::Short)
            .tag("pk", pk)
            .field("data", FieldValue::Str(format!("{pk}{t}")))
    };
    let tags = |pk: &str| vec![("pk".to_owned(), pk.to_owned())];
    {
        let store = QueueStore::open(&path).unwrap();
        store
            .append(&[snap(10, "a"), snap(30, "b")], 1, 1000)
            .unwrap();
        store.append(&[snap(20, "a")], 2, 1000).unwrap();
    }
    // Reopened: the index is rebuilt from the entries still queued.
    let store = QueueStore::open(&path).unwrap();
    let latest = |pk: &str| {
        store
            .latest(Retention::Short, "device_data", &tags(pk))
            .unwrap()
    };
    assert_eq!(
        latest("a").map(|p| p.fields["data"].clone()),
        Some(FieldValue::Str("a20".into()))
    );
    assert_eq!(latest("b").map(|p| p.time_us), Some(30));
    assert_eq!(
        store
            .latest(Retention::Short, "device_data", &[])
            .unwrap()
            .map(|p| p.time_us),
        Some(30),
        "no tag filter: the newest of every series"
    );
    assert!(
        store
            .latest(Retention::Default, "device_data", &tags("a"))
            .unwrap()
            .is_none()
    );
    // A deleted device's queued points and their index entries go.
    assert_eq!(store.delete_matching("device_data", &tags("a")).unwrap(), 2);
    assert!(latest("a").is_none());
    assert_eq!(latest("b").map(|p| p.time_us), Some(30));
}
