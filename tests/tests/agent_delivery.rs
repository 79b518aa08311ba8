//! End-to-end delivery: the real `edgemon-agent run` binary, fed from a capture bundle of
//! this machine, against a small HTTP sink written here that can be made to fail. Checks
//! that everything collected during an outage arrives afterwards, in order, with its
//! original timestamps, and that SIGKILL mid-flight loses nothing.

use edgemon_shared::envelope::Batch;
use edgemon_tests::agent::{Running, capture_bundle, queued, wait_for};
use edgemon_tests::bin;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const UUID: &str = "5d5a3ebc-4ac9-4f11-8a0b-a84e0c6b4d8e";
const KEY: &str = "test key";
/// What the sink's registration endpoint hands out.
const REGISTERED: &str = "0f0e0d0c0b0a49088706050403020100";
const REGISTERED_KEY: &str = "issued-key";

/// One request as the sink saw it.
#[derive(Debug, Clone)]
struct Request {
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    status: u16,
}

/// An HTTP/1.1 sink answering every request with the current `status`
/// (`Connection: close`, one request per connection).
struct Sink {
    port: u16,
    status: Arc<AtomicU16>,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Sink {
    fn start(status: u16) -> Self {
        Self::start_on(0, status)
    }

    fn start_on(port: u16, status: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = Sink {
            port,
            status: Arc::new(AtomicU16::new(status)),
            seen: Arc::default(),
        };
        let (st, seen) = (sink.status.clone(), sink.seen.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                if let Some(req) = serve(conn, st.load(Ordering::SeqCst)) {
                    seen.lock().unwrap().push(req);
                }
            }
        });
        sink
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    fn accepted(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.status == 200)
            .collect()
    }
}

fn serve(conn: TcpStream, status: u16) -> Option<Request> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let target = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body_in = vec![0; len];
    reader.read_exact(&mut body_in).ok()?;
    let mut out = conn;
    if target == "/controller/device/register/" && status == 200 {
        // openwisp-controller's answer to a registration.
        let body = format!(
            "registration-result: success\nuuid: {REGISTERED}\nkey: {REGISTERED_KEY}\nhostname: x\nis-new: 1\n"
        );
        write!(
            out,
            "HTTP/1.1 201 Created\r\nX-Openwisp-Controller: true\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .ok()?;
        return Some(Request {
            target,
            headers,
            body: body_in,
            status: 201,
        });
    }
    let reason = if status == 200 { "OK" } else { "Unavailable" };
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    Some(Request {
        target,
        headers,
        body: body_in,
        status,
    })
}

