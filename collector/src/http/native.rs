//! `POST /api/v1/edgemon/ingest/`: native batches from edgemon-agent
//! (`docs/native-ingest.md`). The answer waits until the batch is durably stored.

use super::AppState;
use super::reply::{detail, too_many};
use crate::ingest::NativeJob;
use crate::registry::DeviceAccess;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use edgemon_shared::envelope::{Batch, EnvelopeError, POSTCARD_MEDIA_TYPE};

/// The header carrying the device's key.
pub const KEY_HEADER: &str = "x-edgemon-key";

/// How the body is encoded, from `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Postcard,
    Json,
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, String> {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    let mime = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == POSTCARD_MEDIA_TYPE {
        Ok(Encoding::Postcard)
    } else if mime == "application/json" || mime.ends_with("+json") {
        Ok(Encoding::Json)
    } else {
        Err(raw)
    }
}

/// Decode a batch in the given encoding.
fn decode(encoding: Encoding, body: &[u8]) -> Result<Batch, EnvelopeError> {
    match encoding {
        Encoding::Postcard => Batch::decode(body),
        Encoding::Json => Batch::from_json(body),
    }
}

pub async fn ingest(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let enc = match encoding(&headers) {
        Ok(e) => e,
        Err(ct) => {
            return detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!(
                    "Unsupported media type \"{ct}\": send {POSTCARD_MEDIA_TYPE} or application/json."
                ),
            );
        }
    };
    let batch = match decode(enc, &body) {
        Ok(b) => b,
        Err(e) => return detail(StatusCode::BAD_REQUEST, &format!("Undecodable batch: {e}")),
    };
    let key = headers.get(KEY_HEADER).and_then(|v| v.to_str().ok());
    let (device, org) = match state.registry.device_access(batch.device, key) {
        Ok(DeviceAccess::Allowed { device, org }) => (device, org),
        Ok(DeviceAccess::NotFound | DeviceAccess::Deactivated) => {
            return detail(StatusCode::NOT_FOUND, "Unknown or inactive device.");
        }
        Ok(DeviceAccess::Forbidden) => {
            return detail(
                StatusCode::FORBIDDEN,
                "Missing or wrong X-Edgemon-Key for this device.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "registry lookup failed");
            return unavailable(state.retry_after_s, "Registry unavailable; retry later.");
        }
    };
    let mut samples = batch.samples;
    let now = crate::registry::now_us();
    crate::ingest::skew::settle_batch(&state.skews, device.id, &mut samples, now);
    let (done, stored) = tokio::sync::oneshot::channel();
    let job = NativeJob {
        device: device.id,
        org: org.id,
        samples,
        done,
    };
    if state.pipeline.submit_native(job).is_err() {
        return too_many(state.retry_after_s);
    }
    match stored.await {
        Ok(outcome) => {
            for bad in &outcome.invalid {
                tracing::warn!(device = %device.id, seq = bad.seq, error = %bad.error, "native sample refused");
            }
            (StatusCode::OK, axum::Json(outcome)).into_response()
        }
        Err(_) => unavailable(
            state.retry_after_s,
            "The collector is stopping; retry later.",
        ),
    }
}

/// 503 with `Retry-After`.
fn unavailable(retry_after_s: u32, message: &str) -> Response {
    let mut r = detail(StatusCode::SERVICE_UNAVAILABLE, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(ct) = ct {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        }
        h
    }

    #[test]
    fn content_type_chooses_the_decoder() {
        assert_eq!(
            encoding(&headers(Some(POSTCARD_MEDIA_TYPE))),
            Ok(Encoding::Postcard)
        );
        assert_eq!(
            encoding(&headers(Some("Application/JSON; charset=utf-8"))),
            Ok(Encoding::Json)
        );
        assert_eq!(
            encoding(&headers(Some("text/plain"))),
            Err("text/plain".into())
        );
        assert_eq!(encoding(&headers(None)), Err(String::new()));
    }
}
