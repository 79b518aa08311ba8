//! Native ingest over MQTT, end to end: a real mosquitto (started by the test, no ACL: any
//! device may publish anywhere), the real collector subscribed to it, real agents in
//! `mqtt` mode, and a test client playing a hostile device.

mod native_common;

use edgemon_collector::ingest::Ledger;
use edgemon_shared::envelope::{Batch, Document, Sample, key_hash};
use edgemon_tests::agent::{Running, wait_for};
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::mosquitto::Mosquitto;
use native_common::{Device, dead, metric, mqtt_agent, next_seq, publish};
use std::path::Path;
use uuid::Uuid;

fn batch(device: &str, seqs: &[u64]) -> Batch {
    Batch {
        device: device.parse().unwrap(),
        samples: seqs
            .iter()
            .map(|&s| Sample {
                seq: s,
                collected_at_us: 1_700_000_000_000_000 + i64::try_from(s).unwrap(),
                document: Document::from_json(r#"{"type":"DeviceMonitoring"}"#).unwrap(),
            })
            .collect(),
    }
}

/// A registry with devices a, b, c in organization acme; a broker where each has its own
/// credentials (no ACL); the collector configured to subscribe (not started).
fn setup() -> (Collector, Vec<Device>, Mosquitto, tempfile::TempDir) {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let devs: Vec<Device> = ["a", "b", "c"]
        .iter()
        .map(|n| {
            let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", n]));
            Device {
                id: d["id"].clone(),
                key: d["key"].clone(),
            }
        })
        .collect();
    let broker_dir = tempfile::tempdir().unwrap();
    let mut users: Vec<(&str, &str)> = devs
        .iter()
        .map(|d| (d.id.as_str(), d.key.as_str()))
        .collect();
    users.push(("collector", "collector-secret"));
    let broker = Mosquitto::start(broker_dir.path(), &users);
    c.env("EDGEMON__MQTT__ENABLED", "true")
        .env(
            "EDGEMON__MQTT__BROKER",
            &format!("mqtt://127.0.0.1:{}", broker.port),
        )
        .env("EDGEMON__MQTT__USERNAME", "collector")
        .env("EDGEMON__MQTT__PASSWORD", "collector-secret");
    (c, devs, broker, broker_dir)
}

#[test]
fn agents_over_mqtt_forgeries_garbage_and_sigkill() {
    let (mut c, devs, broker, _broker_dir) = setup();
    let mut addr = c.start();
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let agents: Vec<Running> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| mqtt_agent(dir.path(), 3 + i as u64, broker.port, &devs[i]))
        .collect();
    wait_for("batches over MQTT", || {
        metric(addr, "edgemon_mqtt_batches_total") >= 4
    });

    // Device c, with its own valid credentials, publishes as device a.
    let (a, hostile) = (&devs[0], &devs[2]);
    let a_topic = format!("edgemon/v1/acme/{}/samples", a.id);
    let forged = batch(&a.id, &[1_000_000]).encode_signed(&key_hash(&hostile.key));
    let unknown = Uuid::from_u128(77).to_string();
    publish(
        broker.port,
        hostile,
        &[
            (a_topic.clone(), forged),
            (a_topic.clone(), b"\x02garbage".to_vec()),
            (
                format!("edgemon/v1/acme/{unknown}/samples"),
                batch(&unknown, &[1]).encode_signed(&key_hash("x")),
            ),
        ],
    );
    wait_for("dead letters", || {
        dead(addr, "unauthenticated") == 1
            && dead(addr, "undecodable") == 1
            && dead(addr, "unknown_device") == 1
    });
    // ... while good batches keep flowing.
    let before = metric(addr, "edgemon_mqtt_batches_total");
    wait_for("more batches", || {
        metric(addr, "edgemon_mqtt_batches_total") >= before + 4
    });

    // Device c's own batch, delivered twice: stored once.
    let twice = batch(&hostile.id, &[1, 2]).encode_signed(&key_hash(&hostile.key));
    let c_topic = format!("edgemon/v1/acme/{}/samples", hostile.id);
    publish(
        broker.port,
        hostile,
        &[(c_topic.clone(), twice.clone()), (c_topic, twice)],
    );
    wait_for("the duplicate", || {
        metric(addr, "edgemon_native_duplicates_total") >= 2
    });

    // SIGKILL mid-stream: what was stored but not acknowledged comes again.
    c.env("EDGEMON__HTTP__LISTEN", &addr.to_string());
    for _ in 0..3 {
        c.kill();
        // The broker keeps what the agents publish meanwhile.
        let seqs: Vec<u64> = dirs.iter().map(|d| next_seq(d.path())).collect();
        wait_for("a backlog at the broker", || {
            dirs.iter()
                .zip(&seqs)
                .all(|(d, s)| next_seq(d.path()) >= s + 3)
        });
        addr = c.start();
        wait_for("batches after the restart", || {
            metric(addr, "edgemon_mqtt_batches_total") >= 4
        });
    }
    let status_before = metric(addr, "edgemon_mqtt_status_updates_total");
    for a in agents {
        a.kill();
    }
    // The broker delivers the collector's session in order: once a marker published now
    // is stored, so is everything the agents had published.
    let dups = metric(addr, "edgemon_native_duplicates_total");
    let marker = batch(&hostile.id, &[1, 2, 3]).encode_signed(&key_hash(&hostile.key));
    publish(
        broker.port,
        hostile,
        &[(format!("edgemon/v1/acme/{}/samples", hostile.id), marker)],
    );
    wait_for("the marker", || {
        metric(addr, "edgemon_native_duplicates_total") >= dups + 2
    });
    wait_for("the last wills", || {
        metric(addr, "edgemon_mqtt_status_updates_total") >= status_before + 2
    });
    assert!(c.stop().success());

    let agents: Vec<(&str, &Path)> = devs
        .iter()
        .zip(&dirs)
        .map(|(d, dir)| (d.id.as_str(), dir.path()))
        .collect();
    native_common::check_exactly_once(&c, &agents);
    check_ledger(&c, &devs, &a_topic);
    drop(broker);
}

/// Last wills, dead letters, the forgery not stored, the duplicate stored once.
fn check_ledger(c: &Collector, devs: &[Device], a_topic: &str) {
    let ledger = Ledger::open(&c.data_dir().join("ingest.redb")).unwrap();
    for d in &devs[..2] {
        let st = ledger
            .status(d.id.parse().unwrap())
            .unwrap()
            .expect("a status");
        assert!(!st.online, "the last will said offline");
    }
    let letters = ledger.dead_letters().unwrap();
    let reasons: Vec<&str> = letters.iter().map(|l| l.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["unauthenticated", "undecodable", "unknown_device"]
    );
    assert_eq!(letters[0].topic, a_topic);
    assert_eq!(letters[1].payload, b"\x02garbage");
    let a_state = ledger.device(devs[0].id.parse().unwrap()).unwrap().unwrap();
    assert!(
        !a_state.seen.contains(1_000_000),
        "the forged sample was not stored"
    );
    let c_state = ledger.device(devs[2].id.parse().unwrap()).unwrap().unwrap();
    assert_eq!(c_state.seen.floor(), 3);
}
