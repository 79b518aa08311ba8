//! A device's active checks (the reference's `Check` inline): `GET …/checks/` lists the
//! checks this collector runs with whether each is active for the device; `PATCH
//! …/checks/{check}/` with `{"is_active": bool}` switches one (managers). A switched-off
//! check is skipped by the schedule and by `run-checks`.

use super::AppState;
use super::edit::{self, bad_field, store_failed};
use super::reply::detail;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn item(name: &str, metric: &str, active: bool) -> Value {
    json!({"check": name, "metric": metric, "is_active": active})
}

pub async fn list(
    State(state): State<AppState>,
    Path(pk): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (_, device) = match edit::device(&state, &headers, &pk) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let alerts = match edit::alerts(&state) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let out: Vec<Value> = state
        .web
        .checks
        .iter()
        .map(|(name, metric)| item(name, metric, alerts.check_active(device.id, name)))
        .collect();
    axum::Json(Value::Array(out)).into_response()
}

pub async fn set(
    State(state): State<AppState>,
    Path((pk, check)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (token, device) = match edit::device(&state, &headers, &pk) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = edit::require_manager(&token) {
        return r;
    }
    let alerts = match edit::alerts(&state) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some((name, metric)) = state.web.checks.iter().find(|(n, _)| *n == check) else {
        return detail(
            StatusCode::NOT_FOUND,
            &format!("This collector runs no check {check:?}."),
        );
    };
    let map = match edit::object(&body, &["is_active"]) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Some(active) = map.get("is_active").and_then(Value::as_bool) else {
        return bad_field("is_active", "This field is required: true or false.");
    };
    if let Err(e) = alerts.set_check_active(device.id, name, active) {
        return store_failed(&e);
    }
    tracing::info!(device = %device.id, check = name, active, token = %token.name, "check switched");
    axum::Json(item(name, metric, active)).into_response()
}
