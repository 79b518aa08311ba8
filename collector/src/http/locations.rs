//! Map data: `GET /api/v1/monitoring/geojson/` (one feature per location that has
//! devices, with per-status counts) and `GET /api/v1/monitoring/location/{id}/device/`
//! (the devices at a location).
//!
//! The registry stores a location per device (coordinates and address), not location
//! records: devices with the same coordinates and address form one location, whose id is
//! derived from them (SHA-256, first 16 bytes), so it is stable while they do not change.

use super::AppState;
use super::auth::{self, unavailable};
use super::page::Page;
use super::reply::detail;
use crate::registry::{Device, Location, Token};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The id of the location at these coordinates and address.
pub fn location_id(l: &Location) -> Uuid {
    let digest = Sha256::digest(format!("{}|{}|{}", l.lat, l.lng, l.address).as_bytes());
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// The visible devices that have a location, grouped by location id.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
pub(super) fn located(
    state: &AppState,
    token: &Token,
    org_filter: Option<Uuid>,
) -> Result<BTreeMap<Uuid, Vec<Device>>, Response> {
    let devices = state
        .registry
        .devices(org_filter)
        .map_err(|e| unavailable("Registry", &e))?;
    let mut out: BTreeMap<Uuid, Vec<Device>> = BTreeMap::new();
    for d in devices {
        if let Some(l) = &d.location
            && token.sees(d.org)
        {
            out.entry(location_id(l)).or_default().push(d);
        }
    }
    Ok(out)
}

#[allow(clippy::result_large_err)] // the error is the reply itself, built once
pub(super) fn org_filter(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<Option<Uuid>, Response> {
    if let Some(o) = params.get("organization").filter(|v| !v.is_empty()) {
        return Uuid::parse_str(o).map(Some).map_err(|_| {
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"organization": ["Select a valid choice: not a UUID."]})),
            )
                .into_response()
        });
    }
    if let Some(slug) = params.get("organization_slug").filter(|v| !v.is_empty()) {
        return match state.registry.find_org(slug) {
            Ok(o) => Ok(Some(o.id)),
            // An unknown organization has no locations.
            Err(_) => Ok(Some(Uuid::nil())),
        };
    }
    Ok(None)
}

/// The `type` and `is_mobile` filters: whether the registry's locations (all outdoor and
/// fixed) pass them, or the 400 naming the parameter.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
pub(super) fn kind_filter(params: &HashMap<String, String>) -> Result<bool, Response> {
    let bad = |field: &str, v: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ field: [format!("Select a valid choice. {v} is not one of the available choices.")] })),
        )
            .into_response()
    };
    let type_ok = match params.get("type").map(String::as_str) {
        None | Some("" | "outdoor") => true,
        Some("indoor") => false,
        Some(v) => return Err(bad("type", v)),
    };
    let mobile_ok = match params.get("is_mobile").map(String::as_str) {
        None | Some("" | "false" | "False" | "0") => true,
        Some("true" | "True" | "1") => false,
        Some(v) => return Err(bad("is_mobile", v)),
    };
    Ok(type_ok && mobile_ok)
}

pub async fn geojson(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let org = match org_filter(&state, &params) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let groups = match (kind_filter(&params), located(&state, &token, org)) {
        (Ok(true), Ok(g)) => g,
        (Ok(false), Ok(_)) => BTreeMap::new(),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let mut features = Vec::new();
    for (id, devices) in &groups {
        let l = devices[0].location.clone().expect("grouped by location");
        let mut counts: BTreeMap<&str, u64> = ["ok", "problem", "critical", "unknown"]
            .into_iter()
            .map(|s| (s, 0))
            .collect();
        for d in devices {
            let st = auth::health(&state, d).await;
            // Deactivated devices count as unknown on the map.
            let key = if st == "deactivated" { "unknown" } else { st };
            *counts.entry(key).or_default() += 1;
        }
        features.push(json!({
            "type": "Feature",
            "id": id.to_string(),
            "geometry": {"type": "Point", "coordinates": [l.lng, l.lat]},
            "properties": {
                "name": l.address,
                "address": l.address,
                "organization": devices[0].org.to_string(),
                "type": "outdoor",
                "is_mobile": false,
                "device_count": devices.len(),
                "ok_count": counts["ok"],
                "problem_count": counts["problem"],
                "critical_count": counts["critical"],
                "unknown_count": counts["unknown"],
            }
        }));
    }
    axum::Json(json!({
        "type": "FeatureCollection",
        "count": features.len(),
        "next": null,
        "previous": null,
        "features": features,
    }))
    .into_response()
}

pub async fn devices(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    };
    let mut groups = match located(&state, &token, None) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let Some(devices) = groups.remove(&id) else {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    };
    let page = match Page::from_params(&params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let search = params
        .get("search")
        .map(|s| s.to_lowercase())
        .filter(|s| !s.is_empty());
    let wanted: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.strip_prefix("status="))
        .filter(|v| !v.is_empty())
        .collect();
    let mut matching = Vec::new();
    for d in devices {
        let found = search
            .as_ref()
            .is_none_or(|s| d.name.to_lowercase().contains(s) || d.mac.to_lowercase().contains(s));
        let st = auth::health(&state, &d).await;
        if found && (wanted.is_empty() || wanted.contains(&st)) {
            matching.push((d, st));
        }
    }
    let results: Vec<Value> = matching
        .iter()
        .skip(page.offset())
        .take(page.size)
        .map(|(d, st)| {
            json!({
                "id": d.id.to_string(),
                "name": d.name,
                "organization": d.org.to_string(),
                "mac_address": d.mac,
                "model": d.model,
                "os": d.os,
                "last_ip": d.last_ip,
                "management_ip": d.management_ip,
                "monitoring": {"status": st, "status_label": st},
            })
        })
        .collect();
    match page.body(matching.len(), results, &headers, &uri) {
        Ok(Value::Object(mut body)) => {
            body.insert("has_floorplan".into(), Value::Bool(false));
            axum::Json(Value::Object(body)).into_response()
        }
        Ok(other) => axum::Json(other).into_response(),
        Err(r) => r,
    }
}
