//! Replay throughput of the real agent binary: a queue pre-filled with a 24 h backlog at a
//! 1-minute interval (1440 samples, each this machine's sample from a capture bundle, with
//! its own collection time), drained by `edgemon-agent run` over HTTP-native, HTTP-OpenWISP
//! (against a local keep-alive sink) and MQTT (a real mosquitto). Prints one line per
//! transport: samples/s, and the agent's peak and steady RSS.
//!
//! `cargo run --release -p edgemon-tests --example bench_replay`
//! (`EDGEMON_AGENT_BIN=target/agent/edgemon-agent` measures the size-optimised build).

use edgemon_agent::collect::collect;
use edgemon_agent::queue::{Limits, Queue};
use edgemon_agent::source::Bundle;
use edgemon_shared::envelope::{Batch, Document};
use edgemon_tests::agent::{Running, capture_bundle, wait_for};
use edgemon_tests::mosquitto::Mosquitto;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const UUID: &str = "0b6f1f9e-2a53-4c8e-9d1f-7c9a3e5b2d41";
const KEY: &str = "bench-key";
/// Samples in the backlog: `--minutes N` (default a day, 1440).
fn backlog() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--minutes")
        .and_then(|i| args.get(i + 1))
        .map_or(1440, |v| v.parse().expect("--minutes takes a number"))
}

/// The benchmark's clock origin; sinks stamp each arrival against it.
static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
/// Nanoseconds since [`T0`] of the latest arrival.
static LAST: AtomicU64 = AtomicU64::new(0);

fn now_ns() -> u64 {
    u64::try_from(T0.get_or_init(Instant::now).elapsed().as_nanos()).unwrap()
}

/// Counts `n` arrived samples and stamps the arrival.
fn arrived(count: &AtomicU64, n: u64) {
    count.fetch_add(n, Ordering::SeqCst);
    LAST.store(now_ns(), Ordering::SeqCst);
}

fn agent_bin() -> PathBuf {
    std::env::var_os("EDGEMON_AGENT_BIN")
        .map_or_else(|| edgemon_tests::bin("edgemon-agent"), PathBuf::from)
}

/// A queue holding `backlog()` samples one minute apart, ending now.
fn fill(queue: &Path, doc: &Document) {
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap();
    let limits = Limits {
        max_bytes: 64 * 1024 * 1024,
        max_age: Duration::from_secs(48 * 3600),
    };
    let mut q = Queue::open(queue, limits).unwrap();
    let backlog = backlog();
    for i in 0..backlog {
        let at = now - i64::try_from((backlog - i) * 60_000_000).unwrap();
        q.enqueue(at, doc.clone(), now).unwrap();
    }
}

/// A keep-alive HTTP sink counting samples (one per OpenWISP POST, a batch's worth for
/// native).
fn sink(count: Arc<AtomicU64>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || {
                let mut out = conn.try_clone().unwrap();
                let mut r = BufReader::new(conn);
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut len = 0;
                    loop {
                        let mut h = String::new();
                        r.read_line(&mut h).unwrap();
                        if h.trim().is_empty() {
                            break;
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; len];
                    r.read_exact(&mut body).unwrap();
                    let n = if line.contains("/edgemon/ingest/") {
                        Batch::decode(&body).unwrap().samples.len() as u64
                    } else {
                        1
                    };
                    arrived(&count, n);
                    out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .unwrap();
                }
            });
        }
    });
    port
}

fn mqtt_counter(port: u16, count: Arc<AtomicU64>) {
    let mut opts = MqttOptions::new("bench-collector", "127.0.0.1", port);
    opts.set_credentials("collector", "pw")
        .set_max_packet_size(2_000_000, 2_000_000);
    let (client, mut conn) = Client::new(opts, 10);
    let ready = Arc::new(AtomicU64::new(0));
    let r = ready.clone();
    std::thread::spawn(move || {
        for ev in conn.iter() {
            match ev {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    client
                        .subscribe("edgemon/v1/bench/+/samples", QoS::AtLeastOnce)
                        .unwrap();
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => r.store(1, Ordering::SeqCst),
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let n = Batch::decode(&p.payload).unwrap().samples.len() as u64;
                    arrived(&count, n);
                }
                _ => {}
            }
        }
    });
    wait_for("the bench subscription", || {
        ready.load(Ordering::SeqCst) == 1
    });
}

fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Replays a copy of the `filled` queue (filling one takes a commit per sample: it is
/// done once for the three transports).
fn replay(
    name: &str,
    bundle: &Path,
    (filled, doc): (&Path, &Document),
    mode_args: &[String],
    count: &AtomicU64,
) {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("queue.redb");
    std::fs::copy(filled, &queue).unwrap();
    count.store(0, Ordering::SeqCst);
    let start = now_ns();
    let child = Running(
        Command::new(agent_bin())
            .arg("run")
            .arg("--from")
            .arg(bundle)
            .args(mode_args)
            .args(["--uuid", UUID, "--key", KEY, "--interval", "1h"])
            .args([
                "--boot-delay-max",
                "0",
                "--queue-max-bytes",
                "64M",
                "--queue-max-age",
                "48h",
            ])
            .arg("--queue-path")
            .arg(&queue)
            .arg("--status-file")
            .arg(dir.path().join("status"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The backlog plus the sample taken at start.
    wait_for(name, || count.load(Ordering::SeqCst) > backlog());
    // From spawning the process to the last sample's arrival at the sink.
    let elapsed = Duration::from_nanos(LAST.load(Ordering::SeqCst) - start);
    let pid = child.0.id();
    std::thread::sleep(Duration::from_secs(1));
    let (peak, steady) = (status_kib(pid, "VmHWM:"), status_kib(pid, "VmRSS:"));
    child.kill();
    #[allow(clippy::cast_precision_loss)]
    let rate = (backlog() + 1) as f64 / elapsed.as_secs_f64();
    // The benchmark's output is its one line per transport on stdout.
    let _ = writeln!(
        std::io::stdout(),
        "transport={name} samples={} seconds={:.2} samples_per_s={rate:.0} peak_rss_kib={peak} steady_rss_kib={steady} sample_bytes={}",
        backlog() + 1,
        elapsed.as_secs_f64(),
        doc.as_str().len()
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = capture_bundle(dir.path());
    let doc = Document::from(&collect(&Bundle::new(&bundle), Duration::ZERO).doc);
    let count = Arc::new(AtomicU64::new(0));
    let url = format!("http://127.0.0.1:{}", sink(count.clone()));
    let http = |mode: &str| ["--mode", mode, "--url", &url].map(str::to_owned).to_vec();
    let filled = dir.path().join("backlog.redb");
    fill(&filled, &doc);
    let queued = (filled.as_path(), &doc);
    replay("http-native", &bundle, queued, &http("native"), &count);
    replay("http-openwisp", &bundle, queued, &http("openwisp"), &count);
    let broker = Mosquitto::start(
        &dir.path().join("broker"),
        &[(UUID, KEY), ("collector", "pw")],
    );
    mqtt_counter(broker.port, count.clone());
    let mqtt = [
        "--mode".to_owned(),
        "mqtt".to_owned(),
        "--mqtt-broker".to_owned(),
        format!("127.0.0.1:{}", broker.port),
        "--mqtt-org".to_owned(),
        "bench".to_owned(),
    ];
    replay("mqtt", &bundle, queued, &mqtt, &count);
}
