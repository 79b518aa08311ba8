//! What the endpoints that change things share: who may change (managers and
//! superusers; viewers get 403), the device a token may see (else 404, as if it did not
//! exist), JSON bodies read as objects, and 400s that name the bad field.

use super::AppState;
use super::auth::{self, unavailable};
use super::openwisp::parse_uuid_any;
use super::reply::detail;
use crate::alerts::Alerts;
use crate::registry::{Device, Role, Token};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub const FORBIDDEN: &str = "You do not have permission to perform this action.";

/// 400 `{"<field>": ["<message>"]}` (DRF's validation error shape).
pub fn bad_field(field: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ field: [message] })),
    )
        .into_response()
}

/// May this token change its organizations' settings?
pub fn may_change(token: &Token) -> bool {
    matches!(token.role, Role::Manager | Role::Superuser)
}

/// 403 unless the token may change things.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
pub fn require_manager(token: &Token) -> Result<(), Response> {
    if may_change(token) {
        Ok(())
    } else {
        Err(detail(StatusCode::FORBIDDEN, FORBIDDEN))
    }
}

/// The alert service, or 404 when alerts are off (nothing to read or change).
#[allow(clippy::result_large_err)]
pub fn alerts(state: &AppState) -> Result<Arc<Alerts>, Response> {
    state.alerts.clone().ok_or_else(|| {
        detail(
            StatusCode::NOT_FOUND,
            "Alerts are disabled on this collector (alerts.enabled = false).",
        )
    })
}

/// The token and the device `pk` names, if the token sees it.
#[allow(clippy::result_large_err)]
pub fn device(
    state: &AppState,
    headers: &HeaderMap,
    pk: &str,
) -> Result<(Token, Device), Response> {
    let token = auth::token(state, headers)?;
    let Some(id) = parse_uuid_any(pk) else {
        return Err(detail(StatusCode::NOT_FOUND, "Not found."));
    };
    match state.registry.device(id) {
        Err(e) => Err(unavailable("Registry", &e)),
        Ok(Some(d)) if token.sees(d.org) => Ok((token, d)),
        Ok(_) => Err(detail(StatusCode::NOT_FOUND, "Not found.")),
    }
}

/// A request body that must be a JSON object whose members are all in `allowed`.
#[allow(clippy::result_large_err)]
pub fn object(body: &[u8], allowed: &[&str]) -> Result<Map<String, Value>, Response> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}")))?;
    let Value::Object(map) = value else {
        return Err(bad_field(
            "non_field_errors",
            "Invalid data. Expected a JSON object.",
        ));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad_field(
            unknown,
            &format!("Unknown field; expected one of: {}.", allowed.join(", ")),
        ));
    }
    Ok(map)
}

/// The store failed: 503.
pub fn store_failed(e: &dyn std::fmt::Display) -> Response {
    unavailable("Alert store", e)
}
