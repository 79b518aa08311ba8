use super::*;
use crate::derive::sessions::update;
use proptest::prelude::*;
use serde_json::{Value, json};

fn snapshot(ap_clients: &[&str], mesh_clients: &[&str]) -> Value {
    let client =
        |mac: &&str| json!({"mac": mac, "ht": true, "vht": false, "wmm": true, "vendor": "V"});
    json!({"type": "DeviceMonitoring", "interfaces": [
        {"name": "wlan0", "type": "wireless",
         "wireless": {"mode": "access_point", "ssid": "edge", "clients": ap_clients.iter().map(client).collect::<Vec<_>>()}},
        {"name": "mesh0", "type": "wireless",
         "wireless": {"mode": "802.11s", "ssid": "mesh", "clients": mesh_clients.iter().map(client).collect::<Vec<_>>()}}
    ]})
}

fn step(store: &SessionStore, device: Uuid, org: Uuid, snap: &Value, now: i64) {
    let open = store.open_sessions(device).unwrap();
    let changes = update(&open, snap, now);
    store.apply(device, org, &changes, now).unwrap();
}

fn macs(sessions: &[OpenSession<Uuid>]) -> Vec<String> {
    let mut m: Vec<String> = sessions.iter().map(|s| s.key.mac.clone()).collect();
    m.sort();
    m
}

