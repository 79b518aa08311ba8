//! The agent's configuration: where it comes from and what each option means.
//!
//! Sources, highest priority first:
//! 1. command-line flags (`--interval 60`, `--queue-max-bytes 4M`, ...);
//! 2. the config file: UCI (`/etc/config/edgemon`, section `config edgemon 'agent'`, or the
//!    first section of type `edgemon`) or TOML (a file ending in `.toml`, the same option
//!    names as top-level keys);
//! 3. `url`, `uuid` and `key` from openwisp-config's `/etc/config/openwisp` (section
//!    `http`), so a router already registered with OpenWISP needs no edgemon settings;
//! 4. the defaults below.
//!
//! [`sources`] turns each source into name/value pairs; [`Config::from_options`] is pure
//! and names the option and its origin in every error.

pub mod sources;
pub mod value;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How the agent ships samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One NetJSON sample per POST to an OpenWISP-compatible server (OpenWISP or
    /// edgemon-collector).
    OpenWisp,
    /// Postcard batches to edgemon-collector's native ingest endpoint.
    Native,
    /// Postcard batches published with QoS 1 to an MQTT broker.
    Mqtt,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The server's base URL, e.g. `https://openwisp.example.com` (no trailing path).
    pub url: Option<String>,
    /// This device's UUID as the server knows it (dashes optional).
    pub uuid: Option<uuid::Uuid>,
    /// This device's key.
    pub key: Option<String>,
    /// The organization's shared secret: with it and no uuid/key, the agent registers
    /// itself at `{url}/controller/device/register/` and keeps what it gets in
    /// `identity_file`.
    pub shared_secret: Option<String>,
    /// Register with openwisp-config's consistent key, `md5("<MAC>+<shared_secret>")`, so
    /// a reset device gets its key back (default on, as openwisp-config).
    pub consistent_key: bool,
    /// Where a self-registered device keeps its uuid and key (UCI format; default
    /// `/etc/edgemon/identity`).
    pub identity_file: PathBuf,
    /// How to ship samples (`openwisp`, `native`, `mqtt`; default `openwisp`).
    pub mode: Mode,
    /// Time between collections (default 300 s, like the reference agent).
    pub interval: Duration,
    /// The queue file; on flash it survives reboots, on tmpfs it spares the flash
    /// (default `/etc/edgemon/queue.redb`).
    pub queue_path: PathBuf,
    /// Bound on the queued samples' encoded size (default 1 MiB, a file of about 2.3 MB).
    pub queue_max_bytes: u64,
    /// Samples older than this are dropped (default 24 h).
    pub queue_max_age: Duration,
    /// Native and MQTT modes: at most this many samples per batch (default 100).
    pub batch_max: usize,
    /// MQTT broker as `host:port` or `mqtt://host:port` (plain TCP) or `mqtts://host:port`
    /// (TLS, with `tls_ca_file`/`tls_verify`) (mode `mqtt`).
    pub mqtt_broker: Option<String>,
    /// The organization in MQTT topics `edgemon/v1/{org}/{uuid}/...` (mode `mqtt`).
    pub mqtt_org: Option<String>,
    /// TCP (and TLS) connection timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout, connection included (default 30 s).
    pub request_timeout: Duration,
    /// PEM file of CA certificates for https/mqtts instead of the built-in roots.
    pub tls_ca_file: Option<PathBuf>,
    /// `0` turns certificate verification off (tests, lab servers with self-signed
    /// certificates); default on.
    pub tls_verify: bool,
    /// The first collection waits a random time up to this after start (default 10 s),
    /// so a fleet rebooting together after an outage does not stampede the server.
    pub boot_delay_max: Duration,
    /// Upper bound of the retry backoff (default 300 s).
    pub backoff_max: Duration,
    /// Where `run` writes its status for `edgemon-agent status` (tmpfs; default
    /// `/tmp/edgemon-agent.status`).
    pub status_file: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        let limits = crate::queue::Limits::default();
        Self {
            url: None,
            uuid: None,
            key: None,
            shared_secret: None,
            consistent_key: true,
            identity_file: PathBuf::from("/etc/edgemon/identity"),
            mode: Mode::OpenWisp,
            interval: Duration::from_secs(300),
            queue_path: PathBuf::from("/etc/edgemon/queue.redb"),
            queue_max_bytes: limits.max_bytes,
            queue_max_age: limits.max_age,
            batch_max: 100,
            mqtt_broker: None,
            mqtt_org: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            tls_ca_file: None,
            tls_verify: true,
            boot_delay_max: Duration::from_secs(10),
            backoff_max: Duration::from_secs(300),
            status_file: PathBuf::from("/tmp/edgemon-agent.status"),
        }
    }
}

