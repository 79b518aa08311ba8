//! Helpers shared by the native ingest end-to-end tests (HTTP and MQTT). Each test crate
//! uses a part of them.

#![allow(dead_code)]

use edgemon_agent::queue::{Limits, Queue};
use edgemon_collector::derive::slug::clean_timeseries_data_key;
use edgemon_collector::ingest::Ledger;
use edgemon_collector::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
use edgemon_collector::tsdb::{Agg, FieldValue, Query, Retention, TagFilter, TimeSeries};
use edgemon_tests::agent::Running;
use edgemon_tests::bin;
use edgemon_tests::collector::Collector;
use edgemon_tests::http::try_request;
use rumqttc::{Client, Event, MqttOptions, Outgoing, Packet, QoS};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

/// What an agent's queue says after it was killed: the next sequence number and the
/// numbers still queued (not acknowledged).
pub fn agent_queue(dir: &Path) -> (u64, Vec<u64>, u64) {
    let q = Queue::open(&dir.join("queue.redb"), Limits::default()).unwrap();
    let st = q.status();
    (st.next_seq, q.seqs().collect(), st.dropped)
}

/// After the collector stopped: every sample each agent deleted from its queue is settled
/// in the ledger and stored exactly once (see [`check_store`]). `agents` pairs device ids
/// with the agents' directories.
pub fn check_exactly_once(c: &Collector, agents: &[(&str, &Path)]) {
    check_exactly_once_min(c, agents, 10);
}

/// [`check_exactly_once`] for agents that collected more than `min` samples each.
pub fn check_exactly_once_min(c: &Collector, agents: &[(&str, &Path)], min: u64) {
    let ledger = Ledger::open(&c.data_dir().join("ingest.redb")).unwrap();
    let (rt, store) = open_store(c);
    for (id, dir) in agents {
        let (next_seq, unacked, dropped) = agent_queue(dir);
        assert_eq!(dropped, 0);
        assert!(
            next_seq > min,
            "the agent collected only {} samples",
            next_seq - 1
        );
        let acked: Vec<u64> = (1..next_seq).filter(|s| !unacked.contains(s)).collect();
        let state = ledger.device(id.parse().unwrap()).unwrap().unwrap();
        assert_eq!(state.seen.lost(), 0);
        for s in &acked {
            assert!(
                state.seen.contains(*s),
                "acknowledged sample {s} not settled"
            );
        }
        // Stored samples: the acknowledged ones, and perhaps queued ones whose answer was
        // lost with the collector, never more.
        let settled = state.seen.floor()
            + state
                .seen
                .ranges()
                .iter()
                .map(|(a, b)| b - a + 1)
                .sum::<u64>();
        assert!(settled >= acked.len() as u64 && settled < next_seq);
        rt.block_on(check_store(&store, id, settled));
    }
    // Closed before returning: a caller may open the file again at once.
    rt.block_on(store.close());
}

/// After the collector stopped, for an agent that dropped `dropped` samples (full queue):
/// no sample is stored twice, the ledger's gaps are at most what was dropped, and every
/// stored sample is in the store once (see [`check_store`]).
pub fn check_exactly_once_dropping(c: &Collector, agents: &[(&str, &Path)], dropped: u64) {
    let ledger = Ledger::open(&c.data_dir().join("ingest.redb")).unwrap();
    let (rt, store) = open_store(c);
    for (id, dir) in agents {
        let (next_seq, unacked, queue_dropped) = agent_queue(dir);
        assert!(queue_dropped >= dropped.min(1), "the queue counted no drop");
        let state = ledger.device(id.parse().unwrap()).unwrap().unwrap();
        let settled = state.seen.floor()
            + state
                .seen
                .ranges()
                .iter()
                .map(|(a, b)| b - a + 1)
                .sum::<u64>();
        assert!(
            state.seen.lost() <= queue_dropped,
            "{} sequence numbers missing, {queue_dropped} dropped",
            state.seen.lost()
        );
        assert!(settled + queue_dropped + unacked.len() as u64 >= next_seq - 1);
        assert!(settled < next_seq);
        rt.block_on(check_store(&store, id, settled));
    }
    // Closed before returning: a caller may open the file again at once.
    rt.block_on(store.close());
}

/// One point per stored sample (distinct collection times), and traffic deltas that add
/// up to the last counters: a sample derived twice against the wrong base would break it.
pub async fn check_store(store: &EmbeddedStore, id: &str, settled: u64) {
    let q = |measurement: &str, tags: Vec<(String, String)>, field: &str, agg| Query {
        retention: Retention::Default,
        measurement: measurement.into(),
        filters: std::iter::once(("object_id".to_owned(), id.to_owned()))
            .chain(tags)
            .map(|(key, value)| TagFilter { key, value })
            .collect(),
        fields: vec![(field.into(), agg)],
        start_us: 0,
        end_us: i64::MAX / 2,
        bucket_us: None,
        bucket_offset_us: 0,
        group_by_tags: vec![],
    };
    let one = |series: Vec<edgemon_collector::tsdb::Series>| -> Option<FieldValue> {
        assert_eq!(series.len(), 1);
        series[0].rows[0].values[0].clone()
    };
    let cpu = store
        .query(q("cpu", vec![], "cpu_usage", Agg::Count))
        .await
        .unwrap();
    assert_eq!(
        one(cpu),
        Some(FieldValue::Int(i64::try_from(settled).unwrap()))
    );
    let data = snapshot(store, id).await;
    let mut checked = 0;
    for iface in data["interfaces"].as_array().unwrap() {
        let Some(rx) = iface["statistics"]["rx_bytes"].as_i64() else {
            continue;
        };
        let name = iface["name"].as_str().unwrap();
        let tag = ("ifname".to_owned(), clean_timeseries_data_key(name));
        let sum = store
            .query(q("traffic", vec![tag], "rx_bytes", Agg::Sum))
            .await
            .unwrap();
        assert_eq!(one(sum), Some(FieldValue::Int(rx)), "traffic of {name}");
        checked += 1;
    }
    assert!(checked > 0, "no interface with counters");
}

