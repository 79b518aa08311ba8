//! The runner and the schedule with fake checks, a fake store and tokio's paused clock.

use super::runner::Runner;
use super::schedule::{self, Plan, offset};
use super::{Check, CheckError, Output, Target, device_point};
use crate::registry::{NewDevice, Registry};
use crate::tsdb::{BoxFuture, FieldValue, Point, Query, Retention, Series, StoreError, TimeSeries};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;

/// Every run: (device, check, when).
type Calls = Arc<Mutex<Vec<(Uuid, &'static str, Instant)>>>;

/// Records every run; each run takes 100 ms.
#[derive(Debug)]
struct Fake {
    metric: &'static str,
    running: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
    calls: Calls,
}

impl Check for Fake {
    fn name(&self) -> &'static str {
        self.metric
    }
    fn metric(&self) -> &'static str {
        self.metric
    }
    fn run<'a>(
        &'a self,
        target: &'a Target,
        now_us: i64,
    ) -> BoxFuture<'a, Result<Option<Output>, CheckError>> {
        Box::pin(async move {
            self.calls
                .lock()
                .unwrap()
                .push((target.device.id, self.metric, Instant::now()));
            let n = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.max.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            Ok(Some(Output {
                points: vec![
                    device_point("fake", &target.device, now_us).field("v", FieldValue::Int(1)),
                ],
                send_alert: true,
            }))
        })
    }
}

/// Counts written points.
#[derive(Debug, Default)]
struct Sink(AtomicUsize);

