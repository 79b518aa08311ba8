//! `GET /api/v1/monitoring/device/` (the devices a token sees, with their health, filtered
//! and paginated as the reference) and `GET /api/v1/monitoring/device/{pk}/metric/` (a
//! device's alerting metrics and whether each is healthy).

use super::AppState;
use super::auth::{self, unavailable};
use super::device_charts::rfc3339;
use super::openwisp::parse_uuid_any;
use super::page::Page;
use super::reply::{detail, not_found_html};
use crate::registry::Device;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

const STATUSES: [&str; 5] = ["unknown", "ok", "problem", "critical", "deactivated"];

fn bad_filter(field: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ field: [message] })),
    )
        .into_response()
}

/// A device as the reference's list shows it (the key only as a hash: `null`).
pub(super) fn item(device: &Device, status: &str) -> Value {
    json!({
        "id": device.id.to_string(),
        "name": device.name,
        "organization": device.org.to_string(),
        "group": null,
        "mac_address": device.mac,
        "key": null,
        "last_ip": device.last_ip,
        "management_ip": device.management_ip,
        "model": device.model,
        "os": device.os,
        "system": device.system,
        "notes": "",
        "config": null,
        "monitoring": {"status": status},
        "created": rfc3339(device.created_us),
        "modified": rfc3339(device.created_us),
    })
}

pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let wanted_status = get("monitoring__status");
    if let Some(s) = wanted_status
        && !STATUSES.contains(&s)
    {
        return bad_filter(
            "monitoring__status",
            &format!("Select a valid choice. {s} is not one of the available choices."),
        );
    }
    let Ok(org) = get("organization").map(Uuid::parse_str).transpose() else {
        return bad_filter("organization", "Select a valid choice: not a UUID.");
    };
    let slug = get("organization_slug");
    let page = match Page::from_params(&params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (devices, orgs) = match (state.registry.devices(None), state.registry.orgs()) {
        (Ok(d), Ok(o)) => (d, o),
        (Err(e), _) | (_, Err(e)) => return unavailable("Registry", &e),
    };
    let slug_org = slug.map(|s| orgs.iter().find(|o| o.slug == s).map(|o| o.id));
    let mut matching = Vec::new();
    for d in devices {
        let visible = token.sees(d.org)
            && org.is_none_or(|o| o == d.org)
            && slug_org.is_none_or(|o| o == Some(d.org));
        if !visible {
            continue;
        }
        let st = auth::health(&state, &d).await;
        if wanted_status.is_none_or(|w| w == st) {
            matching.push((d, st));
        }
    }
    let count = matching.len();
    let results: Vec<Value> = matching
        .iter()
        .skip(page.offset())
        .take(page.size)
        .map(|(d, st)| item(d, st))
        .collect();
    match page.body(count, results, &headers, &uri) {
        Ok(body) => axum::Json(body).into_response(),
        Err(r) => r,
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    Path(pk): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(id) = parse_uuid_any(&pk) else {
        return not_found_html().await;
    };
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let device = match state.registry.device(id) {
        Err(e) => return unavailable("Registry", &e),
        Ok(Some(d)) if token.sees(d.org) => d,
        Ok(_) => return detail(StatusCode::NOT_FOUND, "Not found."),
    };
    let healthy = match params.get("is_healthy").map(String::as_str) {
        None | Some("") => None,
        Some("true" | "True" | "1") => Some(true),
        Some("false" | "False" | "0") => Some(false),
        Some(other) => {
            return bad_filter(
                "is_healthy",
                &format!("“{other}” is not a valid boolean: use true or false."),
            );
        }
    };
    let metrics = match &state.alerts {
        Some(a) => a.metric_health(device.id).await,
        None => Vec::new(),
    };
    let out: Vec<Value> = metrics
        .into_iter()
        .filter(|(_, _, h)| healthy.is_none_or(|want| *h == Some(want)))
        .map(|(name, key, h)| json!({"name": name, "key": key, "is_healthy": h}))
        .collect();
    axum::Json(Value::Array(out)).into_response()
}
