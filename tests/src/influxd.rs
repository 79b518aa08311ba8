//! A real InfluxDB 1.x server for a test: Debian's `influxd` (installed by `scripts/deps`)
//! with its own generated configuration, data in a temporary folder and free ports,
//! killed when dropped. `kill` and `restart` simulate a crash and a recovery on the same
//! port and data.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Influxd {
    /// The HTTP API's port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

fn binary() -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join("influxd");
        if p.exists() {
            return p;
        }
    }
    panic!("influxd is not installed: run scripts/deps (the InfluxDB tests need a real server)");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Influxd {
    /// Starts a server with its data in `dir`.
    ///
    /// # Panics
    /// When influxd is missing or does not answer `/ping`.
    pub fn start(dir: &Path) -> Self {
        let (port, rpc) = (free_port(), free_port());
        let d = dir.display();
        // Everything a test does not need is off: usage reporting, the _internal
        // monitor database, continuous queries, subscriptions, HTTP access logs.
        let conf = format!(
            "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
             [meta]\n  dir = \"{d}/meta\"\n  logging-enabled = false\n\
             [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
             [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n\
             [monitor]\n  store-enabled = false\n\
             [continuous_queries]\n  enabled = false\n\
             [subscriber]\n  enabled = false\n\
             [logging]\n  level = \"warn\"\n"
        );
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("influxd.conf"), conf).unwrap();
        let mut s = Influxd {
            port,
            dir: dir.to_path_buf(),
            child: None,
        };
        s.restart();
        s
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the server again (after [`Influxd::kill`]) on the same port and data.
    ///
    /// # Panics
    /// When it does not answer `/ping` within 30 s.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(binary())
            .arg("run")
            .arg("-config")
            .arg(self.dir.join("influxd.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.ping() {
            assert!(Instant::now() < deadline, "influxd did not start");
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let req = "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let mut out = String::new();
        s.write_all(req.as_bytes()).is_ok()
            && s.read_to_string(&mut out).is_ok()
            && out.starts_with("HTTP/1.1 204")
    }

    /// SIGKILL: a crash, no chance to flush anything.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Run InfluxQL against `db`; the JSON answer (`epoch=u`).
    ///
    /// # Panics
    /// When the server does not answer 200.
    pub fn query(&self, db: &str, q: &str) -> serde_json::Value {
        let body = format!("db={}&epoch=u&q={}", encode(db), encode(q));
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "POST /query HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{q}: {out}");
        let json = out.split_once("\r\n\r\n").unwrap().1;
        // Chunked or not, the JSON object is the one line starting with `{`.
        let line = json.lines().find(|l| l.starts_with('{')).unwrap();
        serde_json::from_str(line).unwrap()
    }
}

impl Drop for Influxd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `application/x-www-form-urlencoded` value encoding.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
