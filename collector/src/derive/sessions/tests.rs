use super::*;
use proptest::prelude::*;
use serde_json::json;

const NOW: i64 = 1_000;

fn ap(name: &str, ssid: &str, mode: &str, kind: &str, macs: &[&str]) -> Value {
    let clients: Vec<Value> = macs
        .iter()
        .map(|m| json!({"mac": m, "ht": true, "vht": null, "wmm": true, "wds": false, "vendor": "V"}))
        .collect();
    json!({"name": name, "type": kind, "wireless": {"ssid": ssid, "mode": mode, "clients": clients}})
}

fn snapshot(ifaces: &[Value]) -> Value {
    json!({"type": "DeviceMonitoring", "interfaces": ifaces})
}

fn key(iface: &str, ssid: &str, mac: &str) -> SessionKey {
    SessionKey {
        interface_name: iface.into(),
        ssid: ssid.into(),
        mac: mac.into(),
    }
}

fn open(id: u32, k: SessionKey, start: i64) -> OpenSession<u32> {
    OpenSession {
        id,
        key: k,
        start_us: start,
    }
}

fn opened_keys(c: &SessionChanges<u32>) -> Vec<SessionKey> {
    c.opened.iter().map(|n| n.key.clone()).collect()
}

fn closed_ids(c: &SessionChanges<u32>) -> Vec<u32> {
    c.closed.iter().map(|c| c.id).collect()
}

#[test]
fn first_snapshot_opens_a_session_per_access_point_client() {
    let snap = snapshot(&[
        ap("wlan0", "net", "access_point", "wireless", &["a", "b"]),
        ap("mesh0", "mesh", "802.11s", "wireless", &["m"]),
        ap("sta0", "up", "station", "wireless", &["s"]),
        ap("wlan9", "x", "access_point", "virtual", &["v"]),
    ]);
    let c = update::<u32>(&[], &snap, NOW);
    assert_eq!(
        opened_keys(&c),
        [key("wlan0", "net", "a"), key("wlan0", "net", "b")]
    );
    assert!(c.opened.iter().all(|n| n.start_us == NOW));
    assert!(c.kept.is_empty() && c.closed.is_empty());
    let macs: Vec<&str> = c.clients.iter().map(|c| c.mac.as_str()).collect();
    assert_eq!(macs, ["a", "b"]);
    assert_eq!(
        c.clients[0],
        WifiClient {
            mac: "a".into(),
            vendor: Some("V".into()),
            ht: Some(true),
            vht: None,
            he: None,
            wmm: Some(true),
            wds: Some(false),
            wps: None,
        }
    );
}

#[test]
fn next_snapshot_keeps_seen_closes_gone_opens_new() {
    let before = [
        open(1, key("wlan0", "net", "a"), 10),
        open(2, key("wlan0", "net", "b"), 10),
    ];
    let snap = snapshot(&[ap("wlan0", "net", "access_point", "wireless", &["b", "c"])]);
    let c = update(&before, &snap, NOW);
    assert_eq!(c.kept, [2]);
    assert_eq!(closed_ids(&c), [1]);
    assert_eq!(c.closed[0].stop_us, NOW);
    assert_eq!(opened_keys(&c), [key("wlan0", "net", "c")]);
}

#[test]
fn ssid_or_interface_change_is_a_new_session() {
    let before = [open(1, key("wlan0", "net", "a"), 10)];
    let c = update(
        &before,
        &snapshot(&[ap("wlan0", "renamed", "access_point", "wireless", &["a"])]),
        NOW,
    );
    assert_eq!(closed_ids(&c), [1]);
    assert_eq!(opened_keys(&c), [key("wlan0", "renamed", "a")]);
}

#[test]
fn roaming_between_interfaces_gives_two_sessions_and_one_client() {
    let snap = snapshot(&[
        ap("wlan0", "net", "access_point", "wireless", &["a"]),
        ap("wlan1", "net", "access_point", "wireless", &["a"]),
    ]);
    let c = update::<u32>(&[], &snap, NOW);
    assert_eq!(c.opened.len(), 2);
    assert_eq!(c.clients.len(), 1);
}

#[test]
fn duplicate_client_in_one_snapshot_opens_once() {
    let snap = snapshot(&[ap("wlan0", "net", "access_point", "wireless", &["a", "a"])]);
    let c = update::<u32>(&[], &snap, NOW);
    assert_eq!(c.opened.len(), 1);
}

#[test]
fn duplicate_open_sessions_keep_the_oldest() {
    let before = [
        open(5, key("w", "n", "a"), 30),
        open(4, key("w", "n", "a"), 20),
    ];
    let c = update(
        &before,
        &snapshot(&[ap("w", "n", "access_point", "wireless", &["a"])]),
        NOW,
    );
    assert_eq!(c.kept, [4]);
    assert_eq!(closed_ids(&c), [5]);
    assert!(c.opened.is_empty());
}

