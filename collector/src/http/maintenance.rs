//! Maintenance windows: `GET /api/v1/edgemon/maintenance/` lists the windows covering the
//! token's organizations (the configuration file's and those made here), `POST` makes one
//! for an organization or a device (managers), `DELETE …/{id}/` removes one made here.
//! While a window is open, notifications are stored muted and not delivered.

use super::AppState;
use super::auth::{self, unavailable};
use super::device_charts::rfc3339;
use super::edit::{self, bad_field, store_failed};
use super::reply::detail;
use crate::alerts::maintenance::{MAX_SPAN_S, Scope, Window, span_us};
use crate::alerts::store::StoredWindow;
use crate::config::parse_duration;
use crate::registry::{Org, Token};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use uuid::Uuid;

const FIELDS: [&str; 6] = [
    "organization",
    "device",
    "start",
    "duration",
    "every",
    "note",
];

fn now_us() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros(),
    )
    .unwrap_or(i64::MAX)
}

fn item(
    id: Option<u64>,
    org: Uuid,
    device: Option<Uuid>,
    w: &Window,
    note: &str,
    now: i64,
) -> Value {
    json!({
        "id": id,
        "source": if id.is_some() { "api" } else { "config" },
        "organization": org.to_string(),
        "device": device.map(|d| d.to_string()),
        "start": rfc3339(w.start_us),
        "duration": w.duration_us / 1_000_000,
        "every": w.every_us.map(|e| e / 1_000_000),
        "note": note,
        "open": w.open(now),
    })
}

pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let alerts = match edit::alerts(&state) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let orgs = match state.registry.orgs() {
        Ok(o) => o,
        Err(e) => return unavailable("Registry", &e),
    };
    let now = now_us();
    let mut out = Vec::new();
    for w in alerts.config_windows() {
        let (org, device) = match &w.scope {
            Scope::Org(o) => (resolve(&orgs, o), None),
            Scope::Device(d) => (
                state.registry.device(*d).ok().flatten().map(|x| x.org),
                Some(*d),
            ),
        };
        if let Some(org) = org.filter(|o| token.sees(*o)) {
            out.push(item(None, org, device, w, "", now));
        }
    }
    for (id, w) in alerts.api_windows() {
        if token.sees(w.org) {
            out.push(item(Some(id), w.org, w.device, &w.window(), &w.note, now));
        }
    }
    axum::Json(json!({"count": out.len(), "results": out})).into_response()
}

fn resolve(orgs: &[Org], id_or_slug: &str) -> Option<Uuid> {
    orgs.iter()
        .find(|o| o.slug == id_or_slug || o.id.to_string() == id_or_slug)
        .map(|o| o.id)
}

/// A duration member: seconds as a number, or text such as `"2h"`.
#[allow(clippy::result_large_err)]
fn seconds(map: &Map<String, Value>, field: &str) -> Result<Option<i64>, Response> {
    let s = match map.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| bad_field(field, "A whole, positive number of seconds is required."))?,
        Some(Value::String(t)) => parse_duration(t)
            .map_err(|e| bad_field(field, &e))?
            .as_secs(),
        Some(_) => {
            return Err(bad_field(
                field,
                "Seconds (a number) or text such as \"2h\".",
            ));
        }
    };
    if s == 0 {
        return Err(bad_field(field, "Must be at least 1 second."));
    }
    if s > MAX_SPAN_S {
        return Err(bad_field(field, "Must be at most 3650 days (ten years)."));
    }
    Ok(Some(span_us(s)))
}

/// The window a body describes, checked against what the token may see.
#[allow(clippy::result_large_err)]
fn parse(
    state: &AppState,
    token: &Token,
    map: &Map<String, Value>,
) -> Result<StoredWindow, Response> {
    let text = |k: &str| map.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (org, device) = match (text("organization"), text("device")) {
        (_, Some(d)) => {
            let id =
                Uuid::parse_str(d).map_err(|_| bad_field("device", "Must be a device UUID."))?;
            match state.registry.device(id) {
                Err(e) => return Err(unavailable("Registry", &e)),
                Ok(Some(dev)) if token.sees(dev.org) => (dev.org, Some(id)),
                Ok(_) => return Err(bad_field("device", "No such device.")),
            }
        }
        (Some(o), None) => {
            let orgs = state
                .registry
                .orgs()
                .map_err(|e| unavailable("Registry", &e))?;
            match resolve(&orgs, o).filter(|id| token.sees(*id)) {
                Some(id) => (id, None),
                None => return Err(bad_field("organization", "No such organization.")),
            }
        }
        (None, None) => {
            return Err(bad_field(
                "organization",
                "Give an organization (id or slug) or a device.",
            ));
        }
    };
    let start = text("start").ok_or_else(|| bad_field("start", "This field is required."))?;
    let start = time::OffsetDateTime::parse(start, &time::format_description::well_known::Rfc3339)
        .map_err(|e| bad_field("start", &format!("{start:?} is not an RFC 3339 time: {e}")))?;
    // Lists show `start` as jiff writes it; refuse what it cannot (its range ends a day
    // before 10000).
    let start_us = i64::try_from(start.unix_timestamp_nanos() / 1000)
        .ok()
        .filter(|us| !rfc3339(*us).is_null())
        .ok_or_else(|| bad_field("start", "Out of range."))?;
    let duration_us = seconds(map, "duration")?
        .ok_or_else(|| bad_field("duration", "This field is required."))?;
    let every_us = seconds(map, "every")?;
    if every_us.is_some_and(|e| e < duration_us) {
        return Err(bad_field("every", "Must not be shorter than `duration`."));
    }
    let note = match map.get("note") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= 200 => s.clone(),
        Some(_) => return Err(bad_field("note", "Text of at most 200 characters.")),
    };
    Ok(StoredWindow {
        org,
        device,
        start_us,
        duration_us,
        every_us,
        note,
    })
}

pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Err(r) = edit::require_manager(&token) {
        return r;
    }
    let alerts = match edit::alerts(&state) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let parsed = match edit::object(&body, &FIELDS) {
        Ok(m) => parse(&state, &token, &m),
        Err(r) => Err(r),
    };
    let window = match parsed {
        Ok(w) => w,
        Err(r) => return r,
    };
    let id = match alerts.add_window(window.clone()) {
        Ok(id) => id,
        Err(e) => return store_failed(&e),
    };
    tracing::info!(id, org = %window.org, token = %token.name, "maintenance window created");
    let body = item(
        Some(id),
        window.org,
        window.device,
        &window.window(),
        &window.note,
        now_us(),
    );
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let alerts = match edit::alerts(&state) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let not_found = || detail(StatusCode::NOT_FOUND, "Not found.");
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let Some((_, w)) = alerts.api_windows().into_iter().find(|(i, _)| *i == id) else {
        return not_found();
    };
    if !token.sees(w.org) {
        return not_found();
    }
    if let Err(r) = edit::require_manager(&token) {
        return r;
    }
    match alerts.delete_window(id) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_failed(&e),
    }
}
