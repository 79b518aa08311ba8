//! The collector's configuration: one TOML file, every option with a default, environment
//! overrides (`EDGEMON__<SECTION>__<KEY>=value`), and errors that name the option.
//!
//! `docs/collector-config.md` is the reference for every option; keep it in step.

mod alerts;
pub mod checks;
mod duration;
mod influxdb;
mod web;

pub use alerts::Alerts;
pub use checks::Checks;
pub use influxdb::{Backend, Influxdb, Tsdb};
pub use web::Web;

pub use duration::{Duration, parse_duration};

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // The I/O error is part of the message, not a `source`: a `source` would be printed
    // a second time by `{:#}` in main.
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// Everything the collector can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the registry and the embedded time-series store live.
    pub data_dir: PathBuf,
    pub http: Http,
    pub ingest: Ingest,
    pub retention: RetentionConfig,
    /// Which time-series backend (`embedded` or `influxdb`).
    pub tsdb: Tsdb,
    /// Tuning of the embedded time-series store.
    pub embedded: Embedded,
    /// The InfluxDB backend and its write queue (used when `tsdb.backend = "influxdb"`).
    pub influxdb: Influxdb,
    pub log: Log,
    /// Alert evaluation, health status, notifications.
    pub alerts: Alerts,
    /// Active checks (ping, data_collected).
    pub checks: Checks,
    pub charts: Charts,
    /// Native ingest over MQTT (off by default).
    pub mqtt: Mqtt,
    /// The dashboard.
    pub web: Web,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Charts {
    /// IANA time zone of chart requests without `timezone=` (the reference's `TIME_ZONE`).
    pub timezone: String,
    /// Interfaces whose traffic the dashboard's General Traffic chart adds up (the
    /// reference's `OPENWISP_MONITORING_DASHBOARD_TRAFFIC_CHART["__all__"]`).
    pub dashboard_traffic_interfaces: Vec<String>,
}

impl Default for Charts {
    fn default() -> Self {
        Charts {
            timezone: "UTC".into(),
            dashboard_traffic_interfaces: vec!["wan".into(), "eth1".into(), "eth0.2".into()],
        }
    }
}

/// The collector as an MQTT subscriber of `edgemon/v1/{org}/+/samples` and `…/status`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mqtt {
    /// Subscribe to the broker at all.
    pub enabled: bool,
    /// The broker: `mqtt://host:port` or `host:port` (plain TCP).
    pub broker: String,
    /// The client id: the broker keeps this session (and the messages not yet
    /// acknowledged) while the collector is away. One per collector.
    pub client_id: String,
    /// Credentials for the broker, if it wants them.
    pub username: Option<String>,
    pub password: Option<String>,
    /// Slugs of the organizations whose topics this collector serves; empty: every
    /// organization in the registry when the collector starts.
    pub orgs: Vec<String>,
    /// MQTT keep-alive interval.
    pub keep_alive: Duration,
    /// Bytes of documents from MQTT waiting in the ingest queue, at most (within
    /// `ingest.queue_max_bytes`): beyond it the collector stops reading and the broker
    /// holds the rest. 16 MiB kept the MQTT benchmark's rate at 100 MB less memory than
    /// filling the whole queue (`docs/benchmarks.md`).
    pub read_ahead_bytes: usize,
}

impl Default for Mqtt {
    fn default() -> Self {
        Mqtt {
            enabled: false,
            broker: "mqtt://127.0.0.1:1883".into(),
            client_id: "edgemon-collector".into(),
            username: None,
            password: None,
            orgs: Vec::new(),
            keep_alive: Duration::from_secs(30),
            read_ahead_bytes: 16 << 20,
        }
    }
}