#[test]
fn empty_snapshot_closes_everything() {
    let before = [
        open(1, key("w", "n", "a"), 1),
        open(2, key("w", "n", "b"), 1),
    ];
    let c = update(&before, &json!({"type": "DeviceMonitoring"}), NOW);
    assert_eq!(closed_ids(&c), [1, 2]);
    assert_eq!(close_all(&before, NOW), c.closed);
}

fn model_step(open: &[OpenSession<u32>], snap: &Value, next_id: &mut u32) -> Vec<OpenSession<u32>> {
    let c = update(open, snap, NOW);
    let mut after: Vec<OpenSession<u32>> = open
        .iter()
        .filter(|s| c.kept.contains(&s.id))
        .cloned()
        .collect();
    for n in c.opened {
        after.push(OpenSession {
            id: *next_id,
            key: n.key,
            start_us: n.start_us,
        });
        *next_id += 1;
    }
    after
}

/// A snapshot of one single-client wireless interface per generated
/// `(interface, ssid, mac, is an access point)`.
fn generated_snapshot(ifaces: &[(usize, usize, usize, bool)]) -> Value {
    let ifaces: Vec<Value> = ifaces
        .iter()
        .map(|(i, s, m, is_ap)| {
            let mode = if *is_ap { "access_point" } else { "station" };
            ap(
                &format!("wlan{i}"),
                &format!("ssid{s}"),
                mode,
                "wireless",
                &[&format!("mac{m}")],
            )
        })
        .collect();
    snapshot(&ifaces)
}

proptest! {
    /// After any sequence of snapshots, the open sessions are exactly the access-point
    /// clients of the last snapshot, one each; a session that stays seen is never reopened.
    #[test]
    fn open_sessions_track_the_last_snapshot(
        steps in proptest::collection::vec(
            proptest::collection::vec((0usize..3, 0usize..2, 0usize..4, any::<bool>()), 0..6),
            1..8,
        ),
    ) {
        let mut open_now: Vec<OpenSession<u32>> = Vec::new();
        let mut next_id = 0;
        for step in &steps {
            let snap = generated_snapshot(step);
            let before = open_now.clone();
            open_now = model_step(&open_now, &snap, &mut next_id);
            let mut want: Vec<SessionKey> = access_point_clients(&snap).into_iter().map(|(k, _)| k).collect();
            want.sort();
            want.dedup();
            let mut got: Vec<SessionKey> = open_now.iter().map(|s| s.key.clone()).collect();
            got.sort();
            prop_assert_eq!(&got, &want);
            for s in &before {
                if want.contains(&s.key) {
                    prop_assert!(open_now.iter().any(|o| o.id == s.id), "session {} reopened", s.id);
                }
            }
        }
    }

    /// The worker's digested keys give the same changes as the keys themselves, whatever
    /// the open sessions (duplicates and any start order included) and the snapshot.
    #[test]
    fn digested_keys_give_the_same_changes(
        open_keys in proptest::collection::vec((0usize..3, 0usize..2, 0usize..4, 0i64..5), 0..8),
        seen in proptest::collection::vec((0usize..3, 0usize..2, 0usize..4, any::<bool>()), 0..8),
    ) {
        use std::hash::BuildHasher;
        let open_full: Vec<OpenSession<u32>> = open_keys
            .iter()
            .zip(0u32..)
            .map(|((i, s, m, start), id)| {
                open(id, key(&format!("wlan{i}"), &format!("ssid{s}"), &format!("mac{m}")), *start)
            })
            .collect();
        let hasher = std::hash::RandomState::new();
        let digest = |k: &SessionKey| hasher.hash_one(k);
        let open_digested: Vec<OpenSession<u32, u64>> = open_full
            .iter()
            .map(|s| OpenSession { id: s.id, key: digest(&s.key), start_us: s.start_us })
            .collect();
        let snap = generated_snapshot(&seen);
        prop_assert_eq!(update(&open_full, &snap, NOW), update_by(&open_digested, &snap, NOW, digest));
    }
}

#[test]
fn the_clients_digest_changes_with_any_description_field_and_the_order() {
    let client = |mac: &str, wmm: Option<bool>| WifiClient {
        mac: mac.to_owned(),
        vendor: None,
        ht: Some(true),
        vht: None,
        he: None,
        wmm,
        wds: Some(false),
        wps: None,
    };
    let a = [client("aa", Some(true)), client("bb", None)];
    assert_eq!(clients_digest(&a), clients_digest(&a.clone()));
    let changed = [client("aa", Some(false)), client("bb", None)];
    assert_ne!(clients_digest(&a), clients_digest(&changed), "wmm changed");
    let mut vendor = a.clone();
    vendor[1].vendor = Some("Apple".into());
    assert_ne!(clients_digest(&a), clients_digest(&vendor), "vendor learnt");
    assert_ne!(clients_digest(&a), clients_digest(&a[..1]), "a client left");
    assert_ne!(
        clients_digest(&[]),
        clients_digest(&a[..1]),
        "a client came"
    );
}
