//! End-to-end MQTT delivery against a real mosquitto: the real `edgemon-agent run` binary
//! (from a capture bundle, 1 s interval) publishes QoS 1 batches; a test subscriber with a
//! persistent session records them. The broker goes down for a while, and the agent is
//! SIGKILLed mid-flight: afterwards every sequence number has arrived, in collection order,
//! and the last will marked the device offline.

use edgemon_shared::envelope::{Signed, key_hash};
use edgemon_tests::agent::{Running, capture_bundle, queued, wait_for};
use edgemon_tests::bin;
use edgemon_tests::mosquitto::Mosquitto;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const UUID: &str = "9b2f3c2e-8f3a-4c51-9a53-0f4f2f6d7a10";
const KEY: &str = "device-key";
const ORG: &str = "acme";

#[derive(Debug, Default)]
struct Seen {
    /// seq → (collection time, document), deduplicated.
    samples: BTreeMap<u64, (i64, String)>,
    /// Retained or live messages on the status topic, in arrival order.
    status: Vec<String>,
    batches: usize,
}

/// A collector-like subscriber: persistent session, QoS 1, records what arrives.
fn subscriber(port: u16) -> Arc<Mutex<Seen>> {
    let mut opts = MqttOptions::new("test-collector", "127.0.0.1", port);
    opts.set_clean_session(false)
        .set_credentials("collector", "collector-pw")
        .set_max_packet_size(2_000_000, 2_000_000)
        .set_keep_alive(Duration::from_secs(5));
    let (client, mut conn) = Client::new(opts, 10);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (out, subscribed) = (seen.clone(), Arc::new(Mutex::new(false)));
    let sub = subscribed.clone();
    std::thread::spawn(move || {
        for ev in conn.iter() {
            match ev {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    client
                        .subscribe(format!("edgemon/v1/{ORG}/+/+"), QoS::AtLeastOnce)
                        .unwrap();
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => *sub.lock().unwrap() = true,
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let mut s = out.lock().unwrap();
                    if p.topic.ends_with("/status") {
                        s.status
                            .push(String::from_utf8_lossy(&p.payload).into_owned());
                        continue;
                    }
                    assert_eq!(p.topic, format!("edgemon/v1/{ORG}/{UUID}/samples"));
                    let signed = Signed::decode(&p.payload).expect("a signed postcard batch");
                    assert!(signed.verify(&key_hash(KEY)), "signed with the device key");
                    let b = signed.batch;
                    assert_eq!(b.device.to_string(), UUID);
                    s.batches += 1;
                    for x in b.samples {
                        let v = (x.collected_at_us, x.document.as_str().to_owned());
                        if let Some(prev) = s.samples.insert(x.seq, v.clone()) {
                            assert_eq!(prev, v, "a resent sample changed");
                        }
                    }
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    });
    wait_for("the subscription", || *subscribed.lock().unwrap());
    seen
}

fn agent(dir: &Path, bundle: &Path, port: u16) -> Running {
    agent_with(
        dir,
        bundle,
        &format!("127.0.0.1:{port}"),
        &[],
        Stdio::null(),
    )
}

fn agent_with(dir: &Path, bundle: &Path, broker: &str, extra: &[&str], stderr: Stdio) -> Running {
    Running(
        Command::new(bin("edgemon-agent"))
            .arg("run")
            .arg("--from")
            .arg(bundle)
            .args([
                "--mode",
                "mqtt",
                "--uuid",
                UUID,
                "--key",
                KEY,
                "--mqtt-org",
                ORG,
            ])
            .args(["--mqtt-broker", broker])
            .args([
                "--interval",
                "1",
                "--boot-delay-max",
                "0",
                "--backoff-max",
                "1",
            ])
            .args(["--request-timeout", "2"])
            .args(extra)
            .arg("--queue-path")
            .arg(dir.join("queue.redb"))
            .arg("--status-file")
            .arg(dir.join("status"))
            .stderr(stderr)
            .spawn()
            .unwrap(),
    )
}

fn max_seq(seen: &Mutex<Seen>) -> u64 {
    seen.lock()
        .unwrap()
        .samples
        .keys()
        .last()
        .copied()
        .unwrap_or(0)
}

#[test]
fn mqtt_delivery_survives_a_broker_outage_and_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = capture_bundle(dir.path());
    let mut broker = Mosquitto::start(
        &dir.path().join("broker"),
        &[(UUID, KEY), ("collector", "collector-pw")],
    );
    let seen = subscriber(broker.port);
    let child = agent(dir.path(), &bundle, broker.port);
    wait_for("seq 3 delivered", || max_seq(&seen) >= 3);
    assert!(
        seen.lock().unwrap().status.iter().any(|s| s == "online"),
        "online status on connect"
    );

    // The broker goes away; the agent keeps collecting into its queue.
    broker.stop();
    wait_for("3 samples queued during the outage", || {
        queued(dir.path()) >= 3
    });
    broker.restart();
    let resumed = max_seq(&seen);
    wait_for("the outage backlog delivered", || {
        max_seq(&seen) >= resumed + 4
    });

    // SIGKILL mid-flight: the broker publishes the last will.
    child.kill();
    wait_for("the last will", || {
        seen.lock()
            .unwrap()
            .status
            .last()
            .is_some_and(|s| s == "offline")
    });
    let before = max_seq(&seen);
    let child = agent(dir.path(), &bundle, broker.port);
    wait_for("3 more samples after the restart", || {
        max_seq(&seen) >= before + 3
    });
    child.kill();

    let s = seen.lock().unwrap();
    let max = *s.samples.keys().last().unwrap();
    assert_eq!(
        s.samples.keys().copied().collect::<Vec<_>>(),
        (1..=max).collect::<Vec<_>>(),
        "every sequence number arrived"
    );
    let ats: Vec<i64> = s.samples.values().map(|(at, _)| *at).collect();
    assert!(
        ats.windows(2).all(|w| w[0] < w[1]),
        "collection times follow sequence numbers"
    );
    assert!(s.batches < s.samples.len(), "the backlog was batched");
    for (_, doc) in s.samples.values() {
        let v: serde_json::Value = serde_json::from_str(doc).unwrap();
        assert_eq!(v["type"], "DeviceMonitoring");
    }
}

#[test]
fn mqtts_verifies_the_broker_with_the_ca_file_or_not_at_all_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = capture_bundle(dir.path());
    let broker = Mosquitto::start_with_tls(
        &dir.path().join("broker"),
        &[(UUID, KEY), ("collector", "collector-pw")],
    );
    let (tls_port, ca) = broker.tls.clone().unwrap();
    let url = format!("mqtts://127.0.0.1:{tls_port}");
    let seen = subscriber(broker.port);

    // The webpki roots do not know the test CA: the handshake fails and nothing arrives.
    let log = dir.path().join("agent.log");
    let refused = agent_with(
        dir.path(),
        &bundle,
        &url,
        &[],
        std::fs::File::create(&log).unwrap().into(),
    );
    wait_for("a certificate error in the log", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("UnknownIssuer"))
    });
    refused.kill();
    assert_eq!(max_seq(&seen), 0);

    // With the CA file it is trusted; the samples queued meanwhile arrive too.
    let ca_arg = ca.display().to_string();
    let trusted = agent_with(
        dir.path(),
        &bundle,
        &url,
        &["--tls-ca-file", &ca_arg],
        Stdio::null(),
    );
    wait_for("seq 3 over TLS", || max_seq(&seen) >= 3);
    trusted.kill();

    // tls_verify = 0 accepts the unknown issuer.
    let before = max_seq(&seen);
    let unverified = agent_with(
        dir.path(),
        &bundle,
        &url,
        &["--tls-verify", "0"],
        Stdio::null(),
    );
    wait_for("more samples without verification", || {
        max_seq(&seen) > before + 1
    });
    unverified.kill();
    let s = seen.lock().unwrap();
    let max = *s.samples.keys().last().unwrap();
    assert_eq!(
        s.samples.keys().copied().collect::<Vec<_>>(),
        (1..=max).collect::<Vec<_>>()
    );
}
