//! The reference's scenarios through the whole service, with a controllable clock: every
//! call gives the time, nothing reads the wall clock.

use super::*;
use crate::registry::NewDevice;
use crate::tsdb::FieldValue;

const MIN: i64 = 60_000_000;
const T0: i64 = 1_800_000_000_000_000;

struct Fixture {
    dir: tempfile::TempDir,
    alerts: Alerts,
    registry: Arc<Registry>,
    device: Uuid,
    org: Uuid,
}

fn settings() -> Settings {
    Settings::from_config(&crate::config::Alerts::default())
}

fn fixture_with(catalog: Catalog, settings: Settings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let registry = Arc::new(Registry::open(&dir.path().join("registry.redb")).unwrap());
    let org = registry.create_org("Org", "org", None).unwrap();
    let (mut device, _) = registry
        .create_device(NewDevice {
            org: org.id,
            name: "ap-1".into(),
            mac: "00:11:22:33:44:55".into(),
            key: None,
            model: String::new(),
            os: String::new(),
            location: None,
            id: None,
        })
        .unwrap();
    device.management_ip = Some("10.0.0.1".into());
    registry.update_device(&device).unwrap();
    let store = AlertStore::open(&dir.path().join("alerts.redb")).unwrap();
    let alerts = Alerts::new(catalog, settings, registry.clone(), store).unwrap();
    Fixture {
        dir,
        alerts,
        registry,
        device: device.id,
        org: org.id,
    }
}

fn fixture() -> Fixture {
    let catalog = Catalog::build(&toml::from_str("[cpu]\ntolerance = \"5m\"\n").unwrap()).unwrap();
    fixture_with(catalog, settings())
}

fn point(device: Uuid, measurement: &str, field: &str, value: f64, time_us: i64) -> Point {
    Point::new(measurement, time_us)
        .tag("content_type", "config.device")
        .tag("object_id", device.to_string())
        .field(field, FieldValue::Float(value))
}

impl Fixture {
    /// A fresh point at `minutes` from T0 (the clock reads the point's time).
    async fn at(&self, minutes: i64, measurement: &str, field: &str, v: f64) -> Vec<Notification> {
        let t = T0 + minutes * MIN;
        self.alerts
            .observe(
                &[point(self.device, measurement, field, v, t)],
                t,
                true,
                true,
            )
            .await
    }

    fn stored(&self) -> Vec<Notification> {
        self.alerts
            .store
            .notifications(Some(self.org), false)
            .unwrap()
    }
}

#[tokio::test]
async fn the_reference_tolerance_example_stores_one_problem_then_one_recovery() {
    let f = fixture();
    assert!(f.at(-10, "cpu", "cpu_usage", 89.0).await.is_empty());
    assert_eq!(f.alerts.status(f.device).await, Status::Ok);
    assert!(f.at(0, "cpu", "cpu_usage", 92.0).await.is_empty());
    assert_eq!(
        f.alerts.status(f.device).await,
        Status::Problem,
        "status moves at once"
    );
    let n = f.at(5, "cpu", "cpu_usage", 95.0).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind_name(), "cpu_problem");
    assert_eq!(n[0].level, "warning");
    assert_eq!(
        n[0].subject,
        "[edgemon] PROBLEM: ap-1 is experiencing a peak in CPU usage"
    );
    assert_eq!(
        n[0].message,
        format!(
            "The device [ap-1](http://localhost:8000/devices/{}) is experiencing a peak in \
             CPU usage which has gone over 90.0%.",
            f.device
        )
    );
    assert!(f.at(6, "cpu", "cpu_usage", 50.0).await.is_empty());
    assert_eq!(f.alerts.status(f.device).await, Status::Ok);
    assert!(f.at(7, "cpu", "cpu_usage", 51.0).await.is_empty());
    let n = f.at(12, "cpu", "cpu_usage", 50.0).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind_name(), "cpu_recovery");
    assert_eq!(
        n[0].subject,
        "[edgemon] RECOVERY: ap-1 CPU usage has returned to normal levels"
    );
    let stored = f.stored();
    assert_eq!(
        stored
            .iter()
            .map(Notification::kind_name)
            .collect::<Vec<_>>(),
        ["cpu_recovery", "cpu_problem"]
    );
    assert!(stored.iter().all(|n| n.unread && n.org == f.org));
}

