//! `GET /api/v1/controller/location/` (+ `{id}/`): the locations a token sees, as records.
//! A location is the set of visible devices sharing coordinates and address (see
//! `locations`), so it exists while one of them is there.

use super::AppState;
use super::auth;
use super::locations::{kind_filter, located, org_filter};
use super::page::Page;
use super::reply::detail;
use crate::registry::Device;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

fn record(id: Uuid, devices: &[Device]) -> Value {
    let l = devices[0].location.as_ref().expect("grouped by location");
    json!({
        "id": id.to_string(),
        "organization": devices[0].org.to_string(),
        "name": l.address,
        "address": l.address,
        "type": "outdoor",
        "is_mobile": false,
        "geometry": {"type": "Point", "coordinates": [l.lng, l.lat]},
        "device_count": devices.len(),
        "devices": devices.iter().map(|d| d.id.to_string()).collect::<Vec<_>>(),
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
    let org = match org_filter(&state, &params) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let page = match Page::from_params(&params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let groups = match (kind_filter(&params), located(&state, &token, org)) {
        (Ok(true), Ok(g)) => g,
        (Ok(false), Ok(_)) => std::collections::BTreeMap::new(),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let results = groups
        .iter()
        .skip(page.offset())
        .take(page.size)
        .map(|(id, devices)| record(*id, devices))
        .collect();
    match page.body(groups.len(), results, &headers, &uri) {
        Ok(body) => axum::Json(body).into_response(),
        Err(r) => r,
    }
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let not_found = || detail(StatusCode::NOT_FOUND, "Not found.");
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found();
    };
    match located(&state, &token, None) {
        Ok(groups) => match groups.get(&id) {
            Some(devices) => axum::Json(record(id, devices)).into_response(),
            None => not_found(),
        },
        Err(r) => r,
    }
}