/// Every option name the agent knows (UCI/TOML keys; flags use dashes).
pub const OPTIONS: &[&str] = &[
    "url",
    "uuid",
    "key",
    "shared_secret",
    "consistent_key",
    "identity_file",
    "mode",
    "interval",
    "queue_path",
    "queue_max_bytes",
    "queue_max_age",
    "batch_max",
    "mqtt_broker",
    "mqtt_org",
    "connect_timeout",
    "request_timeout",
    "tls_ca_file",
    "tls_verify",
    "boot_delay_max",
    "backoff_max",
    "status_file",
];

/// A value and where it was read, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    /// `/etc/config/edgemon`, `--interval`, ...
    pub origin: String,
}

/// Options by name after merging the sources.
pub type Options = BTreeMap<String, Setting>;

/// A configuration the agent refuses, naming the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("option `{option}` ({origin}): {message}")]
    Invalid {
        option: String,
        origin: String,
        message: String,
    },
    #[error("unknown option `{option}` ({origin}); known options: {}", OPTIONS.join(", "))]
    Unknown { option: String, origin: String },
    #[error("option `{option}` is required {why}")]
    Missing { option: &'static str, why: String },
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

impl Config {
    /// Builds the configuration from merged options (no I/O).
    pub fn from_options(opts: &Options) -> Result<Self, ConfigError> {
        let c = Self::from_options_lenient(opts)?;
        c.check_required()?;
        Ok(c)
    }

    /// Like [`Config::from_options`] without requiring the server options (for `status`,
    /// which only needs to find the queue).
    pub fn from_options_lenient(opts: &Options) -> Result<Self, ConfigError> {
        let mut c = Config::default();
        for (name, s) in opts {
            let bad = |message: String| ConfigError::Invalid {
                option: name.clone(),
                origin: s.origin.clone(),
                message,
            };
            let v = s.value.as_str();
            match name.as_str() {
                "url" => c.url = Some(url(v).map_err(bad)?),
                "uuid" => {
                    c.uuid = Some(
                        uuid::Uuid::try_parse(v.trim())
                            .map_err(|e| bad(format!("`{v}` is not a UUID: {e}")))?,
                    );
                }
                "key" => c.key = Some(nonempty(v).map_err(bad)?),
                "shared_secret" => c.shared_secret = Some(nonempty(v).map_err(bad)?),
                "consistent_key" => c.consistent_key = value::boolean(v).map_err(bad)?,
                "identity_file" => c.identity_file = PathBuf::from(nonempty(v).map_err(bad)?),
                "mode" => c.mode = mode(v).map_err(bad)?,
                "interval" => c.interval = positive(value::duration(v)).map_err(bad)?,
                "queue_path" => c.queue_path = PathBuf::from(nonempty(v).map_err(bad)?),
                "queue_max_bytes" => c.queue_max_bytes = value::size(v).map_err(bad)?,
                "queue_max_age" => c.queue_max_age = positive(value::duration(v)).map_err(bad)?,
                "batch_max" => {
                    c.batch_max = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad(format!("`{v}` is not a positive count")))?;
                }
                "mqtt_broker" => c.mqtt_broker = Some(broker(v).map_err(bad)?),
                "mqtt_org" => c.mqtt_org = Some(topic_level(v).map_err(bad)?),
                "connect_timeout" => {
                    c.connect_timeout = positive(value::duration(v)).map_err(bad)?;
                }
                "request_timeout" => {
                    c.request_timeout = positive(value::duration(v)).map_err(bad)?;
                }
                "tls_ca_file" => c.tls_ca_file = Some(PathBuf::from(nonempty(v).map_err(bad)?)),
                "tls_verify" => c.tls_verify = value::boolean(v).map_err(bad)?,
                "boot_delay_max" => c.boot_delay_max = value::duration(v).map_err(bad)?,
                "backoff_max" => c.backoff_max = positive(value::duration(v)).map_err(bad)?,
                "status_file" => c.status_file = PathBuf::from(nonempty(v).map_err(bad)?),
                _ => {
                    return Err(ConfigError::Unknown {
                        option: name.clone(),
                        origin: s.origin.clone(),
                    });
                }
            }
        }
        Ok(c)
    }

    fn check_required(&self) -> Result<(), ConfigError> {
        let missing = |option, why: &str| {
            Err(ConfigError::Missing {
                option,
                why: why.to_owned(),
            })
        };
        let registering =
            self.shared_secret.is_some() && (self.uuid.is_none() || self.key.is_none());
        if registering && self.url.is_none() {
            return missing("url", "to register with `shared_secret`");
        }
        let why = "(set it, set `shared_secret` to register, or register with openwisp-config)";
        if self.uuid.is_none() && !registering {
            return missing("uuid", why);
        }
        if self.key.is_none() && !registering {
            return missing("key", why);
        }
        match self.mode {
            Mode::OpenWisp | Mode::Native if self.url.is_none() => {
                missing("url", "in modes openwisp and native")
            }
            Mode::Mqtt if self.mqtt_broker.is_none() => missing("mqtt_broker", "in mode mqtt"),
            Mode::Mqtt if self.mqtt_org.is_none() => missing("mqtt_org", "in mode mqtt"),
            _ => Ok(()),
        }
    }

    /// The queue's bounds.
    pub fn limits(&self) -> crate::queue::Limits {
        crate::queue::Limits {
            max_bytes: self.queue_max_bytes,
            max_age: self.queue_max_age,
        }
    }
}

