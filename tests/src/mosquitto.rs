//! A real mosquitto broker for a test: free port, generated config and password file,
//! persistence in a temporary folder (so sessions survive a broker restart), stopped when
//! dropped. `scripts/deps` installs mosquitto.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Mosquitto {
    pub port: u16,
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
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
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
             max_packet_size 2000000\nlog_dest stderr\n",
            pw.display(),
            dir.join("data").display()
        );
        std::fs::write(dir.join("mosquitto.conf"), conf).unwrap();
        let mut m = Mosquitto {
            port,
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

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
