//! Bridging: agents publish to a site mosquitto bridged to a central mosquitto, where the
//! collector subscribes. The central broker goes away for a while (the bridge link is
//! cut) and comes back: every sample the agents saw acknowledged is stored exactly once.

mod native_common;

use edgemon_shared::envelope::{Batch, Document, Sample, key_hash};
use edgemon_tests::agent::{Running, wait_for};
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::mosquitto::Mosquitto;
use native_common::{Device, metric, mqtt_agent, next_seq, publish};
use std::path::Path;

#[test]
fn samples_cross_a_bridge_that_drops_for_a_while() {
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let devs: Vec<Device> = ["a", "b", "marker"]
        .iter()
        .map(|n| {
            let d = fields(&c.cli(&["device", "add", "--org", "acme", "--name", n]));
            Device {
                id: d["id"].clone(),
                key: d["key"].clone(),
            }
        })
        .collect();
    let central_dir = tempfile::tempdir().unwrap();
    let mut central = Mosquitto::start(
        central_dir.path(),
        &[
            ("bridge", "bridge-secret"),
            ("collector", "collector-secret"),
        ],
    );
    // The site broker forwards every edgemon topic to the central one, QoS 1, on a
    // persistent bridge session (so what it holds survives a cut link).
    let site_dir = tempfile::tempdir().unwrap();
    let users: Vec<(&str, &str)> = devs
        .iter()
        .map(|d| (d.id.as_str(), d.key.as_str()))
        .collect();
    let site = Mosquitto::start_with(
        site_dir.path(),
        &users,
        &format!(
            "connection central\naddress 127.0.0.1:{}\ntopic edgemon/v1/# out 1\n\
             cleansession false\nremote_clientid site-bridge\nremote_username bridge\n\
             remote_password bridge-secret\nbridge_protocol_version mqttv311\n\
             restart_timeout 1\nkeepalive_interval 5\n",
            central.port
        ),
    );
    c.env("EDGEMON__MQTT__ENABLED", "true")
        .env(
            "EDGEMON__MQTT__BROKER",
            &format!("mqtt://127.0.0.1:{}", central.port),
        )
        .env("EDGEMON__MQTT__USERNAME", "collector")
        .env("EDGEMON__MQTT__PASSWORD", "collector-secret");
    let addr = c.start();
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let agents: Vec<Running> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| mqtt_agent(dir.path(), 5 + i as u64, site.port, &devs[i]))
        .collect();
    wait_for("batches across the bridge", || {
        metric(addr, "edgemon_mqtt_batches_total") >= 4
    });

    central.stop();
    let seqs: Vec<u64> = dirs.iter().map(|d| next_seq(d.path())).collect();
    wait_for("samples held by the site broker", || {
        dirs.iter()
            .zip(&seqs)
            .all(|(d, s)| next_seq(d.path()) >= s + 5)
    });
    central.restart();
    let before = metric(addr, "edgemon_mqtt_batches_total");
    wait_for("batches after the link is back", || {
        metric(addr, "edgemon_mqtt_batches_total") >= before + 4
    });
    for a in agents {
        a.kill();
    }
    // In order over the bridge: once a marker published now is stored, so is everything
    // the agents had published.
    let marker = &devs[2];
    let dups = metric(addr, "edgemon_native_duplicates_total");
    let topic = format!("edgemon/v1/acme/{}/samples", marker.id);
    let payload = Batch {
        device: marker.id.parse().unwrap(),
        samples: vec![Sample {
            seq: 1,
            collected_at_us: 1_700_000_000_000_000,
            document: Document::from_json(r#"{"type":"DeviceMonitoring"}"#).unwrap(),
        }],
    }
    .encode_signed(&key_hash(&marker.key));
    publish(
        site.port,
        marker,
        &[(topic.clone(), payload.clone()), (topic, payload)],
    );
    wait_for("the marker", || {
        metric(addr, "edgemon_native_duplicates_total") > dups
    });
    assert!(c.stop().success());
    let agents: Vec<(&str, &Path)> = devs
        .iter()
        .zip(&dirs)
        .map(|(d, dir)| (d.id.as_str(), dir.path()))
        .collect();
    native_common::check_exactly_once(&c, &agents);
    drop(site);
    drop(central);
}
