//! The agent over `https://` (OpenWISP mode) against a TLS server whose certificate is
//! signed by a test CA (`tests/tools/https_sink.py`, certificates made with openssl): the
//! system's CA bundle (here `SSL_CERT_FILE`, holding an unrelated CA) refuses it and
//! nothing is sent, `--tls-ca-file` trusts it, and `--tls-verify 0` accepts it
//! unverified; nothing queued meanwhile is lost. Without any CA bundle the agent stops at
//! start with an error that says what to install.

use edgemon_tests::agent::{Running, capture_bundle, wait_for};
use edgemon_tests::bin;
use edgemon_tests::mosquitto::certificates;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

const UUID: &str = "5d0f2b8e-7c1a-4f3e-9b6d-2a8c4e1f0b37";
const KEY: &str = "https-test-key";

/// The sink and the request paths it has seen.
struct Sink {
    _child: Running,
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

fn sink(dir: &Path) -> Sink {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/https_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(dir.join("server.pem"))
        .arg(dir.join("server.key"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is installed");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let port = first.strip_prefix("port ").unwrap().parse().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            s.lock().unwrap().push(line);
        }
    });
    Sink {
        _child: Running(child),
        port,
        seen,
    }
}

/// A CA of its own, trusted by nothing here: the stand-in for the system's bundle.
fn unrelated_bundle(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("system-bundle.pem");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-subj",
            "/CN=unrelated-ca",
            "-days",
            "2",
            "-keyout",
        ])
        .arg(dir.join("unrelated.key"))
        .arg("-out")
        .arg(&path)
        .output()
        .expect("openssl is installed");
    assert!(out.status.success(), "{out:?}");
    path
}

fn agent(dir: &Path, bundle: &Path, port: u16, extra: &[&str], stderr: Stdio) -> Running {
    Running(
        Command::new(bin("edgemon-agent"))
            .env("SSL_CERT_FILE", dir.join("system-bundle.pem"))
            .arg("run")
            .arg("--from")
            .arg(bundle)
            .args(["--mode", "openwisp", "--uuid", UUID, "--key", KEY])
            .args(["--url", &format!("https://127.0.0.1:{port}")])
            .args(["--interval", "1", "--boot-delay-max", "0"])
            .args(["--backoff-max", "1", "--request-timeout", "5"])
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

/// Posts the sink saw for our device.
fn posts(seen: &Mutex<Vec<String>>) -> usize {
    let prefix = format!("POST /api/v1/monitoring/device/{UUID}/?key={KEY}&time=");
    seen.lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with(&prefix))
        .count()
}

#[test]
fn https_verifies_the_server_with_the_ca_file_or_not_at_all_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = capture_bundle(dir.path());
    let ca = certificates(dir.path());
    let server = sink(dir.path());

    // No CA bundle at all: the agent says so and stops before queueing anything.
    let out = Command::new(bin("edgemon-agent"))
        .env("SSL_CERT_FILE", dir.path().join("absent.pem"))
        .args(["run", "--mode", "openwisp", "--uuid", UUID, "--key", KEY])
        .args(["--url", &format!("https://127.0.0.1:{}", server.port)])
        .arg("--queue-path")
        .arg(dir.path().join("queue.redb"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("no CA bundle is at") && err.contains("absent.pem"),
        "{err}"
    );
    assert_eq!(posts(&server.seen), 0);

    // The system's bundle does not know the test CA: the handshake fails, nothing is
    // sent, and the samples stay queued.
    unrelated_bundle(dir.path());
    let log = dir.path().join("agent.log");
    let refused = agent(
        dir.path(),
        &bundle,
        server.port,
        &[],
        std::fs::File::create(&log).unwrap().into(),
    );
    wait_for("a certificate error in the log", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("UnknownIssuer"))
    });
    // The refused samples stay queued (two at least, so the first post below is not the
    // newest).
    wait_for("two samples queued", || {
        edgemon_tests::agent::queued(dir.path()) >= 2
    });
    refused.kill();
    assert_eq!(posts(&server.seen), 0);
    let queued = edgemon_tests::agent::queued(dir.path());

    // With the CA file the server is trusted: the queued samples and new ones arrive.
    let ca_arg = ca.display().to_string();
    let trusted = agent(
        dir.path(),
        &bundle,
        server.port,
        &["--tls-ca-file", &ca_arg],
        Stdio::null(),
    );
    let want = usize::try_from(queued).unwrap() + 2;
    wait_for("the queued samples over TLS", || {
        posts(&server.seen) >= want
    });
    trusted.kill();
    // The backlog goes oldest first without `current`; the newest sample of a drain
    // carries `current=true` (the reference agent's marker of its latest sample).
    {
        let seen = server.seen.lock().unwrap();
        assert!(!seen[0].contains("current=true"), "{}", seen[0]);
        assert!(
            seen.iter().any(|l| l.ends_with("&current=true")),
            "{seen:?}"
        );
    }

    // tls_verify = 0 accepts the unknown issuer.
    let before = posts(&server.seen);
    let unverified = agent(
        dir.path(),
        &bundle,
        server.port,
        &["--tls-verify", "0"],
        Stdio::null(),
    );
    wait_for("more samples without verification", || {
        posts(&server.seen) >= before + 2
    });
    unverified.kill();
}