#[test]
fn sessions_open_close_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.redb");
    let (dev, org) = (Uuid::new_v4(), Uuid::new_v4());
    {
        let store = SessionStore::open(&path).unwrap();
        step(
            &store,
            dev,
            org,
            &snapshot(&["aa:01", "aa:02"], &["bb:01"]),
            100,
        );
        // Only access-point clients have sessions.
        assert_eq!(macs(&store.open_sessions(dev).unwrap()), ["aa:01", "aa:02"]);
        step(&store, dev, org, &snapshot(&["aa:02"], &[]), 200);
    }
    let store = SessionStore::open(&path).unwrap();
    let open = store.open_sessions(dev).unwrap();
    assert_eq!(macs(&open), ["aa:02"]);
    assert_eq!(
        open[0].start_us, 100,
        "a continuing session keeps its start"
    );
    let all = store.list(&Filter::default(), 0, 10).unwrap();
    assert_eq!(all.len(), 2);
    let closed = all.iter().find(|s| s.mac == "aa:01").unwrap();
    assert_eq!((closed.start_us, closed.stop_us), (100, Some(200)));
    assert_eq!(closed.ssid, "edge");
    assert_eq!(closed.interface_name, "wlan0");
    let client = store.client("aa:01").unwrap().unwrap();
    assert_eq!(
        (client.ht, client.vht, client.he),
        (Some(true), Some(false), None)
    );
    assert_eq!(client.vendor.as_deref(), Some("V"));
    // A client that comes back gets a new session.
    step(&store, dev, org, &snapshot(&["aa:01", "aa:02"], &[]), 300);
    let again = store
        .list(
            &Filter {
                open: Some(true),
                ..Filter::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(again[0].start_us, 300, "newest first");
}

#[test]
fn listing_filters_by_organization_device_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = SessionStore::open(&dir.path().join("s.redb")).unwrap();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let (org_a, org_b) = (Uuid::new_v4(), Uuid::new_v4());
    step(
        &store,
        a,
        org_a,
        &snapshot(&["aa:01", "aa:02", "aa:03"], &[]),
        10,
    );
    step(&store, b, org_b, &snapshot(&["cc:01"], &[]), 20);
    let only = |f: Filter| store.list(&f, 0, 100).unwrap();
    assert_eq!(
        only(Filter {
            orgs: Some(vec![org_b]),
            ..Filter::default()
        })
        .iter()
        .map(|s| s.mac.as_str())
        .collect::<Vec<_>>(),
        ["cc:01"]
    );
    assert_eq!(
        only(Filter {
            device: Some(a),
            ..Filter::default()
        })
        .len(),
        3
    );
    assert_eq!(
        only(Filter {
            orgs: Some(vec![]),
            ..Filter::default()
        })
        .len(),
        0
    );
    let page1 = store.list(&Filter::default(), 0, 2).unwrap();
    let page2 = store.list(&Filter::default(), 2, 2).unwrap();
    assert_eq!((page1.len(), page2.len()), (2, 2));
    assert_eq!(page1[0].mac, "cc:01");
    let (count, _) = store.page(&Filter::default(), 0, 1).unwrap();
    assert_eq!(count, 4);
    let closed = store
        .page(
            &Filter {
                open: Some(false),
                ..Filter::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(closed.0, 0);
    let ids: std::collections::HashSet<Uuid> = page1.iter().chain(&page2).map(|s| s.id).collect();
    assert_eq!(ids.len(), 4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the sequence of snapshots: afterwards exactly one open session per
    /// access-point client of the last snapshot, and every closed session ended after it
    /// started.
    #[test]
    fn one_open_session_per_current_client(
        steps in prop::collection::vec(prop::sample::subsequence(vec!["m1", "m2", "m3", "m4"], 0..=4), 1..8)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::open(&dir.path().join("s.redb")).unwrap();
        let (dev, org) = (Uuid::new_v4(), Uuid::new_v4());
        for (i, clients) in steps.iter().enumerate() {
            step(&store, dev, org, &snapshot(clients, &[]), (i64::try_from(i).unwrap() + 1) * 10);
        }
        let last: Vec<String> = steps.last().unwrap().iter().map(|s| (*s).to_owned()).collect();
        prop_assert_eq!(macs(&store.open_sessions(dev).unwrap()), last);
        for s in store.list(&Filter::default(), 0, 1000).unwrap() {
            if let Some(stop) = s.stop_us {
                prop_assert!(stop > s.start_us);
            }
        }
    }
}

#[test]
fn time_ranges_follow_django_lookups() {
    let r = TimeRange {
        gte: Some(10),
        lt: Some(20),
        ..TimeRange::default()
    };
    assert!(!r.contains(Some(9)));
    assert!(r.contains(Some(10)));
    assert!(r.contains(Some(19)));
    assert!(!r.contains(Some(20)));
    // An open session (no stop time) matches only an unbounded range.
    assert!(!r.contains(None));
    assert!(TimeRange::default().contains(None));
    let exact = TimeRange {
        exact: Some(5),
        ..TimeRange::default()
    };
    assert!(exact.contains(Some(5)) && !exact.contains(Some(6)));
}

proptest! {
    /// Every bound alone agrees with its comparison, for any time.
    #[test]
    fn each_bound_is_its_comparison(b in -1000_i64..1000, t in -1000_i64..1000) {
        let with = |f: fn(&mut TimeRange, i64)| { let mut r = TimeRange::default(); f(&mut r, b); r };
        prop_assert_eq!(with(|r, b| r.gt = Some(b)).contains(Some(t)), t > b);
        prop_assert_eq!(with(|r, b| r.gte = Some(b)).contains(Some(t)), t >= b);
        prop_assert_eq!(with(|r, b| r.lt = Some(b)).contains(Some(t)), t < b);
        prop_assert_eq!(with(|r, b| r.lte = Some(b)).contains(Some(t)), t <= b);
        prop_assert_eq!(with(|r, b| r.exact = Some(b)).contains(Some(t)), t == b);
    }
}

#[test]
fn page_filters_on_start_and_stop_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = SessionStore::open(&dir.path().join("s.redb")).unwrap();
    let (dev, org) = (Uuid::new_v4(), Uuid::new_v4());
    // m1 from 10 to 30, m2 from 20 and still open.
    step(&store, dev, org, &snapshot(&["m1"], &[]), 10);
    step(&store, dev, org, &snapshot(&["m1", "m2"], &[]), 20);
    step(&store, dev, org, &snapshot(&["m2"], &[]), 30);
    let macs_of = |filter: Filter| -> Vec<String> {
        let mut m: Vec<String> = store
            .list(&filter, 0, 10)
            .unwrap()
            .into_iter()
            .map(|s| s.mac)
            .collect();
        m.sort();
        m
    };
    let started_after_15 = Filter {
        start: TimeRange {
            gt: Some(15),
            ..TimeRange::default()
        },
        ..Filter::default()
    };
    assert_eq!(macs_of(started_after_15), ["m2"]);
    let stopped_by_30 = Filter {
        stop: TimeRange {
            lte: Some(30),
            ..TimeRange::default()
        },
        ..Filter::default()
    };
    assert_eq!(macs_of(stopped_by_30), ["m1"]);
}

#[test]
fn deleting_a_device_removes_its_sessions_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = SessionStore::open(&dir.path().join("s.redb")).unwrap();
    let (gone, kept, org) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    step(&store, gone, org, &snapshot(&["m1", "m2"], &[]), 10);
    step(&store, gone, org, &snapshot(&["m2"], &[]), 20);
    step(&store, kept, org, &snapshot(&["m3"], &[]), 15);
    assert_eq!(store.delete_device(gone).unwrap(), 2);
    let left = store.list(&Filter::default(), 0, 10).unwrap();
    assert_eq!(left.iter().map(|s| s.device).collect::<Vec<_>>(), [kept]);
    assert!(store.open_sessions(gone).unwrap().is_empty());
    assert_eq!(store.open_sessions(kept).unwrap().len(), 1);
    assert_eq!(store.page(&Filter::default(), 0, 10).unwrap().0, 1);
    assert_eq!(store.delete_device(gone).unwrap(), 0);
}

#[test]
fn a_client_is_written_only_when_new_or_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SessionStore::open(&dir.path().join("sessions.redb")).unwrap();
    let (dev, org) = (Uuid::new_v4(), Uuid::new_v4());
    step(&store, dev, org, &snapshot(&["aa:01"], &[]), 100);
    assert_eq!(store.client("aa:01").unwrap().unwrap().modified_us, 100);
    // Seen again, described the same: not saved again (its modification time stays).
    step(&store, dev, org, &snapshot(&["aa:01", "aa:02"], &[]), 200);
    assert_eq!(store.client("aa:01").unwrap().unwrap().modified_us, 100);
    assert_eq!(store.client("aa:02").unwrap().unwrap().modified_us, 200);
    // Described differently: saved, the last description wins.
    let mut changed = snapshot(&["aa:01"], &[]);
    changed["interfaces"][0]["wireless"]["clients"][0]["vht"] = json!(true);
    step(&store, dev, org, &changed, 300);
    let client = store.client("aa:01").unwrap().unwrap();
    assert_eq!((client.vht, client.modified_us), (Some(true), 300));
}

#[test]
fn new_sessions_sort_by_creation() {
    let (dev, org) = (Uuid::new_v4(), Uuid::new_v4());
    let snap = snapshot(&["aa:01", "aa:02", "aa:03"], &[]);
    let ids: Vec<Uuid> = (0..50)
        .flat_map(|i| {
            let changes = update(&[], &snap, i);
            Step::new(dev, org, &changes, i)
                .opened
                .into_iter()
                .map(|s| s.id)
        })
        .collect();
    assert_eq!(ids.len(), 150);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids are time-ordered, so new rows are appended"
    );
}