fn agent(dir: &Path, bundle: &Path, url: &str, mode: &str) -> Running {
    Running(
        Command::new(bin("edgemon-agent"))
            .arg("run")
            .arg("--from")
            .arg(bundle)
            .args(["--url", url, "--uuid", UUID, "--key", KEY, "--mode", mode])
            .args([
                "--interval",
                "1",
                "--boot-delay-max",
                "0",
                "--backoff-max",
                "1",
            ])
            .arg("--queue-path")
            .arg(dir.join("queue.redb"))
            .arg("--status-file")
            .arg(dir.join("status"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn query<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    target
        .split_once('?')?
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// The samples of every accepted native batch, deduplicated by sequence number.
fn native_samples(sink: &Sink) -> std::collections::BTreeMap<u64, (i64, String)> {
    let mut out = std::collections::BTreeMap::new();
    for r in sink.accepted() {
        let b = Batch::decode(&r.body).expect("a valid postcard batch");
        assert_eq!(b.device.to_string(), UUID);
        for s in b.samples {
            let doc = s.document.as_str().to_owned();
            if let Some((at, prev)) = out.insert(s.seq, (s.collected_at_us, doc.clone())) {
                assert_eq!(
                    (at, prev),
                    (s.collected_at_us, doc),
                    "a resent sample changed"
                );
            }
        }
    }
    out
}

#[test]
fn openwisp_mode_delivers_the_outage_backlog_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = capture_bundle(dir.path());
    let sink = Sink::start(503);
    let child = agent(dir.path(), &bundle, &sink.url(), "openwisp");
    wait_for("3 refused attempts", || sink.requests().len() >= 3);
    // Let the backlog grow, then recover.
    wait_for("4 queued samples", || queued(dir.path()) >= 4);
    sink.status.store(200, Ordering::SeqCst);
    wait_for("6 delivered samples", || sink.accepted().len() >= 6);
    child.kill();

    let accepted = sink.accepted();
    let times: Vec<&str> = accepted
        .iter()
        .map(|r| query(&r.target, "time").unwrap())
        .collect();
    let parsed: Vec<_> = times
        .iter()
        .map(|t| edgemon_shared::time::parse_openwisp_time(t).unwrap())
        .collect();
    assert!(
        parsed.windows(2).all(|w| w[0] < w[1]),
        "oldest first, no duplicates: {times:?}"
    );
    let first_refused = sink.requests()[0].target.clone();
    assert_eq!(
        query(&first_refused, "time"),
        Some(times[0]),
        "the first sample is the first tried"
    );
    for r in &accepted {
        assert!(r.target.starts_with(&format!(
            "/api/v1/monitoring/device/{UUID}/?key=test%20key&time="
        )));
        assert_eq!(
            r.headers
                .iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| v.as_str()),
            Some("application/json")
        );
        let doc: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(doc["type"], "DeviceMonitoring");
    }
    // The backlog sent after the outage is not "current"; a sample sent when it was the
    // only one queued is.
    assert_eq!(query(&accepted[0].target, "current"), None);
    let later: serde_json::Value = serde_json::from_slice(&accepted[2].body).unwrap();
    assert!(
        later["edgemon"]["backlog_samples"].as_u64().unwrap() >= 2,
        "backlog reported: {}",
        later["edgemon"]
    );
}

#[test]
fn native_mode_survives_an_outage_and_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = capture_bundle(dir.path());
    // A closed port first: bind, remember the port, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let child = agent(dir.path(), &bundle, &url, "native");
    wait_for("3 queued samples", || queued(dir.path()) >= 3);
    // The server comes up on that port.
    let sink = Sink::start_on(port, 200);
    wait_for("seq 5 delivered", || native_samples(&sink).contains_key(&5));
    // SIGKILL while it keeps sending, restart, and go on.
    child.kill();
    let before = *native_samples(&sink).keys().last().unwrap();
    let child = agent(dir.path(), &bundle, &sink.url(), "native");
    wait_for("3 more samples after the restart", || {
        native_samples(&sink)
            .keys()
            .last()
            .is_some_and(|&m| m >= before + 3)
    });
    child.kill();

    let got = native_samples(&sink);
    let max = *got.keys().last().unwrap();
    assert_eq!(
        got.keys().copied().collect::<Vec<_>>(),
        (1..=max).collect::<Vec<_>>(),
        "no gap"
    );
    let ats: Vec<i64> = got.values().map(|(at, _)| *at).collect();
    assert!(
        ats.windows(2).all(|w| w[0] < w[1]),
        "collection times follow sequence numbers"
    );
    for r in sink.accepted() {
        let h = |name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(r.target, "/api/v1/edgemon/ingest/");
        assert_eq!(h("x-edgemon-key").as_deref(), Some(KEY));
        assert_eq!(
            h("content-type").as_deref(),
            Some(edgemon_shared::envelope::POSTCARD_MEDIA_TYPE)
        );
    }
    // `status` reads the queue the stopped daemon left.
    let out = Command::new(bin("edgemon-agent"))
        .arg("status")
        .arg("--queue-path")
        .arg(dir.path().join("queue.redb"))
        .arg("--status-file")
        .arg(dir.path().join("status"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("daemon: not running\nqueue depth: "),
        "{text}"
    );
    assert!(text.contains("\ndropped: 0 "), "{text}");
    let figure = |prefix: &str| -> u64 {
        let line = text.lines().find_map(|l| l.strip_prefix(prefix)).unwrap();
        line.split_whitespace().next().unwrap().parse().unwrap()
    };
    // Every sequence number issued and not delivered is still queued (a sample may be
    // both, if the kill came between the server's 2xx and the queue's commit).
    let (next, depth) = (figure("next sequence number: "), figure("queue depth: "));
    assert!(next > max && next - 1 - max <= depth, "{text}");
    assert!(
        text.contains("last error: ") && text.contains("Connection refused"),
        "{text}"
    );
    // The samples queued while the port was closed went out in the first batch.
    let first = Batch::decode(&sink.accepted()[0].body).unwrap();
    assert!(
        first.samples.len() >= 3,
        "backlog batched: {}",
        first.samples.len()
    );
}

#[test]
fn registers_with_the_shared_secret_once_and_uses_the_identity() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = capture_bundle(dir.path());
    let sink = Sink::start(200);
    let identity = dir.path().join("identity");
    let run = || {
        Running(
            Command::new(bin("edgemon-agent"))
                .arg("run")
                .arg("--from")
                .arg(&bundle)
                .args(["--url", &sink.url(), "--shared-secret", "org secret"])
                .args(["--interval", "1", "--boot-delay-max", "0"])
                .arg("--identity-file")
                .arg(&identity)
                .arg("--queue-path")
                .arg(dir.path().join("queue.redb"))
                .arg("--status-file")
                .arg(dir.path().join("status"))
                .openwisp_config_absent(dir.path())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let child = run();
    wait_for("a sample sent with the issued identity", || {
        !sink.accepted().is_empty()
    });
    child.kill();
    let dashed = uuid_dashed(REGISTERED);
    let reqs = sink.requests();
    let reg: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.target.starts_with("/controller/"))
        .collect();
    assert_eq!(reg.len(), 1);
    let form = String::from_utf8(reg[0].body.clone()).unwrap();
    assert!(
        form.contains("secret=org+secret") || form.contains("secret=org%20secret"),
        "{form}"
    );
    assert!(form.contains("backend=netjsonconfig.OpenWrt"), "{form}");
    assert!(sink.accepted()[0].target.starts_with(&format!(
        "/api/v1/monitoring/device/{dashed}/?key={REGISTERED_KEY}&time="
    )));
    // A restart uses the stored identity: no second registration.
    let child = run();
    let before = sink.accepted().len();
    wait_for("another sample", || sink.accepted().len() > before);
    child.kill();
    let regs = sink
        .requests()
        .iter()
        .filter(|r| r.target.starts_with("/controller/"))
        .count();
    assert_eq!(regs, 1, "registered once");
}

fn uuid_dashed(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Points `--openwisp-config` at a file that does not set url/uuid/key, so the test does
/// not depend on the machine's /etc/config/openwisp.
trait NoOpenwisp {
    fn openwisp_config_absent(&mut self, dir: &Path) -> &mut Self;
}

impl NoOpenwisp for Command {
    fn openwisp_config_absent(&mut self, dir: &Path) -> &mut Self {
        let empty = dir.join("openwisp-empty");
        std::fs::write(&empty, "").unwrap();
        self.arg("--openwisp-config").arg(empty)
    }
}