impl TimeSeries for Sink {
    fn write(&self, points: Vec<Point>) -> BoxFuture<'_, Result<(), StoreError>> {
        self.0.fetch_add(points.len(), Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
    fn query(&self, _: Query) -> BoxFuture<'_, Result<Vec<Series>, StoreError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn latest(
        &self,
        _: Retention,
        _: String,
        _: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<Option<Point>, StoreError>> {
        Box::pin(async { Ok(None) })
    }
    fn delete_series(
        &self,
        _: String,
        _: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
}

struct World {
    _dir: tempfile::TempDir,
    registry: Arc<Registry>,
    runner: Arc<Runner>,
    sink: Arc<Sink>,
    max: Arc<AtomicUsize>,
    calls: Calls,
    devices: Vec<Uuid>,
}

fn world(devices: usize, concurrency: usize) -> World {
    let dir = tempfile::tempdir().unwrap();
    let registry = Arc::new(Registry::open(&dir.path().join("registry.redb")).unwrap());
    let org = registry.create_org("Org", "org", None).unwrap();
    let ids = (0..devices)
        .map(|i| {
            registry
                .create_device(NewDevice {
                    org: org.id,
                    name: format!("d{i}"),
                    mac: String::new(),
                    key: None,
                    model: String::new(),
                    os: String::new(),
                    location: None,
                    id: None,
                })
                .unwrap()
                .0
                .id
        })
        .collect();
    let (running, max, calls) = (
        Arc::default(),
        Arc::new(AtomicUsize::new(0)),
        Arc::default(),
    );
    let fake = |metric| -> Arc<dyn Check> {
        Arc::new(Fake {
            metric,
            running: Arc::clone(&running),
            max: Arc::clone(&max),
            calls: Arc::clone(&calls),
        })
    };
    let sink = Arc::new(Sink::default());
    let runner = Arc::new(Runner::new(
        vec![fake("ping"), fake("other")],
        registry.clone(),
        sink.clone(),
        None,
        concurrency,
        Arc::new(|| 0),
    ));
    World {
        _dir: dir,
        registry,
        runner,
        sink,
        max,
        calls,
        devices: ids,
    }
}

#[tokio::test(start_paused = true)]
async fn run_all_runs_every_check_within_the_concurrency_limit() {
    let w = world(20, 3);
    let start = Instant::now();
    let reports = w.runner.run_all(w.runner.devices(), None).await;
    assert_eq!(reports.len(), 40);
    assert!(reports.iter().all(|r| matches!(r.result, Ok(Some(_)))));
    assert_eq!(w.max.load(Ordering::SeqCst), 3);
    assert_eq!(w.sink.0.load(Ordering::SeqCst), 40, "every result stored");
    // 40 runs of 100 ms, three at a time: 14 waves.
    assert_eq!(start.elapsed(), Duration::from_millis(1400));
    let only = w
        .runner
        .run_all(w.runner.devices(), Some(&["ping".to_owned()]))
        .await;
    assert!(only.iter().all(|r| r.check == "ping") && only.len() == 20);
}

#[tokio::test(start_paused = true)]
async fn the_schedule_spreads_devices_over_the_jitter_and_repeats() {
    let w = world(10, 100);
    let plan = Plan {
        interval: Duration::from_secs(60),
        jitter: Duration::from_secs(30),
        critical: vec!["ping".into()],
    };
    let start = Instant::now();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(schedule::run(w.runner.clone(), plan.clone(), None, async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_secs(90)).await;
    let _ = stop.send(());
    task.await.unwrap();
    let calls = w.calls.lock().unwrap().clone();
    for &d in &w.devices {
        let at: Vec<Duration> = calls
            .iter()
            .filter(|c| c.0 == d && c.1 == "ping")
            .map(|c| c.2 - start)
            .collect();
        let first = offset(d, 0, plan.jitter);
        let second = Duration::from_secs(60) + offset(d, 1, plan.jitter);
        let expected: Vec<_> = [first, second]
            .into_iter()
            .filter(|t| *t < Duration::from_secs(90))
            .collect();
        // The paused clock has millisecond resolution.
        assert_eq!(at.len(), expected.len(), "{d}");
        for (a, e) in at.iter().zip(&expected) {
            assert!(
                a.abs_diff(*e) <= Duration::from_millis(1),
                "{d}: {a:?} vs {e:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_round_keeps_within_the_concurrency_and_skips_devices_deactivated_since_it_began() {
    let w = world(40, 3);
    let plan = Plan {
        interval: Duration::from_secs(600),
        jitter: Duration::from_secs(30),
        critical: vec![],
    };
    let late = *w
        .devices
        .iter()
        .max_by_key(|&&d| offset(d, 0, plan.jitter))
        .unwrap();
    assert!(offset(late, 0, plan.jitter) > Duration::from_secs(2));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(schedule::run(w.runner.clone(), plan.clone(), None, async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_secs(1)).await;
    w.registry
        .modify_device(late, |d| d.active = false)
        .unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let _ = stop.send(());
    task.await.unwrap();
    let calls = w.calls.lock().unwrap().clone();
    for &d in &w.devices {
        let n = calls.iter().filter(|c| c.0 == d).count();
        assert_eq!(n, if d == late { 0 } else { 2 }, "{d}");
    }
    assert!(w.max.load(Ordering::SeqCst) <= 3);
}

#[tokio::test(start_paused = true)]
async fn a_round_slower_than_the_interval_makes_the_next_one_skip() {
    // 40 devices × 2 checks of 100 ms, one at a time: a round lasts 8 s.
    let w = world(40, 1);
    let plan = Plan {
        interval: Duration::from_secs(5),
        jitter: Duration::ZERO,
        critical: vec![],
    };
    let start = Instant::now();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(schedule::run(w.runner.clone(), plan, None, async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_secs(12)).await;
    let _ = stop.send(());
    task.await.unwrap();
    let calls = w.calls.lock().unwrap().clone();
    let before = |t: u64| {
        calls
            .iter()
            .filter(|c| c.2 - start < Duration::from_secs(t))
            .count()
    };
    // The round of 5 s was skipped: until the round of 10 s, each check ran once.
    assert_eq!(before(10), 80);
    assert!(calls.len() > 80, "the round of 10 s ran");
}

#[tokio::test(start_paused = true)]
async fn recovery_detection_runs_the_critical_checks_at_once() {
    let w = world(3, 10);
    let plan = Plan {
        interval: Duration::from_secs(600),
        jitter: Duration::from_secs(300),
        critical: vec!["ping".into()],
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let start = Instant::now();
    let task = tokio::spawn(schedule::run(
        w.runner.clone(),
        plan.clone(),
        Some(rx),
        async {
            let _ = stopped.await;
        },
    ));
    let target = w.devices[1];
    tx.send(target).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop.send(());
    task.await.unwrap();
    let calls = w.calls.lock().unwrap().clone();
    let early: Vec<_> = calls
        .iter()
        .filter(|c| c.2 - start < Duration::from_secs(1))
        .map(|c| (c.0, c.1))
        .filter(|&(d, _)| offset(d, 0, plan.jitter) >= Duration::from_secs(1))
        .collect();
    assert_eq!(
        early,
        [(target, "ping")],
        "only the critical check, only that device"
    );
}
