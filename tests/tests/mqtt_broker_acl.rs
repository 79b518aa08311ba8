//! The broker security recipe: `edgemon-collector mqtt-acl` writes a mosquitto ACL from the
//! registry, and a real mosquitto using it refuses a device publishing under another
//! device's topic (the message never reaches the collector), while each device's own
//! batches flow.

use edgemon_collector::ingest::Ledger;
use edgemon_shared::envelope::{Batch, Document, Sample, key_hash};
use edgemon_tests::agent::wait_for;
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::try_request;
use edgemon_tests::mosquitto::Mosquitto;
use rumqttc::{Client, Event, MqttOptions, Outgoing, Packet, QoS};
use std::net::SocketAddr;

struct Device {
    id: String,
    key: String,
}

fn metric(addr: SocketAddr, name: &str) -> u64 {
    let Ok(r) = try_request(addr, "GET", "/metrics", &[], b"") else {
        return 0;
    };
    r.text()
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

/// Publish QoS 1 messages as `user` and wait for their PUBACKs (MQTT 3.1.1 brokers
/// acknowledge a publish the ACL refuses too, and drop it).
fn publish(port: u16, user: &Device, messages: &[(String, Vec<u8>)]) {
    let mut opts = MqttOptions::new(format!("test-{}", user.id), "127.0.0.1", port);
    opts.set_credentials(user.id.clone(), user.key.clone());
    let (client, mut conn) = Client::new(opts, 16);
    for (topic, payload) in messages {
        client
            .publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
            .unwrap();
    }
    let mut acked = 0;
    for ev in conn.iter() {
        match ev {
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                acked += 1;
                if acked == messages.len() {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => panic!("test publisher: {e}"),
        }
    }
    client.disconnect().unwrap();
    for ev in conn.iter() {
        if matches!(ev, Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_)) {
            break;
        }
    }
}

fn signed(device: &str, seq: u64, key: &str) -> Vec<u8> {
    Batch {
        device: device.parse().unwrap(),
        samples: vec![Sample {
            seq,
            collected_at_us: 1_700_000_000_000_000,
            document: Document::from_json(r#"{"type":"DeviceMonitoring"}"#).unwrap(),
        }],
    }
    .encode_signed(&key_hash(key))
}

#[test]
fn the_generated_acl_keeps_each_device_to_its_own_topics() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let devs: Vec<Device> = ["a", "b"]
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
    let acl = broker_dir.path().join("acl");
    c.cli(&["mqtt-acl", "--out", acl.to_str().unwrap()]);
    let text = std::fs::read_to_string(&acl).unwrap();
    assert!(text.contains(&format!("user {}", devs[1].id)), "{text}");
    let users = [
        (devs[0].id.as_str(), devs[0].key.as_str()),
        (devs[1].id.as_str(), devs[1].key.as_str()),
        ("edgemon-collector", "collector-secret"),
    ];
    let broker = Mosquitto::start_with(
        broker_dir.path(),
        &users,
        &format!("acl_file {}\n", acl.display()),
    );
    c.env("EDGEMON__MQTT__ENABLED", "true")
        .env(
            "EDGEMON__MQTT__BROKER",
            &format!("mqtt://127.0.0.1:{}", broker.port),
        )
        .env("EDGEMON__MQTT__USERNAME", "edgemon-collector")
        .env("EDGEMON__MQTT__PASSWORD", "collector-secret");
    let addr = c.start();
    wait_for("the collector's connection", || {
        metric(addr, "edgemon_mqtt_connected") == 1
    });

    let (a, b) = (&devs[0], &devs[1]);
    // b under a's topic: refused by the broker (the collector would dead-letter it).
    // Then b's and a's own batches, which flow.
    publish(
        broker.port,
        b,
        &[
            (
                format!("edgemon/v1/acme/{}/samples", a.id),
                signed(&a.id, 5, &b.key),
            ),
            (
                format!("edgemon/v1/acme/{}/samples", b.id),
                signed(&b.id, 1, &b.key),
            ),
        ],
    );
    publish(
        broker.port,
        a,
        &[(
            format!("edgemon/v1/acme/{}/samples", a.id),
            signed(&a.id, 1, &a.key),
        )],
    );
    wait_for("both own batches", || {
        metric(addr, "edgemon_mqtt_batches_total") >= 2
    });
    let dead = try_request(addr, "GET", "/metrics", &[], b"")
        .unwrap()
        .text();
    assert!(
        dead.lines()
            .filter(|l| l.starts_with("edgemon_mqtt_dead_letters_total{"))
            .all(|l| l.ends_with(" 0")),
        "the forgery reached the collector:\n{dead}"
    );
    assert!(c.stop().success());
    let ledger = Ledger::open(&c.data_dir().join("ingest.redb")).unwrap();
    let a_state = ledger.device(a.id.parse().unwrap()).unwrap().unwrap();
    assert_eq!((a_state.seen.floor(), a_state.seen.ranges()), (1, &[][..]));
    assert!(ledger.dead_letters().unwrap().is_empty());
    drop(broker);
}