#[tokio::test]
async fn critical_only_when_every_critical_metric_is_down_and_the_ip_is_cleared() {
    let f = fixture();
    f.at(0, "ping", "reachable", 1.0).await;
    f.at(0, "data_collected", "data_collected", 1.0).await;
    assert_eq!(f.alerts.status(f.device).await, Status::Ok);
    f.at(1, "ping", "reachable", 0.0).await;
    assert_eq!(f.alerts.status(f.device).await, Status::Problem);
    assert!(
        f.registry
            .device(f.device)
            .unwrap()
            .unwrap()
            .management_ip
            .is_some()
    );
    f.at(2, "data_collected", "data_collected", 0.0).await;
    assert_eq!(f.alerts.status(f.device).await, Status::Critical);
    assert_eq!(
        f.registry.device(f.device).unwrap().unwrap().management_ip,
        None
    );
    // Notifications wait for the 30 min tolerance of both.
    assert!(f.stored().is_empty());
    for m in 3..=31 {
        f.at(m, "ping", "reachable", 0.0).await;
    }
    assert_eq!(
        f.stored()
            .iter()
            .map(Notification::kind_name)
            .collect::<Vec<_>>(),
        ["ping_problem"]
    );
    assert_eq!(
        f.stored()[0].subject,
        "[edgemon] PROBLEM: ap-1 is not reachable"
    );
    f.at(32, "ping", "reachable", 1.0).await;
    assert_eq!(f.alerts.status(f.device).await, Status::Problem);
}

#[tokio::test]
async fn backlog_is_stored_in_the_window_but_raises_nothing() {
    let f = fixture();
    let now = T0 + 120 * MIN;
    let backlog: Vec<Point> = (0..60)
        .map(|m| point(f.device, "cpu", "cpu_usage", 99.0, T0 + m * MIN))
        .collect();
    assert!(f.alerts.observe(&backlog, now, true, true).await.is_empty());
    assert_eq!(f.alerts.status(f.device).await, Status::Unknown);
    assert_eq!(f.alerts.stats.backlog_skipped.load(Ordering::Relaxed), 60);
    assert_eq!(f.alerts.stats.evaluations.load(Ordering::Relaxed), 0);
    assert!(f.stored().is_empty());
}

#[tokio::test]
async fn overrides_disabled_alerts_and_unknown_measurements() {
    let f = fixture();
    f.alerts
        .devices
        .lock()
        .await
        .entry(f.device)
        .or_default()
        .overrides
        .insert(
            "disk".into(),
            AlertOverride {
                threshold: Some(50.0),
                ..AlertOverride::default()
            },
        );
    assert!(f.at(0, "disk", "used_disk", 40.0).await.is_empty());
    let n = f.at(1, "disk", "used_disk", 60.0).await;
    assert_eq!(n.len(), 1, "the override's threshold, tolerance 0");
    assert!(n[0].message.ends_with("which has gone over 50.0%."));
    assert!(f.at(2, "traffic", "rx_bytes", 1e12).await.is_empty());
    assert!(
        f.at(3, "memory", "total_memory", 1e12).await.is_empty(),
        "not the alert field"
    );
}

#[tokio::test]
async fn state_survives_a_restart() {
    let f = fixture();
    f.at(0, "disk", "used_disk", 10.0).await;
    f.at(1, "disk", "used_disk", 95.0).await;
    let path = f.dir.path().join("alerts.redb");
    let Fixture {
        alerts,
        registry,
        device,
        ..
    } = f;
    drop(alerts);
    let store = AlertStore::open(&path).unwrap();
    let catalog = Catalog::defaults();
    let alerts = Alerts::new(catalog, settings(), registry, store).unwrap();
    assert_eq!(alerts.status(device).await, Status::Problem);
    let t = T0 + 2 * MIN;
    let n = alerts
        .observe(
            &[point(device, "disk", "used_disk", 96.0, t)],
            t,
            true,
            true,
        )
        .await;
    assert!(
        n.is_empty(),
        "still in problem after the restart: no second problem"
    );
    let t = T0 + 3 * MIN;
    let n = alerts
        .observe(&[point(device, "disk", "used_disk", 5.0, t)], t, true, true)
        .await;
    assert_eq!(n[0].kind_name(), "disk_recovery");
    assert_eq!(n[0].id, 2, "ids continue after the restart");
}