fn nonempty(v: &str) -> Result<String, String> {
    let t = v.trim();
    if t.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(t.to_owned())
    }
}

fn positive(d: Result<Duration, String>) -> Result<Duration, String> {
    d.and_then(|d| {
        if d.is_zero() {
            Err("must be greater than zero".into())
        } else {
            Ok(d)
        }
    })
}

fn url(v: &str) -> Result<String, String> {
    let t = v.trim().trim_end_matches('/');
    let rest = t
        .strip_prefix("http://")
        .or_else(|| t.strip_prefix("https://"))
        .ok_or_else(|| format!("`{v}` must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("`{v}` has no host"));
    }
    if rest.contains(['?', '#', ' ']) {
        return Err(format!(
            "`{v}` must be a base URL without query or fragment"
        ));
    }
    Ok(t.to_owned())
}

fn mode(v: &str) -> Result<Mode, String> {
    match v.trim() {
        "openwisp" => Ok(Mode::OpenWisp),
        "native" => Ok(Mode::Native),
        "mqtt" => Ok(Mode::Mqtt),
        other => Err(format!("`{other}` is not one of openwisp, native, mqtt")),
    }
}

fn broker(v: &str) -> Result<String, String> {
    let t = v.trim();
    let rest = t
        .strip_prefix("mqtts://")
        .or_else(|| t.strip_prefix("mqtt://"))
        .unwrap_or(t);
    let bad = || format!("`{v}` must be host:port, mqtt://host:port or mqtts://host:port");
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || host.contains(['/', ' ']) || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(t.to_owned())
}

fn topic_level(v: &str) -> Result<String, String> {
    let t = nonempty(v)?;
    if t.contains(['/', '+', '#']) {
        return Err(format!("`{v}` must not contain /, + or #"));
    }
    Ok(t)
}

#[cfg(test)]
mod tests;