impl Mqtt {
    /// The broker's host and port, when `broker` is a plain `mqtt://` address.
    pub fn host_port(&self) -> Result<(String, u16), String> {
        let rest = match self.broker.split_once("://") {
            Some(("mqtt", rest)) => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "option `mqtt.broker`: scheme `{scheme}://` is not supported (use mqtt://host:port)"
                ));
            }
            None => self.broker.as_str(),
        };
        let (host, port) = rest
            .rsplit_once(':')
            .filter(|(h, _)| !h.is_empty())
            .ok_or_else(|| format!("option `mqtt.broker`: `{}` is not host:port", self.broker))?;
        let port = port
            .parse()
            .map_err(|_| format!("option `mqtt.broker`: `{port}` is not a port"))?;
        Ok((host.trim_matches(['[', ']']).to_owned(), port))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Embedded {
    /// How often expired points are deleted (queries never return them in between).
    pub sweep_interval: Duration,
    /// Most points one retention transaction deletes.
    pub sweep_chunk_points: usize,
    /// Most points committed in one write transaction (group commit).
    pub max_batch_points: usize,
    /// Write requests waiting for the writer, at most (backpressure towards ingest).
    pub queue_capacity: usize,
    /// redb page cache in MiB. Writes touch one leaf per series, more than any cache holds
    /// at fleet size (pages come from the OS page cache then); 32 measured as fast as 128
    /// with 2 000 devices and 100 MB smaller, 8 as fast again at 100 000 devices
    /// (`docs/benchmarks.md`).
    pub cache_mib: usize,
}

