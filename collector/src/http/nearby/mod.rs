//! `GET /api/v1/monitoring/device/{pk}/nearby-devices/`: the other located devices,
//! nearest first, with their distance, health and latest snapshot (the reference's
//! `api_monitoring_nearby_device_list`).
//!
//! Who sees what: a token sees its organizations' devices; the device's own key (`?key=`)
//! sees the devices of the device's organization. A wrong key is 404, as in the reference,
//! and so is a device without a location.

mod geo;

use super::AppState;
use super::auth::{self, unavailable};
use super::device_charts::{rfc3339, snapshot};
use super::locations::org_filter;
use super::openwisp::parse_uuid_any;
use super::page::Page;
use super::reply::detail;
use crate::registry::{Device, secret};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;
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

/// The organizations whose devices the caller may list, `None` for all.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn caller_scope(
    state: &AppState,
    device: &Device,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Option<Vec<Uuid>>, Response> {
    let not_found = || detail(StatusCode::NOT_FOUND, "Not found.");
    if let Some(key) = params.get("key") {
        return if secret::verify(key, &device.key_hash) {
            Ok(Some(vec![device.org]))
        } else {
            Err(not_found())
        };
    }
    let token = auth::token(state, headers)?;
    if !token.sees(device.org) {
        return Err(not_found());
    }
    Ok(auth::scope(&token).map(<[Uuid]>::to_vec))
}

/// The query's filters.
struct Filters {
    org: Option<Uuid>,
    status: Option<String>,
    models: Option<Vec<String>>,
    max_distance: Option<f64>,
}

#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn filters(state: &AppState, params: &HashMap<String, String>) -> Result<Filters, Response> {
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let status = get("monitoring__status");
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(bad_filter(
            "monitoring__status",
            &format!("Select a valid choice. {s} is not one of the available choices."),
        ));
    }
    let max_distance = match get("distance__lte").map(str::parse::<f64>) {
        None => None,
        Some(Ok(d)) if d.is_finite() => Some(d),
        Some(_) => return Err(bad_filter("distance__lte", "Enter a number.")),
    };
    Ok(Filters {
        org: org_filter(state, params)?,
        status: status.map(str::to_owned),
        models: get("model").map(|m| m.split('|').map(str::to_owned).collect()),
        max_distance,
    })
}

pub async fn list(
    State(state): State<AppState>,
    Path(pk): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let not_found = || detail(StatusCode::NOT_FOUND, "Not found.");
    let Some(id) = parse_uuid_any(&pk) else {
        return not_found();
    };
    let device = match state.registry.device(id) {
        Err(e) => return unavailable("Registry", &e),
        Ok(Some(d)) => d,
        Ok(None) => return not_found(),
    };
    let scope = match caller_scope(&state, &device, &params, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(here) = device.location.clone() else {
        return not_found();
    };
    let (f, page) = match (filters(&state, &params), Page::from_params(&params)) {
        (Ok(f), Ok(p)) => (f, p),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let all = match state.registry.devices(None) {
        Ok(d) => d,
        Err(e) => return unavailable("Registry", &e),
    };
    let mut near = Vec::new();
    for d in all {
        let Some(there) = &d.location else { continue };
        let distance = geo::distance_m(here.lat, here.lng, there.lat, there.lng);
        let wanted = d.id != device.id
            && scope.as_ref().is_none_or(|s| s.contains(&d.org))
            && f.org.is_none_or(|o| o == d.org)
            && f.models.as_ref().is_none_or(|m| m.contains(&d.model))
            && f.max_distance.is_none_or(|max| distance <= max);
        if !wanted {
            continue;
        }
        let status = auth::health(&state, &d).await;
        if f.status.as_deref().is_none_or(|s| s == status) {
            near.push((distance, d, status));
        }
    }
    near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.name.cmp(&b.1.name)));
    let mut results = Vec::new();
    for (distance, d, status) in near.iter().skip(page.offset()).take(page.size) {
        let data = match snapshot(&state, d).await {
            Ok(v) => v,
            Err(r) => return r,
        };
        results.push(json!({
            "id": d.id.to_string(),
            "name": d.name,
            "organization": d.org.to_string(),
            "group": null,
            "mac_address": d.mac,
            "management_ip": d.management_ip,
            "model": d.model,
            "os": d.os,
            "system": d.system,
            "notes": "",
            "distance": distance.round(),
            "monitoring_status": status,
            "monitoring_data": data,
            "created": rfc3339(d.created_us),
        }));
    }
    match page.body(near.len(), results, &headers, &uri) {
        Ok(body) => axum::Json(body).into_response(),
        Err(r) => r,
    }
}
