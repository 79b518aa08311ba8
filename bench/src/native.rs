//! Native ingest under load: N registered devices send `rounds` batches of B samples each,
//! over HTTP (C keep-alive connections; a 200 means stored) or through a mosquitto broker
//! started here (C publishers, QoS 1; done when the collector has acknowledged every
//! batch to the broker, i.e. stored it). Reports samples stored per second and the
//! collector's peak RSS and CPU time.

use crate::client::Connection;
use crate::collector::Collector;
use crate::openwisp::fleet::{self, Registered};
use crate::openwisp::payload;
use crate::procfs;
use anyhow::Context as _;
use bytes::Bytes;
use edgemon_shared::envelope::{Batch, Document, POSTCARD_MEDIA_TYPE, Sample, key_hash};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const SECRET: &str = "native-bench-secret";
const ORG: &str = "bench";

/// How the batches travel.
#[derive(Debug, Clone)]
pub enum Transport {
    Http,
    /// Through a mosquitto started from this binary.
    Mqtt {
        mosquitto: PathBuf,
    },
}

#[derive(Debug, Clone)]
pub struct Options {
    pub collector: PathBuf,
    pub transport: Transport,
    pub devices: u32,
    pub concurrency: u32,
    /// Samples per batch.
    pub batch: u32,
    /// Batches per device.
    pub rounds: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub transport: &'static str,
    pub devices: u32,
    pub concurrency: u32,
    pub batch: u32,
    pub samples: u64,
    /// What the collector counts as stored (`edgemon_ingest_stored_total`) after the load.
    pub stored: u64,
    pub load_s: f64,
    pub samples_per_s: f64,
    /// Answers other than 200 (HTTP: 429 retried).
    pub not_ok: u64,
    pub collector_peak_rss_kib: u64,
    pub collector_cpu_s: f64,
}

impl Report {
    pub fn text(&self) -> String {
        format!(
            "transport {}  devices {}  concurrency {}  batch {}\n\
             samples sent {} (stored by the collector: {}) in {:.2} s: {:.0} samples/s (non-200 answers: {})\n\
             collector: peak RSS {} KiB, CPU {:.2} s\n",
            self.transport,
            self.devices,
            self.concurrency,
            self.batch,
            self.samples,
            self.stored,
            self.load_s,
            self.samples_per_s,
            self.not_ok,
            self.collector_peak_rss_kib,
            self.collector_cpu_s
        )
    }
}

/// Batch `round` of a device: samples `round * batch + 1 ..`, one simulated minute apart.
pub fn batch(device: &Registered, round: u64, size: u32, start_s: i64) -> Batch {
    let samples = (0..u64::from(size))
        .map(|k| {
            let n = round * u64::from(size) + k;
            let time_s = start_s + i64::try_from(n).unwrap_or(i64::MAX) * 60;
            let doc = payload::document_bytes(device.index, n, time_s);
            Sample {
                seq: n + 1,
                collected_at_us: time_s * 1_000_000,
                document: Document::from_json(String::from_utf8(doc).expect("JSON is UTF-8"))
                    .expect("generated JSON"),
            }
        })
        .collect();
    Batch {
        device: device.uuid.parse().expect("registered ids are UUIDs"),
        samples,
    }
}

/// Run once.
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    anyhow::ensure!(
        opts.devices > 0 && opts.batch > 0 && opts.rounds > 0,
        "nothing to send"
    );
    let dir = tempfile::Builder::new()
        .prefix("edgemon-native-bench-")
        .tempdir()?;
    let mut collector = Collector::new(&opts.collector, &dir.path().join("data"));
    collector
        .cli(&[
            "org",
            "add",
            "Bench",
            "--slug",
            ORG,
            "--shared-secret",
            SECRET,
        ])
        .await?;
    let broker = match &opts.transport {
        Transport::Http => None,
        Transport::Mqtt { mosquitto } => {
            let (child, port) = start_mosquitto(mosquitto, dir.path()).await?;
            collector
                .env("EDGEMON__MQTT__ENABLED", "true")
                .env("EDGEMON__MQTT__BROKER", &format!("mqtt://127.0.0.1:{port}"));
            Some((child, port))
        }
    };
    let addr = collector.start().await?;
    let pid = collector.pid().context("collector exited")?.to_string();
    let devices = Arc::new(fleet::register(addr, SECRET, opts.devices, opts.concurrency).await?);
    if opts.transport_is_mqtt() {
        // the collector subscribes after connecting
        wait_metric(addr, "edgemon_mqtt_connected", 1).await?;
    }
    let start_s = time::OffsetDateTime::now_utc().unix_timestamp() - 86_400;
    let before = procfs::usage(&pid)?;
    let started = Instant::now();
    let not_ok = match &broker {
        None => drive_http(addr, &devices, opts, start_s).await?,
        Some((_, port)) => drive_mqtt(*port, &devices, opts, start_s, addr).await?,
    };
    let load = started.elapsed();
    let after = procfs::usage(&pid)?;
    let stored = metric(addr, "edgemon_ingest_stored_total").await?;
    collector.terminate().await?;
    let samples = u64::from(opts.devices) * opts.rounds * u64::from(opts.batch);
    #[allow(clippy::cast_precision_loss)]
    Ok(Report {
        transport: if opts.transport_is_mqtt() {
            "mqtt"
        } else {
            "http"
        },
        devices: opts.devices,
        concurrency: opts.concurrency,
        batch: opts.batch,
        samples,
        stored,
        load_s: load.as_secs_f64(),
        samples_per_s: samples as f64 / load.as_secs_f64().max(1e-9),
        not_ok,
        collector_peak_rss_kib: after.peak_rss_kib,
        collector_cpu_s: after.cpu_ms.saturating_sub(before.cpu_ms) as f64 / 1000.0,
    })
}

