//! E-mail delivery over SMTP (lettre): the notification's subject, its markdown message as
//! the plain-text body, to the organization's recipients.

use super::super::notification::Notification;
use crate::config::Duration;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as SmtpTls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// Plain SMTP (a relay on the same host or network only).
    None,
    /// Upgrade with STARTTLS (port 587); refuse servers that do not offer it.
    Starttls,
    /// TLS from the start (port 465).
    Tls,
}

/// `[alerts.smtp]`: the server notifications are sent through.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSpec {
    pub host: String,
    /// Default: 587 for `starttls`, 465 for `tls`, 25 for `none`.
    pub port: Option<u16>,
    #[serde(default = "default_tls")]
    pub tls: Tls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The `From:` address.
    pub from: String,
    /// Limit of one attempt.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// PEM file of a certificate authority to trust for the server's certificate (a
    /// private CA), added to the public roots.
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_tls() -> Tls {
    Tls::Starttls
}

fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

/// `[[alerts.emails]]`: one organization's recipients.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSpec {
    /// Organization id or slug.
    pub org: String,
    pub to: Vec<String>,
}

impl SmtpSpec {
    pub fn check(&self) -> Result<(), String> {
        self.from
            .parse::<Mailbox>()
            .map_err(|e| format!("`from` {:?}: {e}", self.from))?;
        if self.username.is_some() != self.password.is_some() {
            return Err("give both `username` and `password`, or neither".into());
        }
        Ok(())
    }

    /// The transport (no connection yet).
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let mut builder = match (self.tls, &self.ca_file) {
            (Tls::Starttls | Tls::Tls, Some(ca)) => {
                let pem = std::fs::read(ca)
                    .map_err(|e| format!("cannot read `ca_file` {}: {e}", ca.display()))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| format!("`ca_file` {}: {e}", ca.display()))?;
                let params = TlsParameters::builder(self.host.clone())
                    .add_root_certificate(cert)
                    .build_rustls()
                    .map_err(|e| e.to_string())?;
                let mode = if self.tls == Tls::Tls {
                    SmtpTls::Wrapper(params)
                } else {
                    SmtpTls::Required(params)
                };
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host).tls(mode)
            }
            (Tls::None, _) => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
            (Tls::Starttls, None) => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                    .map_err(|e| e.to_string())?
            }
            (Tls::Tls, None) => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)
                .map_err(|e| e.to_string())?,
        };
        let port = self.port.unwrap_or(match self.tls {
            Tls::None => 25,
            Tls::Starttls => 587,
            Tls::Tls => 465,
        });
        builder = builder.port(port).timeout(Some(self.timeout.std()));
        if let (Some(u), Some(p)) = (&self.username, &self.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(builder.build())
    }
}

impl EmailSpec {
    pub fn check(&self) -> Result<(), String> {
        if self.to.is_empty() {
            return Err("`to` lists no recipient".into());
        }
        for a in &self.to {
            a.parse::<Mailbox>()
                .map_err(|e| format!("`to` {a:?}: {e}"))?;
        }
        Ok(())
    }
}

/// The message for `n` (addresses were checked with the configuration).
pub fn message(from: &str, to: &[String], n: &Notification) -> Result<Message, String> {
    let mut b = Message::builder()
        .from(from.parse().map_err(|e| format!("{e}"))?)
        .subject(n.subject.clone());
    for a in to {
        b = b.to(a.parse().map_err(|e| format!("{e}"))?);
    }
    b.body(format!("{}\n", n.message))
        .map_err(|e| e.to_string())
}

/// Send one message.
pub async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    message: Message,
) -> Result<(), String> {
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::engine::Kind;

    #[test]
    fn messages_carry_the_subject_and_the_markdown() {
        let n = Notification {
            id: 3,
            org: uuid::Uuid::nil(),
            device: uuid::Uuid::nil(),
            device_name: "ap".into(),
            metric: "cpu".into(),
            kind: Kind::Problem,
            level: "warning".into(),
            verb: "v".into(),
            subject: "[edgemon] PROBLEM: ap is experiencing a peak in CPU usage".into(),
            message: "The device [ap](http://x/devices/1) is experiencing a peak.".into(),
            time_us: 0,
            point_time_us: 0,
            unread: true,
            muted: false,
        };
        let m = message("edgemon <noc@example.net>", &["a@example.net".into()], &n).unwrap();
        let text = String::from_utf8(m.formatted()).unwrap();
        assert!(
            text.contains("Subject: [edgemon] PROBLEM: ap is experiencing a peak in CPU usage"),
            "{text}"
        );
        assert!(text.contains("To: a@example.net"), "{text}");
        assert!(text.contains("The device [ap](http://x/devices/1) is experiencing a peak."));
        assert!(message("not an address", &[], &n).is_err());
    }

    #[test]
    fn configuration_checks() {
        let spec = |from: &str, user: Option<&str>| SmtpSpec {
            host: "smtp.example.net".into(),
            port: None,
            tls: Tls::Starttls,
            username: user.map(str::to_owned),
            password: None,
            from: from.into(),
            timeout: Duration::from_secs(5),
            ca_file: None,
        };
        assert!(spec("noc@example.net", None).check().is_ok());
        assert!(spec("nope", None).check().unwrap_err().contains("`from`"));
        assert!(
            spec("noc@example.net", Some("u"))
                .check()
                .unwrap_err()
                .contains("both")
        );
        let e = EmailSpec {
            org: "a".into(),
            to: vec![],
        };
        assert!(e.check().unwrap_err().contains("no recipient"));
        let e = EmailSpec {
            org: "a".into(),
            to: vec!["x@y".into(), "bad".into()],
        };
        assert!(e.check().unwrap_err().contains("\"bad\""));
    }
}
