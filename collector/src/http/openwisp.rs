//! `POST /api/v1/monitoring/device/{pk}/?key=…&time=…&current=…`: the OpenWISP-compatible
//! ingest, with the reference's checks in the reference's order (BRIEF.md §2).

use super::AppState;
use super::reply::{detail, empty_json, json_string, not_found_html, too_many};
use crate::ingest::Job;
use crate::ingest::skew;
use crate::registry::DeviceAccess;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use edgemon_shared::time::{INCORRECT_TIME_FORMAT, parse_openwisp_time};
use edgemon_shared::validate::{DocumentError, parse_and_validate};
use std::collections::HashMap;
use uuid::Uuid;

/// openwisp-controller's `uuid_any`: 32 lowercase hex digits, or the dashed lowercase form.
pub fn parse_uuid_any(pk: &str) -> Option<Uuid> {
    let lower_hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let ok = match pk.len() {
        32 => lower_hex(pk),
        36 => {
            let parts: Vec<&str> = pk.split('-').collect();
            parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| lower_hex(p))
        }
        _ => false,
    };
    if ok { Uuid::parse_str(pk).ok() } else { None }
}

fn is_json(headers: &HeaderMap) -> Result<(), String> {
    match headers.get(header::CONTENT_TYPE) {
        None => Ok(()),
        Some(v) => {
            let v = v.to_str().unwrap_or("");
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if mime == "application/json" || mime.ends_with("+json") {
                Ok(())
            } else {
                Err(v.to_owned())
            }
        }
    }
}

pub async fn post_metrics(
    State(state): State<AppState>,
    Path(pk): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(id) = parse_uuid_any(&pk) else {
        return not_found_html().await;
    };
    let access = match state
        .registry
        .device_access(id, params.get("key").map(String::as_str))
    {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "registry lookup failed");
            return detail(
                StatusCode::SERVICE_UNAVAILABLE,
                "Registry unavailable; retry later.",
            );
        }
    };
    let (device, org) = match access {
        DeviceAccess::NotFound | DeviceAccess::Deactivated => {
            return detail(StatusCode::NOT_FOUND, "Not found.");
        }
        DeviceAccess::Forbidden => {
            return detail(
                StatusCode::FORBIDDEN,
                "You do not have permission to perform this action.",
            );
        }
        DeviceAccess::Allowed { device, org } => (device, org),
    };
    if let Err(ct) = is_json(&headers) {
        return detail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("Unsupported media type \"{ct}\" in request."),
        );
    }
    match parse_and_validate(&body) {
        Ok(_) => {}
        Err(DocumentError::Json(e)) => {
            return detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}"));
        }
        Err(e @ (DocumentError::Invalid(_) | DocumentError::OutOfRange(_))) => {
            return json_string(StatusCode::BAD_REQUEST, &e.to_string());
        }
    }
    let now = crate::registry::now_us();
    let time_us = match params.get("time") {
        None => now,
        Some(t) => match parse_openwisp_time(t) {
            Ok(t) => i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX),
            Err(_) => return detail(StatusCode::BAD_REQUEST, INCORRECT_TIME_FORMAT),
        },
    };
    // The agent marks its newest sample `current=true`: that one tells the device's clock.
    if params.get("current").is_some_and(|c| c == "true")
        && let Some(change) = state.skews.observe(device.id, time_us, now)
    {
        skew::log(device.id, change);
    }
    let time_us = skew::place(time_us, now);
    let (stored, is_stored) = if state.ack_stored {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    let job = Job {
        device: device.id,
        org: org.id,
        body,
        time_us,
        stored,
    };
    if state.pipeline.submit(job).is_err() {
        return too_many(state.retry_after_s);
    }
    match is_stored {
        None => empty_json(StatusCode::OK),
        Some(rx) => match rx.await {
            Ok(()) => empty_json(StatusCode::OK),
            // The worker stopped before storing it (shutdown): the agent must send it again.
            Err(_) => stopping(state.retry_after_s),
        },
    }
}

/// 503 with `Retry-After`: the sample was not stored because the collector is stopping.
fn stopping(retry_after_s: u32) -> Response {
    let mut r = detail(
        StatusCode::SERVICE_UNAVAILABLE,
        "The collector is stopping; the sample was not stored, retry later.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    r
}

#[cfg(test)]
mod tests {
    use super::parse_uuid_any;

    #[test]
    fn uuid_any_accepts_lowercase_hex_and_dashed_only() {
        let dashed = "d7a7f4a4-6f3a-4e8b-9c1d-2b3c4d5e6f70";
        let hex = "d7a7f4a46f3a4e8b9c1d2b3c4d5e6f70";
        assert_eq!(parse_uuid_any(dashed), parse_uuid_any(hex));
        assert!(parse_uuid_any(dashed).is_some());
        for bad in [
            "D7A7F4A46F3A4E8B9C1D2B3C4D5E6F70",
            "d7a7f4a4-6f3a4e8b-9c1d-2b3c4d5e6f70",
            "{d7a7f4a4-6f3a-4e8b-9c1d-2b3c4d5e6f70}",
            "urn:uuid:d7a7f4a4-6f3a-4e8b-9c1d-2b3c4d5e6f70",
            "d7a7f4a46f3a4e8b9c1d2b3c4d5e6f7",
            "",
        ] {
            assert!(parse_uuid_any(bad).is_none(), "{bad}");
        }
    }
}
