//! The HTTP shell: one blocking ureq agent (keep-alive, timeouts, rustls) for `/write`
//! and `/query`. Answers are classified into the store's errors: `400` on a write is
//! `Rejected` (the server will refuse these points again), anything else that is not a
//! success is `Unavailable` (retry later).

use crate::tsdb::StoreError;
use std::path::PathBuf;
use std::time::Duration;

/// Where and how to reach InfluxDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Base URL of the HTTP API, e.g. `http://127.0.0.1:8086`.
    pub url: String,
    pub database: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// PEM CA certificates for `https://` URLs; `None`: the webpki roots.
    pub ca_file: Option<PathBuf>,
    /// Each request's whole duration, at most.
    pub timeout: Duration,
}

/// Why the client cannot be built (configuration).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("option `influxdb.ca_file`: cannot read {path}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("option `influxdb.ca_file`: {path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("option `influxdb.url`: {0:?} is not an http:// or https:// URL")]
    Url(String),
}

#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    settings: Settings,
}

/// Largest query answer read (a year of 10-minute buckets is far below).
const MAX_ANSWER_BYTES: u64 = 256 << 20;

impl Client {
    pub fn new(settings: Settings) -> Result<Self, ClientError> {
        let url = settings.url.trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ClientError::Url(settings.url.clone()));
        }
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false);
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path).map_err(|source| ClientError::CaFile {
                path: path.clone(),
                source,
            })?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(ClientError::NoCertificate { path: path.clone() });
            }
            let tls = ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build();
            config = config.tls_config(tls);
        }
        let settings = Settings {
            url: url.to_owned(),
            ..settings
        };
        Ok(Client {
            agent: config.build().into(),
            settings,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn auth(
        &self,
        mut req: ureq::RequestBuilder<ureq::typestate::WithBody>,
    ) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        if let Some(u) = &self.settings.username {
            req = req.query("u", u);
        }
        if let Some(p) = &self.settings.password {
            req = req.query("p", p);
        }
        req
    }

    /// POST line protocol to `retention`'s policy (timestamps in µs).
    pub fn write(&self, retention: &str, body: String) -> Result<(), StoreError> {
        let req = self
            .agent
            .post(format!("{}/write", self.settings.url))
            .query("db", &self.settings.database)
            .query("rp", retention)
            .query("precision", "u");
        let mut res = self
            .auth(req)
            .send(body)
            .map_err(|e| self.unavailable(&e))?;
        let status = res.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text = res
            .body_mut()
            .with_config()
            .limit(64 << 10)
            .read_to_string()
            .unwrap_or_default();
        let message = server_message(&text);
        if status == 400 {
            Err(StoreError::Rejected(format!("InfluxDB: {message}")))
        } else {
            Err(StoreError::Unavailable(format!(
                "InfluxDB at {} answered {status} to a write: {message}",
                self.settings.url
            )))
        }
    }

    /// Run InfluxQL (with `db` set); the answer's JSON bytes. `400` is the query's fault.
    pub fn query(&self, q: &str) -> Result<Vec<u8>, StoreError> {
        let req = self
            .agent
            .post(format!("{}/query", self.settings.url))
            .query("db", &self.settings.database)
            .query("epoch", "u")
            .query("q", q);
        let mut res = self
            .auth(req)
            .send_empty()
            .map_err(|e| self.unavailable(&e))?;
        let status = res.status().as_u16();
        let body = res
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|e| self.unavailable(&e))?;
        match status {
            200..=299 => Ok(body),
            400 => Err(StoreError::InvalidQuery(format!(
                "InfluxDB: {}",
                server_message(&String::from_utf8_lossy(&body))
            ))),
            _ => Err(StoreError::Unavailable(format!(
                "InfluxDB at {} answered {status} to a query: {}",
                self.settings.url,
                server_message(&String::from_utf8_lossy(&body))
            ))),
        }
    }

    fn unavailable(&self, e: &ureq::Error) -> StoreError {
        StoreError::Unavailable(format!("InfluxDB at {}: {e}", self.settings.url))
    }
}

/// The `error` member of InfluxDB's JSON error bodies, else the text itself.
fn server_message(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| text.trim().chars().take(500).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages() {
        assert_eq!(
            server_message(
                r#"{"error":"partial write: points beyond retention policy dropped=1"}"#
            ),
            "partial write: points beyond retention policy dropped=1"
        );
        assert_eq!(server_message(" bad gateway \n"), "bad gateway");
    }

    #[test]
    fn configuration_errors_name_the_option() {
        let s = Settings {
            url: "localhost:8086".into(),
            database: "d".into(),
            username: None,
            password: None,
            ca_file: None,
            timeout: Duration::from_secs(1),
        };
        let e = Client::new(s.clone()).unwrap_err().to_string();
        assert!(e.contains("influxdb.url"), "{e}");
        let missing = Settings {
            url: "https://x".into(),
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..s
        };
        let e = Client::new(missing).unwrap_err().to_string();
        assert!(
            e.contains("influxdb.ca_file") && e.contains("/nonexistent/ca.pem"),
            "{e}"
        );
    }
}