impl Default for Embedded {
    fn default() -> Self {
        Embedded {
            sweep_interval: Duration::from_secs(600),
            sweep_chunk_points: 20_000,
            max_batch_points: 50_000,
            queue_capacity: 1024,
            cache_mib: 8,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Http {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Largest request body accepted (bytes); larger ones get 413.
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's headers; an idle keep-alive
    /// connection is closed after it too (longer than the agents' interval keeps theirs).
    pub idle_timeout: Duration,
    /// At shutdown, how long open connections get to finish their requests before they
    /// are closed (a client that vanished mid-request cannot hold the collector up).
    pub shutdown_grace: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ingest {
    /// Samples accepted but not yet stored, at most; beyond it the collector answers 429.
    pub queue_capacity: usize,
    /// Bytes of the documents accepted but not yet stored, at most (429 beyond it).
    pub queue_max_bytes: usize,
    /// Samples derived and written together in one storage batch, at most.
    pub batch_max: usize,
    /// The `Retry-After` (seconds) sent with 429.
    pub retry_after_s: u32,
    /// When an OpenWISP post gets its 200: once its points are durably `stored` (a
    /// collector killed after answering has not lost what the agent then deletes), or as
    /// soon as it is `queued` (the reference's behaviour: lower latency, but a crash loses
    /// what was queued).
    pub ack: Ack,
    /// Add MAC vendor names to WiFi clients, neighbours and DHCP leases (the reference's
    /// `MAC_VENDOR_DETECTION`).
    pub mac_vendor_detection: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// How long metrics are kept (the reference's `autogen` policy).
    pub default: Duration,
    /// How long device snapshots and short-lived checks are kept (`short` policy).
    pub short: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// When the OpenWISP ingest answers 200 (`ingest.ack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ack {
    /// After the sample's points are durably stored.
    Stored,
    /// As soon as the sample is in the ingest queue (in memory).
    Queued,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    pub format: LogFormat,
    pub level: LogLevel,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("edgemon-data"),
            http: Http::default(),
            ingest: Ingest::default(),
            retention: RetentionConfig::default(),
            tsdb: Tsdb::default(),
            embedded: Embedded::default(),
            influxdb: Influxdb::default(),
            log: Log::default(),
            charts: Charts::default(),
            alerts: Alerts::default(),
            checks: Checks::default(),
            mqtt: Mqtt::default(),
            web: Web::default(),
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        Http {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            max_body_bytes: 1 << 20,
            idle_timeout: Duration::from_secs(600),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Default for Ingest {
    fn default() -> Self {
        Ingest {
            queue_capacity: 8192,
            queue_max_bytes: 64 << 20,
            batch_max: 512,
            retry_after_s: 5,
            ack: Ack::Stored,
            mac_vendor_detection: true,
        }
    }
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            default: Duration::from_secs(26280 * 3600),
            short: Duration::from_secs(24 * 3600),
        }
    }
}

impl Default for Log {
    fn default() -> Self {
        Log {
            format: LogFormat::Text,
            level: LogLevel::Info,
        }
    }
}

const ENV_PREFIX: &str = "EDGEMON__";

impl Config {
    /// Read `path` (if given) and apply `EDGEMON__…` overrides from `env`.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (text, origin) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|error| ConfigError::Read {
                    path: p.display().to_string(),
                    error,
                })?,
                p.display().to_string(),
            ),
            None => (String::new(), "configuration".to_owned()),
        };
        Self::from_toml(&text, &origin, env)
    }

    /// Parse TOML text (from `origin`, for messages) plus overrides.
    pub fn from_toml(
        text: &str,
        origin: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let invalid = |origin: &str, message: String| ConfigError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| invalid(origin, e.to_string()))?;
        let mut overridden = Vec::new();
        for (name, value) in env {
            let Some(path) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
            if keys.iter().any(String::is_empty) {
                return Err(invalid(&name, "empty key in the variable name".into()));
            }
            set_path(&mut table, &keys, parse_env_value(&value)).map_err(|m| invalid(&name, m))?;
            overridden.push(name);
        }
        let de = toml::Value::Table(table);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let at = e.path().to_string();
            let origin = if overridden.is_empty() {
                origin.to_owned()
            } else {
                format!("{origin} (with {})", overridden.join(", "))
            };
            invalid(&origin, format!("option `{at}`: {}", e.inner()))
        })?;
        config.check().map_err(|m| invalid(origin, m))?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        if self.ingest.queue_capacity == 0 {
            return Err("option `ingest.queue_capacity` must be at least 1".into());
        }
        if self.ingest.queue_max_bytes < self.http.max_body_bytes {
            return Err(
                "option `ingest.queue_max_bytes` must be at least `http.max_body_bytes`".into(),
            );
        }
        if self.ingest.batch_max == 0 {
            return Err("option `ingest.batch_max` must be at least 1".into());
        }
        if self.http.idle_timeout.as_secs() < 1 {
            return Err("option `http.idle_timeout` must be at least 1s".into());
        }
        if self.http.max_body_bytes < 1024 {
            return Err("option `http.max_body_bytes` must be at least 1024".into());
        }
        let e = &self.embedded;
        for (name, v) in [
            ("embedded.sweep_chunk_points", e.sweep_chunk_points),
            ("embedded.max_batch_points", e.max_batch_points),
            ("embedded.queue_capacity", e.queue_capacity),
            ("embedded.cache_mib", e.cache_mib),
        ] {
            if v == 0 {
                return Err(format!("option `{name}` must be at least 1"));
            }
        }
        if e.sweep_interval.as_secs() == 0 {
            return Err("option `embedded.sweep_interval` must be at least 1s".into());
        }
        if self.mqtt.enabled {
            self.mqtt.host_port()?;
            if self.mqtt.client_id.is_empty() {
                return Err("option `mqtt.client_id` must not be empty".into());
            }
            if self.mqtt.read_ahead_bytes == 0 {
                return Err("option `mqtt.read_ahead_bytes` must be at least 1".into());
            }
            if self.mqtt.keep_alive.as_secs() < 5 {
                return Err("option `mqtt.keep_alive` must be at least 5s".into());
            }
        }
        if self.retention.short.as_secs() < 3600 {
            return Err("option `retention.short` must be at least 1h".into());
        }
        if self.retention.default.as_secs() < self.retention.short.as_secs() {
            return Err(
                "option `retention.default` must not be shorter than `retention.short`".into(),
            );
        }
        if jiff::tz::TimeZone::get(&self.charts.timezone).is_err() {
            return Err(format!(
                "option `charts.timezone`: unknown time zone {:?} (an IANA name such as \"Europe/Rome\")",
                self.charts.timezone
            ));
        }
        if self.tsdb.backend == Backend::Influxdb {
            self.influxdb.check()?;
        }
        self.alerts.check()?;
        self.checks.check()
    }
}

/// An override's value: TOML if it parses as a TOML value (numbers, booleans, arrays),
/// else the plain string.
fn parse_env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

fn set_path(table: &mut toml::Table, keys: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = keys.split_last().expect("at least one key");
    let mut cur = table;
    for k in parents {
        let entry = cur
            .entry(k.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{k}` is not a section"))?;
    }
    cur.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests;