impl Options {
    fn transport_is_mqtt(&self) -> bool {
        matches!(self.transport, Transport::Mqtt { .. })
    }
}

async fn drive_http(
    addr: SocketAddr,
    devices: &Arc<Vec<Registered>>,
    opts: &Options,
    start_s: i64,
) -> anyhow::Result<u64> {
    let tasks: Vec<_> = (0..opts.concurrency.min(opts.devices))
        .map(|worker| {
            let (devices, opts) = (devices.clone(), opts.clone());
            tokio::spawn(async move {
                let mut conn = Connection::connect(addr).await?;
                let mut not_ok = 0u64;
                for round in 0..opts.rounds {
                    for d in devices
                        .iter()
                        .skip(worker as usize)
                        .step_by(opts.concurrency as usize)
                    {
                        let body = Bytes::from(batch(d, round, opts.batch, start_s).encode());
                        loop {
                            let reply = conn
                                .post_with_key(
                                    "/api/v1/edgemon/ingest/",
                                    POSTCARD_MEDIA_TYPE,
                                    Some(&d.key),
                                    body.clone(),
                                )
                                .await?;
                            if reply.status == 200 {
                                break;
                            }
                            not_ok += 1;
                            anyhow::ensure!(
                                reply.status == 429,
                                "answer {}: {}",
                                reply.status,
                                String::from_utf8_lossy(&reply.body)
                            );
                            tokio::time::sleep(
                                reply
                                    .retry_after
                                    .unwrap_or(Duration::from_millis(100))
                                    .min(Duration::from_millis(100)),
                            )
                            .await;
                        }
                    }
                }
                anyhow::Ok(not_ok)
            })
        })
        .collect();
    let mut not_ok = 0;
    for t in tasks {
        not_ok += t.await??;
    }
    Ok(not_ok)
}

async fn drive_mqtt(
    port: u16,
    devices: &Arc<Vec<Registered>>,
    opts: &Options,
    start_s: i64,
    addr: SocketAddr,
) -> anyhow::Result<u64> {
    let tasks: Vec<_> = (0..opts.concurrency.min(opts.devices))
        .map(|worker| {
            let (devices, opts) = (devices.clone(), opts.clone());
            tokio::spawn(async move {
                let mut mqtt =
                    rumqttc::MqttOptions::new(format!("bench-{worker}"), "127.0.0.1", port);
                mqtt.set_max_packet_size(8 << 20, 8 << 20);
                let (client, mut eventloop) = rumqttc::AsyncClient::new(mqtt, 64);
                let mine: Vec<Registered> = devices
                    .iter()
                    .skip(worker as usize)
                    .step_by(opts.concurrency as usize)
                    .cloned()
                    .collect();
                let total = mine.len() as u64 * opts.rounds;
                let publisher = tokio::spawn(async move {
                    for round in 0..opts.rounds {
                        for d in &mine {
                            let topic = format!("edgemon/v1/{ORG}/{}/samples", d.uuid);
                            let payload = batch(d, round, opts.batch, start_s)
                                .encode_signed(&key_hash(&d.key));
                            client
                                .publish(topic, rumqttc::QoS::AtLeastOnce, false, payload)
                                .await?;
                        }
                    }
                    anyhow::Ok(client)
                });
                let mut acked = 0;
                while acked < total {
                    if let rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)) =
                        eventloop.poll().await?
                    {
                        acked += 1;
                    }
                }
                let client = publisher.await??;
                client.disconnect().await?;
                anyhow::Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    let batches = u64::from(opts.devices) * opts.rounds;
    wait_metric(addr, "edgemon_mqtt_batches_total", batches).await?;
    Ok(0)
}

/// One figure of the collector's `/metrics` (0 when absent).
async fn metric(addr: SocketAddr, name: &str) -> anyhow::Result<u64> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let mut text = String::new();
    s.read_to_string(&mut text).await?;
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<u64>().ok())
        .unwrap_or(0))
}

/// Poll `/metrics` until `name` reaches `at_least`.
async fn wait_metric(addr: SocketAddr, name: &str, at_least: u64) -> anyhow::Result<()> {
    while metric(addr, name).await? < at_least {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn start_mosquitto(
    bin: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<(tokio::process::Child, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let data = dir.join("mosquitto");
    std::fs::create_dir_all(&data)?;
    // Anonymous publishers: the envelope's tag is what the collector checks. Unlimited
    // queue for the collector's session, persistence as in production.
    let conf = format!(
        "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n\
         persistence_location {}/\nmax_queued_messages 0\nmax_inflight_messages 100\n\
         max_packet_size 8000000\nuser root\n",
        data.display()
    );
    let path = dir.join("mosquitto.conf");
    std::fs::write(&path, conf)?;
    let child = tokio::process::Command::new(bin)
        .arg("-c")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "mosquitto did not start listening"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((child, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_number_samples_across_rounds_and_validate() {
        let d = Registered {
            index: 3,
            uuid: "0f0e0d0c0b0a49088706050403020100".into(),
            key: "k".into(),
        };
        let b = batch(&d, 2, 10, 1_700_000_000);
        let seqs: Vec<u64> = b.samples.iter().map(|s| s.seq).collect();
        assert_eq!(seqs, (21..=30).collect::<Vec<_>>());
        for s in &b.samples {
            edgemon_shared::validate::parse_and_validate(s.document.as_str().as_bytes())
                .expect("the collector accepts it");
        }
        assert!(
            b.samples
                .windows(2)
                .all(|w| w[0].collected_at_us < w[1].collected_at_us)
        );
    }
}
