//! A real `edgemon-collector` for a benchmark: its CLI on a given data directory, `serve`
//! as a child process on a free loopback port, stopped with SIGTERM and timed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// What `serve` prints once it listens.
const READY_PREFIX: &str = "edgemon-collector listening on http://";

/// How long `serve` may take to open its stores and listen.
const START_LIMIT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    #[error("cannot run {bin}: {source}")]
    Spawn {
        bin: PathBuf,
        source: std::io::Error,
    },
    #[error("`edgemon-collector {args}` failed ({status}): {stderr}")]
    Cli {
        args: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("`edgemon-collector serve` exited or closed stdout before it listened")]
    NotReady,
    #[error("`edgemon-collector serve` did not listen within {0:?}")]
    StartTimeout(Duration),
    #[error("`edgemon-collector serve` printed an unreadable address {0:?}")]
    BadAddress(String),
    #[error("cannot signal or wait for the collector (pid {pid}): {source}")]
    Signal { pid: u32, source: std::io::Error },
    #[error("the collector exited with {0} after SIGTERM")]
    ExitStatus(std::process::ExitStatus),
}

/// A collector binary bound to one data directory.
#[derive(Debug)]
pub struct Collector {
    bin: PathBuf,
    data_dir: PathBuf,
    /// `serve`, once started; killed if still running when dropped.
    child: Option<Child>,
    /// `EDGEMON__…` settings for `serve` beyond the inherited environment.
    env: Vec<(String, String)>,
}

impl Collector {
    pub fn new(bin: &Path, data_dir: &Path) -> Self {
        Collector {
            bin: bin.to_owned(),
            data_dir: data_dir.to_owned(),
            child: None,
            env: Vec::new(),
        }
    }

    /// Add an `EDGEMON__…` setting for `serve`.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("EDGEMON__DATA_DIR", &self.data_dir)
            .kill_on_drop(true);
        c
    }

    /// Run an administration command (the collector must not be serving); its stdout.
    pub async fn cli(&self, args: &[&str]) -> Result<String, CollectorError> {
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|source| CollectorError::Spawn {
                bin: self.bin.clone(),
                source,
            })?;
        if !out.status.success() {
            return Err(CollectorError::Cli {
                args: args.join(" "),
                status: out.status,
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Start `serve` on a free loopback port (other settings from the inherited
    /// `EDGEMON__…` environment) and wait until it listens; its stderr (logs) goes to ours.
    pub async fn start(&mut self) -> Result<SocketAddr, CollectorError> {
        let mut child = self
            .command()
            .arg("serve")
            .env("EDGEMON__HTTP__LISTEN", "127.0.0.1:0")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| CollectorError::Spawn {
                bin: self.bin.clone(),
                source,
            })?;
        let stdout = child.stdout.take().ok_or(CollectorError::NotReady)?;
        self.child = Some(child);
        let mut lines = BufReader::new(stdout).lines();
        let wait = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(addr) = line.strip_prefix(READY_PREFIX) {
                    return addr
                        .trim()
                        .parse::<SocketAddr>()
                        .map_err(|_| CollectorError::BadAddress(addr.to_owned()));
                }
            }
            Err(CollectorError::NotReady)
        };
        let addr = tokio::time::timeout(START_LIMIT, wait)
            .await
            .map_err(|_| CollectorError::StartTimeout(START_LIMIT))??;
        // keep reading so the collector never blocks on a full stdout pipe
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(addr)
    }

    /// The process id of `serve`, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// SIGTERM, then wait for a clean exit (the collector drains its ingest queue and
    /// closes its stores first). Returns how long that took.
    pub async fn terminate(&mut self) -> Result<Duration, CollectorError> {
        let Some(mut child) = self.child.take() else {
            return Ok(Duration::ZERO);
        };
        let pid = child.id().ok_or(CollectorError::NotReady)?;
        let signal_err = |source| CollectorError::Signal { pid, source };
        let started = Instant::now();
        // kill(1) rather than kill(2): the workspace forbids unsafe code
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .map_err(signal_err)?;
        if !sent.success() {
            return Err(signal_err(std::io::Error::other(format!(
                "kill -TERM {pid} exited with {sent}"
            ))));
        }
        let status = child.wait().await.map_err(signal_err)?;
        let took = started.elapsed();
        if status.success() {
            Ok(took)
        } else {
            Err(CollectorError::ExitStatus(status))
        }
    }
}
