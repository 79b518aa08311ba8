//! Device management for managers: `POST /api/v1/controller/device/` (the key is in the
//! answer, once), `GET`/`PATCH`/`DELETE /api/v1/controller/device/{pk}/`.
//!
//! Order of checks, as DRF's: credentials (401), then the role for writes (a viewer: 403,
//! before any lookup), then the object (another organization's: 404), then the body (400
//! naming the field).

mod input;

use super::AppState;
use super::auth::{self, unavailable};
use super::devices::item;
use super::locations::location_id;
use super::openwisp::parse_uuid_any;
use super::reply::detail;
use crate::derive::{DEVICE_DATA, metrics::kind};
use crate::registry::{Device, NewDevice, RegistryError, Role, Token};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use input::FieldErrors;
use serde_json::{Value, json};

/// Measurements that checks write per device (`object_id` tag), besides the derived ones.
const CHECK_MEASUREMENTS: [&str; 5] = [
    "ping",
    "data_collected",
    "wifi_clients_max",
    "wifi_clients_min",
    "iperf3",
];

fn invalid(errors: &FieldErrors) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!(errors))).into_response()
}

fn field_error(field: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ field: [message] })),
    )
        .into_response()
}

fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not found.")
}

/// The caller's token if it may change things.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn manager(state: &AppState, headers: &HeaderMap) -> Result<Token, Response> {
    let token = auth::token(state, headers)?;
    if token.role == Role::Viewer {
        return Err(detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.",
        ));
    }
    Ok(token)
}

/// The device `pk` names, if the token sees it.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn visible_device(state: &AppState, token: &Token, pk: &str) -> Result<Device, Response> {
    let id = parse_uuid_any(pk).ok_or_else(not_found)?;
    match state.registry.device(id) {
        Err(e) => Err(unavailable("Registry", &e)),
        Ok(Some(d)) if token.sees(d.org) => Ok(d),
        Ok(_) => Err(not_found()),
    }
}

#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn json_body(body: &[u8]) -> Result<Value, Response> {
    serde_json::from_slice(body)
        .map_err(|e| detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}")))
}

/// A device as these endpoints show it: the list's fields plus state and location.
async fn managed(state: &AppState, device: &Device) -> Value {
    let mut v = item(device, auth::health(state, device).await);
    v["is_active"] = Value::Bool(device.active);
    v["location"] = device.location.as_ref().map_or(
        Value::Null,
        |l| json!({"lat": l.lat, "lng": l.lng, "address": l.address}),
    );
    v["location_id"] = device
        .location
        .as_ref()
        .map_or(Value::Null, |l| Value::from(location_id(l).to_string()));
    v
}

/// A registry refusal as the field it is about.
fn refused(e: &RegistryError) -> Response {
    match e {
        RegistryError::Conflict(m) | RegistryError::Invalid(m) if m.contains("MAC") => {
            field_error("mac_address", m)
        }
        RegistryError::Invalid(m) if m.contains("name") => field_error("name", m),
        RegistryError::NotFound { kind, .. } if *kind == "organization" => {
            field_error("organization", "Organization not found.")
        }
        RegistryError::NotFound { .. } => not_found(),
        RegistryError::Conflict(m) | RegistryError::Invalid(m) => {
            field_error("non_field_errors", m)
        }
        RegistryError::Storage(_) => unavailable("Registry", e),
    }
}

pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let token = match manager(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let fields = match json_body(&body).map(|v| input::create(&v)) {
        Ok(Ok(f)) => f,
        Ok(Err(errors)) => return invalid(&errors),
        Err(r) => return r,
    };
    // Another organization is as unknown as a missing one.
    let org = match state.registry.find_org(&fields.organization) {
        Ok(o) if token.sees(o.id) => o,
        Ok(_) | Err(RegistryError::NotFound { .. }) => {
            return field_error("organization", "Organization not found.");
        }
        Err(e) => return unavailable("Registry", &e),
    };
    let registry = state.registry.clone();
    let new = NewDevice {
        org: org.id,
        name: fields.name,
        mac: fields.mac,
        model: fields.model,
        os: fields.os,
        location: fields.location,
        ..NewDevice::default()
    };
    match tokio::task::spawn_blocking(move || registry.create_device(new)).await {
        Ok(Ok((device, key))) => {
            let mut v = managed(&state, &device).await;
            v["key"] = Value::from(key);
            (StatusCode::CREATED, axum::Json(v)).into_response()
        }
        Ok(Err(e)) => refused(&e),
        Err(e) => unavailable("Registry", &e),
    }
}

pub async fn show(
    State(state): State<AppState>,
    Path(pk): Path<String>,
    headers: HeaderMap,
) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match visible_device(&state, &token, &pk) {
        Ok(d) => axum::Json(managed(&state, &d).await).into_response(),
        Err(r) => r,
    }
}

pub async fn change(
    State(state): State<AppState>,
    Path(pk): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = match manager(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let device = match visible_device(&state, &token, &pk) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let change = match json_body(&body).map(|v| input::change(&v)) {
        Ok(Ok(c)) => c,
        Ok(Err(errors)) => return invalid(&errors),
        Err(r) => return r,
    };
    let registry = state.registry.clone();
    let id = device.id;
    // Read, change and write in one transaction: a sample's address update or a delete
    // running at the same time is neither lost nor undone.
    match tokio::task::spawn_blocking(move || registry.modify_device(id, |d| change.apply(d))).await
    {
        Ok(Ok(changed)) => axum::Json(managed(&state, &changed).await).into_response(),
        Ok(Err(e)) => refused(&e),
        Err(e) => unavailable("Registry", &e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(pk): Path<String>,
    headers: HeaderMap,
) -> Response {
    let token = match manager(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let device = match visible_device(&state, &token, &pk) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let registry = state.registry.clone();
    let id = device.id;
    match tokio::task::spawn_blocking(move || registry.delete_device(id)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return refused(&e),
        Err(e) => return unavailable("Registry", &e),
    }
    // The registry record is gone first, so no new points arrive for the series deleted
    // below (ingest checks the registry).
    let object_id = vec![("object_id".to_owned(), id.to_string())];
    let mut measurements: Vec<&str> = kind::ALL.iter().map(|k| k.key).collect();
    measurements.extend(CHECK_MEASUREMENTS);
    measurements.sort_unstable();
    measurements.dedup();
    for m in measurements {
        if let Err(e) = state.tsdb.delete_series(m.into(), object_id.clone()).await {
            return unavailable("Time-series store", &e);
        }
    }
    let pk_tag = vec![("pk".to_owned(), id.to_string())];
    if let Err(e) = state.tsdb.delete_series(DEVICE_DATA.into(), pk_tag).await {
        return unavailable("Time-series store", &e);
    }
    let sessions = state.sessions.clone();
    match tokio::task::spawn_blocking(move || sessions.delete_device(id)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return unavailable("WiFi session store", &e),
        Err(e) => return unavailable("WiFi session store", &e),
    }
    tracing::info!(device = %id, name = %device.name, "device deleted over the API");
    (StatusCode::NO_CONTENT, "").into_response()
}
