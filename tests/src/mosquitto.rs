//! A real mosquitto broker for a test: free port, generated config and password file,
//! persistence in a temporary folder (so sessions survive a broker restart), stopped when
//! dropped. `scripts/deps` installs mosquitto. `user root` keeps a broker started by root
//! from switching to the `mosquitto` user, which could not read the test's private
//! temporary folder (ignored when the tests do not run as root).

use std::fmt::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Mosquitto {
    pub port: u16,
    /// A second listener with TLS ([`Mosquitto::start_with_tls`]): its port and the CA
    /// certificate (PEM) that signed the broker's certificate for 127.0.0.1.
    pub tls: Option<(u16, PathBuf)>,
    dir: PathBuf,
    child: Option<Child>,
}

/// The mosquitto binary (Debian installs it in /usr/sbin, often not on PATH).
fn binary(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} is not installed: run scripts/deps (the MQTT tests need a real broker)");
}

impl Mosquitto {
    /// Starts a broker in `dir` that accepts only the given users.
    ///
    /// # Panics
    /// When mosquitto is missing or does not start listening.
    pub fn start(dir: &Path, users: &[(&str, &str)]) -> Self {
        Self::start_inner(dir, users, false, "")
    }

    /// Like [`Mosquitto::start`], with extra configuration lines (e.g. `acl_file …`).
    ///
    /// # Panics
    /// When mosquitto is missing or does not start listening.
    pub fn start_with(dir: &Path, users: &[(&str, &str)], extra: &str) -> Self {
        Self::start_inner(dir, users, false, extra)
    }

    /// Like [`Mosquitto::start`], plus a TLS listener with a certificate for 127.0.0.1
    /// signed by a CA generated with `openssl`.
    ///
    /// # Panics
    /// When openssl or mosquitto fail.
    pub fn start_with_tls(dir: &Path, users: &[(&str, &str)]) -> Self {
        Self::start_inner(dir, users, true, "")
    }

    fn start_inner(dir: &Path, users: &[(&str, &str)], tls: bool, extra: &str) -> Self {
        let port = free_port();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let pw = dir.join("passwd");
        for (i, (user, pass)) in users.iter().enumerate() {
            let mut cmd = Command::new(binary("mosquitto_passwd"));
            if i == 0 {
                cmd.arg("-c");
            }
            let st = cmd.arg("-b").arg(&pw).args([user, pass]).status().unwrap();
            assert!(st.success(), "mosquitto_passwd failed");
        }
        let conf = format!(
            "listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {}\n\
             persistence true\npersistence_location {}/\nautosave_interval 1\n\
             max_packet_size 2000000\nlog_dest stderr\nuser root\n",
            pw.display(),
            dir.join("data").display()
        );
        let mut conf = conf + extra;
        let mut tls_info = None;
        if tls {
            let ca = certificates(dir);
            let tls_port = free_port();
            let _ = write!(
                conf,
                "listener {tls_port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
                ca.display(),
                dir.join("server.pem").display(),
                dir.join("server.key").display()
            );
            tls_info = Some((tls_port, ca));
        }
        std::fs::write(dir.join("mosquitto.conf"), conf).unwrap();
        let mut m = Mosquitto {
            port,
            tls: tls_info,
            dir: dir.to_path_buf(),
            child: None,
        };
        m.restart();
        m
    }

    /// Starts the broker again (after [`Mosquitto::stop`]) on the same port and data.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(binary("mosquitto"))
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the broker with SIGTERM (it saves its sessions) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA (`ca.pem`) and a server certificate for 127.0.0.1 (`server.pem`, `server.key`) in
/// `dir`, made with `openssl`; returns the CA's PEM path.
pub fn certificates(dir: &Path) -> PathBuf {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("openssl is installed");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=edgemon test CA",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    dir.join("ca.pem")
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