pub struct Device {
    pub id: String,
    pub key: String,
}

pub fn metric(addr: SocketAddr, name: &str) -> u64 {
    let Ok(r) = try_request(addr, "GET", "/metrics", &[], b"") else {
        return 0;
    };
    r.text()
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

pub fn dead(addr: SocketAddr, reason: &str) -> u64 {
    metric(
        addr,
        &format!("edgemon_mqtt_dead_letters_total{{reason=\"{reason}\"}}"),
    )
}

/// The next sequence number a running agent reports in its status file.
pub fn next_seq(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join("status"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["queue"]["next_seq"].as_u64())
        .unwrap_or(0)
}

pub fn mqtt_agent(dir: &Path, n: u64, broker: u16, dev: &Device) -> Running {
    Running(
        Command::new(bin("edgemon-agent"))
            .args(["run", "--simulate", &n.to_string()])
            .args(["--uuid", &dev.id, "--key", &dev.key, "--mode", "mqtt"])
            .args(["--mqtt-broker", &format!("127.0.0.1:{broker}")])
            .args(["--mqtt-org", "acme", "--request-timeout", "2"])
            .args(["--interval", "150ms", "--batch-max", "4"])
            .args(["--boot-delay-max", "0", "--backoff-max", "1"])
            .arg("--queue-path")
            .arg(dir.join("queue.redb"))
            .arg("--status-file")
            .arg(dir.join("status"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Publish QoS 1 messages as `user` and wait for their PUBACKs.
pub fn publish(port: u16, user: &Device, messages: &[(String, Vec<u8>)]) {
    let mut opts = MqttOptions::new(format!("test-{}", user.id), "127.0.0.1", port);
    opts.set_credentials(user.id.clone(), user.key.clone());
    opts.set_max_packet_size(1 << 20, 1 << 20);
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

/// After the collector stopped, for agents in OpenWISP mode (no ledger on that path): every
/// sample the agent deleted is stored, none twice, and the traffic deltas add up (see
/// [`check_store`]). Samples whose 200 was lost with the collector may be stored too.
pub fn check_openwisp_exactly_once(c: &Collector, agents: &[(&str, &Path)], min: u64) {
    let (rt, store) = open_store(c);
    for (id, dir) in agents {
        let (next_seq, unacked, dropped) = agent_queue(dir);
        assert_eq!(dropped, 0);
        assert!(
            next_seq > min,
            "the agent collected only {} samples",
            next_seq - 1
        );
        let acked = next_seq - 1 - unacked.len() as u64;
        let cpu = rt.block_on(count(&store, "cpu", "cpu_usage", id));
        assert!(
            cpu >= acked && cpu < next_seq,
            "{cpu} samples stored; {acked} acknowledged of {} collected",
            next_seq - 1
        );
        rt.block_on(check_store(&store, id, cpu));
    }
    // Closed before returning: a caller may open the file again at once.
    rt.block_on(store.close());
}

async fn count(store: &EmbeddedStore, measurement: &str, field: &str, id: &str) -> u64 {
    let series = store
        .query(Query {
            retention: Retention::Default,
            measurement: measurement.into(),
            filters: vec![TagFilter {
                key: "object_id".into(),
                value: id.into(),
            }],
            fields: vec![(field.into(), Agg::Count)],
            start_us: 0,
            end_us: i64::MAX / 2,
            bucket_us: None,
            bucket_offset_us: 0,
            group_by_tags: vec![],
        })
        .await
        .unwrap();
    match series.first().and_then(|s| s.rows[0].values[0].clone()) {
        Some(FieldValue::Int(n)) => u64::try_from(n).unwrap(),
        None => 0,
        other => panic!("count is {other:?}"),
    }
}

/// After the collector stopped: `n` samples of device `id` are stored, with traffic deltas
/// that add up to its last counters.
pub fn check_openwisp_store(c: &Collector, id: &str, n: u64) {
    let (rt, store) = open_store(c);
    rt.block_on(async {
        check_store(&store, id, n).await;
        store.close().await;
    });
}

/// After the collector stopped: the device's latest stored snapshot (`device_data`).
pub fn latest_snapshot(c: &Collector, id: &str) -> serde_json::Value {
    let (rt, store) = open_store(c);
    rt.block_on(async {
        let data = snapshot(&store, id).await;
        store.close().await;
        data
    })
}

/// The stopped collector's embedded store, with a runtime to query it. Close it before
/// returning: a caller may open the file again at once.
pub fn open_store(c: &Collector) -> (tokio::runtime::Runtime, EmbeddedStore) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(async {
        EmbeddedStore::open(
            c.data_dir().join("timeseries.redb"),
            EmbeddedConfig::default(),
            std::sync::Arc::new(SystemClock),
        )
        .unwrap()
    });
    (rt, store)
}

/// The device's latest `device_data` snapshot in `store`.
async fn snapshot(store: &EmbeddedStore, id: &str) -> serde_json::Value {
    let snap = store
        .latest(
            Retention::Short,
            "device_data".into(),
            vec![("pk".into(), id.into())],
        )
        .await
        .unwrap()
        .expect("a snapshot");
    let Some(FieldValue::Str(data)) = snap.fields.get("data") else {
        panic!("no data")
    };
    serde_json::from_str(data).unwrap()
}