#[tokio::test]
async fn per_interface_metrics_are_told_apart() {
    let catalog = Catalog::build(
        &toml::from_str("[clients]\nalerts = true\noperator = \">\"\nthreshold = 10.0\n").unwrap(),
    )
    .unwrap();
    let f = fixture_with(catalog, settings());
    let p = |ifname: &str, v: f64, m: i64| {
        point(f.device, "wifi_clients", "clients", v, T0 + m * MIN).tag("ifname", ifname)
    };
    let t = T0 + MIN;
    let n = f
        .alerts
        .observe(&[p("wlan0", 1.0, 0), p("wlan1", 20.0, 1)], t, true, true)
        .await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind_name(), "clients_problem");
    let devices = f.alerts.devices.lock().await;
    let ids: Vec<_> = devices[&f.device].metrics.keys().collect();
    assert_eq!(ids, ["clients{ifname=wlan0}", "clients{ifname=wlan1}"]);
}

#[tokio::test]
async fn a_critical_device_that_speaks_is_reported_for_recovery_checks() {
    let f = fixture();
    let mut rx = f.alerts.recovery_channel().unwrap();
    assert!(f.alerts.recovery_channel().is_none(), "one listener");
    f.at(0, "ping", "reachable", 0.0).await;
    f.at(0, "data_collected", "data_collected", 0.0).await;
    assert_eq!(f.alerts.status(f.device).await, Status::Critical);
    assert!(rx.try_recv().is_err(), "it was not critical when it spoke");
    let t = T0 + MIN;
    f.alerts
        .observe(
            &[point(f.device, "cpu", "cpu_usage", 5.0, t)],
            t,
            true,
            true,
        )
        .await;
    assert_eq!(rx.try_recv().unwrap(), f.device);
}

#[tokio::test]
async fn deactivation_and_reactivation_as_the_reference() {
    let f = fixture();
    f.at(0, "disk", "used_disk", 95.0).await;
    assert_eq!(f.alerts.status(f.device).await, Status::Problem);
    let path = f.dir.path().join("alerts.redb");
    let Fixture {
        alerts,
        registry,
        device,
        dir: _dir,
        ..
    } = f;
    drop(alerts);
    let restart = |registry: Arc<Registry>| {
        let store = AlertStore::open(&path).unwrap();
        Alerts::new(Catalog::defaults(), settings(), registry, store).unwrap()
    };
    registry.set_device_active(device, false).unwrap();
    let alerts = restart(registry.clone());
    assert_eq!(alerts.status(device).await, Status::Deactivated);
    let t = T0 + MIN;
    alerts
        .observe(&[point(device, "disk", "used_disk", 5.0, t)], t, true, true)
        .await;
    assert_eq!(
        alerts.status(device).await,
        Status::Deactivated,
        "stays until reactivated"
    );
    drop(alerts);
    registry.set_device_active(device, true).unwrap();
    let alerts = restart(registry.clone());
    assert_eq!(alerts.status(device).await, Status::Unknown);
    let t = T0 + 2 * MIN;
    let n = alerts
        .observe(
            &[point(device, "disk", "used_disk", 95.0, t)],
            t,
            true,
            true,
        )
        .await;
    assert!(
        n[0].kind_name() == "disk_problem",
        "flags were reset: a first value in problem notifies"
    );
    drop(alerts);
    let alerts = restart(registry);
    assert_eq!(
        alerts.status(device).await,
        Status::Problem,
        "nothing to reconcile"
    );
}
