//! Webhook delivery: the notification as JSON, POSTed to the organization's URL, signed
//! with HMAC-SHA256 of the body under the organization's secret
//! (`X-Edgemon-Signature: sha256=<hex>`), so the receiver can tell it came from this
//! collector and was not altered.

use super::super::notification::Notification;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt::Write as _;
use std::time::Duration;

/// The signature header's value for `body`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    let mut out = String::from("sha256=");
    for b in mac.finalize().into_bytes() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The JSON body (stable field names: receivers parse it).
pub fn body(n: &Notification) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": n.id,
        "type": n.kind_name(),
        "level": n.level,
        "organization": n.org,
        "device": n.device,
        "device_name": n.device_name,
        "metric": n.metric,
        "verb": n.verb,
        "subject": n.subject,
        "message": n.message,
        "time_us": n.time_us,
        "point_time_us": n.point_time_us,
    }))
    .expect("JSON encodes")
}

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook {url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("webhook {url}: {message}")]
    Transport { url: String, message: String },
}

/// One POST (blocking: run it on the blocking pool).
pub fn post(
    url: &str,
    secret: &[u8],
    event: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<(), WebhookError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Edgemon-Event", event)
        .header("X-Edgemon-Signature", sign(secret, body))
        .send(body)
        .map_err(|e| WebhookError::Transport {
            url: url.to_owned(),
            message: e.to_string(),
        })?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(WebhookError::Status {
            url: url.to_owned(),
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_test_case_2() {
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
