//! Notifications over HTTP: the alert engine's problem/recovery notifications of the
//! organizations a token sees (`GET`, newest first, paginated), and marking them read
//! (`POST …/read/` for all, `PATCH …/{id}/` for one).

use super::AppState;
use super::auth::{self, unavailable};
use super::device_charts::rfc3339;
use super::page::Page;
use super::reply::detail;
use crate::alerts::notification::Notification;
use crate::registry::Token;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

fn item(n: &Notification) -> Value {
    json!({
        "id": n.id,
        "type": n.kind_name(),
        "level": n.level,
        "verb": n.verb,
        "email_subject": n.subject,
        "message": n.message,
        "unread": n.unread,
        "muted": n.muted,
        "timestamp": rfc3339(n.time_us),
        "organization": n.org.to_string(),
        "target_object_id": n.device.to_string(),
        "target_name": n.device_name,
    })
}

#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn setup(state: &AppState, headers: &HeaderMap) -> Result<Token, Response> {
    let token = auth::token(state, headers)?;
    if state.alerts.is_none() {
        return Err(detail(
            StatusCode::NOT_FOUND,
            "Alerts are disabled on this collector (alerts.enabled = false).",
        ));
    }
    Ok(token)
}

pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let token = match setup(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let unread = match params.get("unread").map(String::as_str) {
        None | Some("" | "false" | "False" | "0") => false,
        Some("true" | "True" | "1") => true,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"unread": [format!("“{other}” is not a valid boolean: use true or false.")]})),
            )
                .into_response();
        }
    };
    let page = match Page::from_params(&params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let alerts = state.alerts.as_ref().expect("checked in setup");
    let all = match alerts.notifications(auth::scope(&token), unread) {
        Ok(n) => n,
        Err(e) => return unavailable("Alert store", &e),
    };
    let results = all
        .iter()
        .skip(page.offset())
        .take(page.size)
        .map(item)
        .collect();
    match page.body(all.len(), results, &headers, &uri) {
        Ok(body) => axum::Json(body).into_response(),
        Err(r) => r,
    }
}

/// Marks every visible notification read.
pub async fn read_all(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = match setup(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let alerts = state.alerts.as_ref().expect("checked in setup");
    let targets: Vec<Uuid> = match auth::scope(&token) {
        Some(o) => o.to_vec(),
        None => match state.registry.orgs() {
            Ok(all) => all.into_iter().map(|o| o.id).collect(),
            Err(e) => return unavailable("Registry", &e),
        },
    };
    let mut marked = 0;
    for org in targets {
        match alerts.mark_read(org, &[]) {
            Ok(n) => marked += n,
            Err(e) => return unavailable("Alert store", &e),
        }
    }
    axum::Json(json!({ "marked": marked })).into_response()
}

/// Marks one notification read; another organization's is not found.
pub async fn read_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let token = match setup(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let not_found = || detail(StatusCode::NOT_FOUND, "Not found.");
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let alerts = state.alerts.as_ref().expect("checked in setup");
    let found = match alerts.notifications(auth::scope(&token), false) {
        Ok(all) => all.into_iter().find(|n| n.id == id),
        Err(e) => return unavailable("Alert store", &e),
    };
    let Some(n) = found else {
        return not_found();
    };
    if let Err(e) = alerts.mark_read(n.org, &[id]) {
        return unavailable("Alert store", &e);
    }
    axum::Json(item(&Notification { unread: false, ..n })).into_response()
}
