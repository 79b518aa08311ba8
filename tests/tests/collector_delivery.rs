//! Notification delivery end to end: a real collector, a local HTTP receiver and a real
//! SMTP server (Debian's aiosmtpd, see scripts/deps) started by the test, two
//! organizations of which one is in a maintenance window.

use edgemon_collector::alerts::deliver::webhook::sign;
use edgemon_tests::collector::{Collector, fields};
use edgemon_tests::http::request;
use edgemon_tests::workspace_root;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const SECRET: &str = "0123456789abcdef-acme";

/// One received request: headers (lower-case names) and body.
type Received = (std::collections::HashMap<String, String>, Vec<u8>);

/// A receiver answering 500 to the first request and 200 to the others.
fn receiver() -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = std::collections::HashMap::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let Some((k, v)) = line.trim_end().split_once(": ") else {
                    break;
                };
                headers.insert(k.to_ascii_lowercase(), v.to_owned());
            }
            let len: usize = headers["content-length"].parse().unwrap();
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let status = if i == 0 {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            if tx.send((headers, body)).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// A running aiosmtpd that prints every message it receives; the messages arrive on the
/// channel. Killed on drop.
struct SmtpSink {
    child: Child,
    port: u16,
    messages: mpsc::Receiver<String>,
}

impl SmtpSink {
    /// `extra`: more aiosmtpd options (`--tlscert`, `--tlskey`).
    fn start(extra: &[&str]) -> SmtpSink {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("/usr/bin/python3")
            .args([
                "-u",
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Debugging",
            ])
            .args(["-l", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("aiosmtpd (install with scripts/deps)");
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut current = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("END MESSAGE") {
                    let _ = tx.send(std::mem::take(&mut current));
                } else {
                    current.push_str(&line);
                    current.push('\n');
                }
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        SmtpSink {
            child,
            port,
            messages,
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hot_sample() -> Vec<u8> {
    let path = workspace_root().join("examples/payloads/router-ok.json");
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["resources"]["load"][0] = serde_json::json!(1.9); // 95 % of 2 CPUs
    serde_json::to_vec(&doc).unwrap()
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario: both channels, then the muted organization
fn problems_are_delivered_by_webhook_and_email_but_muted_in_maintenance() {
    let (url, received) = receiver();
    let smtp = SmtpSink::start(&[]);
    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    c.cli(&["org", "add", "Quiet", "--slug", "quiet"]);
    let loud = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "loud"]));
    let quiet = fields(&c.cli(&["device", "add", "--org", "quiet", "--name", "hushed"]));
    let now = time::OffsetDateTime::now_utc();
    let start = now - time::Duration::hours(1);
    let rfc3339 = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        start.year(),
        u8::from(start.month()),
        start.day(),
        start.hour(),
        start.minute(),
        start.second()
    );
    c.env("EDGEMON__ALERTS__METRICS__CPU__TOLERANCE", "0s")
        .env(
            "EDGEMON__ALERTS__WEBHOOKS",
            &format!(
                "[{{org = \"acme\", url = \"{url}\", secret = \"{SECRET}\"}}, \
                 {{org = \"quiet\", url = \"{url}\", secret = \"{SECRET}\"}}]"
            ),
        )
        .env(
            "EDGEMON__ALERTS__SMTP",
            &format!(
                "{{host = \"127.0.0.1\", port = {}, tls = \"none\", from = \"edgemon@example.net\"}}",
                smtp.port
            ),
        )
        .env(
            "EDGEMON__ALERTS__EMAILS",
            "[{org = \"acme\", to = [\"noc@acme.example\"]}, \
             {org = \"quiet\", to = [\"noc@quiet.example\"]}]",
        )
        .env(
            "EDGEMON__ALERTS__MAINTENANCE",
            &format!("[{{org = \"quiet\", start = \"{rfc3339}\", duration = \"2h\"}}]"),
        );
    let addr = c.start();
    for dev in [&quiet, &loud] {
        let path = format!(
            "/api/v1/monitoring/device/{}/?key={}",
            dev["id"], dev["key"]
        );
        let r = request(
            addr,
            "POST",
            &path,
            &[("Content-Type", "application/json")],
            &hot_sample(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }

    let wait = Duration::from_secs(30);
    let (first_headers, first) = received.recv_timeout(wait).expect("a delivery");
    let (headers, body) = received
        .recv_timeout(wait)
        .expect("the retry after the 500");
    assert_eq!(first, body, "the retry sends the same notification");
    assert_eq!(
        first_headers["x-edgemon-signature"],
        headers["x-edgemon-signature"]
    );
    assert_eq!(
        headers["x-edgemon-signature"],
        sign(SECRET.as_bytes(), &body)
    );
    assert_eq!(headers["x-edgemon-event"], "cpu_problem");
    assert_eq!(headers["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["device"], loud["id"].as_str());
    assert_eq!(json["type"], "cpu_problem");
    assert_eq!(
        json["subject"],
        "[edgemon] PROBLEM: loud is experiencing a peak in CPU usage"
    );

    // Quoted-printable body: undo the soft line breaks.
    let mail = smtp
        .messages
        .recv_timeout(wait)
        .expect("an e-mail")
        .replace("=\n", "");
    assert!(
        mail.contains("Subject: [edgemon] PROBLEM: loud is experiencing a peak in CPU usage"),
        "{mail}"
    );
    assert!(mail.contains("To: noc@acme.example"), "{mail}");
    assert!(mail.contains("From: edgemon@example.net"), "{mail}");
    let link = format!(
        "The device [loud](http://localhost:8000/devices/{})",
        loud["id"]
    );
    assert!(mail.contains(&link), "{mail}");

    // Stopping delivers whatever is still queued: nothing may come for the muted device.
    assert!(c.stop().success());
    assert!(
        received.try_recv().is_err(),
        "the muted notification was delivered"
    );
    assert!(
        smtp.messages.try_recv().is_err(),
        "the muted notification was e-mailed"
    );

    let listed = c.cli(&["notifications", "list"]);
    let notes: Vec<_> = listed.split("\n\n").map(fields).collect();
    let muted = |id: &str| {
        notes
            .iter()
            .find(|n| n["device"] == id)
            .map(|n| n["muted"].clone())
    };
    assert_eq!(muted(&quiet["id"]).as_deref(), Some("true"), "{listed}");
    assert_eq!(muted(&loud["id"]).as_deref(), Some("false"), "{listed}");
}

/// `openssl <args>` in `dir` (arguments split on spaces).
fn openssl(dir: &std::path::Path, args: &str) {
    let out = Command::new("openssl")
        .args(args.split(' '))
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`ca.pem`) and a certificate for localhost signed by it (`server.pem`,
/// `server.key`) in `d`.
fn make_pki(d: &std::path::Path) {
    std::fs::write(
        d.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        d,
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=edgemon-test-ca",
    );
    openssl(
        d,
        "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost",
    );
    openssl(
        d,
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext",
    );
}

#[test]
fn email_over_starttls_to_a_server_with_a_private_ca() {
    let pki = tempfile::tempdir().unwrap();
    let d = pki.path();
    make_pki(d);
    // aiosmtpd refuses mail until the client has started TLS (its default `requiretls`).
    let cert = d.join("server.pem");
    let key = d.join("server.key");
    let smtp = SmtpSink::start(&[
        "--tlscert",
        cert.to_str().unwrap(),
        "--tlskey",
        key.to_str().unwrap(),
    ]);

    let mut c = Collector::new();
    c.cli(&["org", "add", "Acme", "--slug", "acme"]);
    let dev = fields(&c.cli(&["device", "add", "--org", "acme", "--name", "tls-ap"]));
    c.env("EDGEMON__ALERTS__METRICS__CPU__TOLERANCE", "0s")
        .env(
            "EDGEMON__ALERTS__SMTP",
            &format!(
                "{{host = \"localhost\", port = {}, tls = \"starttls\", from = \"edgemon@example.net\", ca_file = \"{}\"}}",
                smtp.port,
                d.join("ca.pem").display()
            ),
        )
        .env("EDGEMON__ALERTS__EMAILS", "[{org = \"acme\", to = [\"noc@acme.example\"]}]");
    let addr = c.start();
    let path = format!(
        "/api/v1/monitoring/device/{}/?key={}",
        dev["id"], dev["key"]
    );
    let r = request(
        addr,
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        &hot_sample(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mail = smtp
        .messages
        .recv_timeout(Duration::from_secs(30))
        .expect("an e-mail over STARTTLS");
    assert!(
        mail.contains("Subject: [edgemon] PROBLEM: tls-ap is experiencing a peak in CPU usage"),
        "{mail}"
    );
    assert!(c.stop().success());
}
