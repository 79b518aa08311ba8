//! The HTTP shell: one blocking `ureq` agent (keep-alive, connect and whole-request
//! timeouts on every call, TLS per the `tls` feature) that turns a send into a
//! [`Verdict`].

use super::plan::{self, Verdict};
use crate::config::Config;
use edgemon_shared::envelope::{Batch, POSTCARD_MEDIA_TYPE, Sample};

/// The most of a response body the agent reads (servers answer with short messages).
const BODY_LIMIT: u64 = 64 * 1024;

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("option `url`: https needs a build with the `tls` feature")]
    NoTls,
    #[cfg(feature = "tls")]
    #[error(transparent)]
    Ca(#[from] super::ca::CaError),
}

#[derive(Debug)]
pub struct Http {
    agent: ureq::Agent,
    base: String,
    uuid: uuid::Uuid,
    key: String,
}

impl Http {
    /// # Panics
    /// When called without url/uuid/key: [`Config::from_options`] requires them in the
    /// HTTP modes.
    pub fn new(cfg: &Config) -> Result<Self, HttpSetupError> {
        Ok(Self {
            agent: agent(cfg)?,
            base: cfg.url.clone().expect("url is required in HTTP modes"),
            uuid: cfg.uuid.expect("uuid is required"),
            key: cfg.key.clone().expect("key is required"),
        })
    }

    /// One OpenWISP-mode POST of one sample.
    pub fn send_openwisp(&self, sample: &Sample, current: bool) -> Verdict {
        let url = plan::openwisp_url(
            &self.base,
            &self.uuid,
            &self.key,
            sample.collected_at_us,
            current,
        );
        let sent = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(sample.document.as_str());
        match sent {
            Ok(mut r) => {
                let body = read_body(&mut r);
                plan::openwisp_verdict(r.status().as_u16(), &body)
            }
            Err(e) => transport(&e),
        }
    }

    /// One native-mode POST of a batch.
    pub fn send_native(&self, samples: Vec<Sample>) -> Verdict {
        let body = Batch {
            device: self.uuid,
            samples,
        }
        .encode();
        let sent = self
            .agent
            .post(&plan::native_url(&self.base))
            .header("Content-Type", POSTCARD_MEDIA_TYPE)
            .header("X-Edgemon-Key", &self.key)
            .send(&body[..]);
        match sent {
            Ok(mut r) => {
                let retry_after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = read_body(&mut r);
                plan::native_verdict(
                    r.status().as_u16(),
                    retry_after.as_deref(),
                    &body,
                    std::time::SystemTime::now(),
                )
            }
            Err(e) => transport(&e),
        }
    }
}

/// A client with the configured timeouts and TLS settings (also used for registration).
pub fn agent(cfg: &Config) -> Result<ureq::Agent, HttpSetupError> {
    let builder = ureq::Agent::config_builder()
        .timeout_connect(Some(cfg.connect_timeout))
        .timeout_global(Some(cfg.request_timeout))
        .http_status_as_error(false)
        .user_agent(concat!("edgemon-agent/", env!("CARGO_PKG_VERSION")));
    #[cfg(feature = "tls")]
    let builder = builder.tls_config(tls_config(cfg)?);
    #[cfg(not(feature = "tls"))]
    if cfg
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
    {
        return Err(HttpSetupError::NoTls);
    }
    Ok(builder.build().into())
}

/// The body of a response, up to a limit (servers answer with short messages).
pub fn read_body(r: &mut ureq::http::Response<ureq::Body>) -> String {
    r.body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_string()
        .unwrap_or_default()
}

fn transport(e: &ureq::Error) -> Verdict {
    Verdict::Retry {
        reason: format!("transport: {e}"),
        retry_after: None,
    }
}

#[cfg(feature = "tls")]
fn tls_config(cfg: &Config) -> Result<ureq::tls::TlsConfig, HttpSetupError> {
    use std::sync::Arc;
    use ureq::tls::{RootCerts, TlsConfig};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = TlsConfig::builder()
        .unversioned_rustls_crypto_provider(provider)
        .disable_verification(!cfg.tls_verify);
    // Roots are read only when a server is verified over https: an http:// agent runs
    // on a router without the CA bundle.
    let https = cfg
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let certs = if cfg.tls_verify && (https || cfg.tls_ca_file.is_some()) {
        super::ca::roots(cfg, &super::ca::system_bundles())?
    } else {
        Vec::new()
    };
    let certs: Vec<ureq::tls::Certificate<'static>> = certs
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    Ok(tls.build())
}
