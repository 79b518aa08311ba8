//! `GET /api/v1/monitoring/wifi-session/` (+ `{id}/`): WiFi sessions of the organizations
//! a token sees, newest first, with the reference's item shape and OpenWISP pagination.

use super::AppState;
use super::auth::{self, unavailable};
use super::page::Page;
use super::reply::detail;
use crate::registry::Token;
use crate::sessions::{Filter, Session, TimeRange};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

fn time(us: i64) -> Value {
    jiff::Timestamp::from_microsecond(us).map_or(Value::Null, |t| Value::from(t.to_string()))
}

/// Python's `str()` of a nullable boolean, as the reference's serializer renders `wifi4`…
fn py_bool(b: Option<bool>) -> Value {
    b.map_or(Value::Null, |b| {
        Value::from(if b { "True" } else { "False" })
    })
}

/// Names of organizations and devices, looked up once per request.
#[derive(Default)]
struct Names {
    orgs: HashMap<Uuid, String>,
    devices: HashMap<Uuid, String>,
}

impl Names {
    fn org(&mut self, state: &AppState, id: Uuid) -> String {
        self.orgs
            .entry(id)
            .or_insert_with(|| {
                state
                    .registry
                    .org(id)
                    .ok()
                    .flatten()
                    .map(|o| o.name)
                    .unwrap_or_default()
            })
            .clone()
    }

    fn device(&mut self, state: &AppState, id: Uuid) -> String {
        self.devices
            .entry(id)
            .or_insert_with(|| {
                state
                    .registry
                    .device(id)
                    .ok()
                    .flatten()
                    .map(|d| d.name)
                    .unwrap_or_default()
            })
            .clone()
    }
}

fn item(state: &AppState, names: &mut Names, s: &Session) -> Value {
    let client = state.sessions.client(&s.mac).ok().flatten();
    let c = client.as_ref();
    json!({
        "id": s.id.to_string(),
        "organization": names.org(state, s.org),
        "device": names.device(state, s.device),
        "ssid": s.ssid,
        "interface_name": s.interface_name,
        "client": {
            "mac_address": s.mac,
            "vendor": c.and_then(|c| c.vendor.clone()),
            "wifi6": py_bool(c.and_then(|c| c.he)),
            "wifi5": py_bool(c.and_then(|c| c.vht)),
            "wifi4": py_bool(c.and_then(|c| c.ht)),
            "wmm": c.and_then(|c| c.wmm),
            "wds": c.and_then(|c| c.wds),
            "wps": c.and_then(|c| c.wps),
        },
        "start_time": time(s.start_us),
        "stop_time": s.stop_us.map_or(Value::Null, time),
        "modified": time(s.stop_us.unwrap_or(s.start_us)),
    })
}

fn field_error(field: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ field: [message] })),
    )
        .into_response()
}

#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn filter(token: &Token, params: &HashMap<String, String>) -> Result<Filter, Response> {
    let uuid = |field: &str| -> Result<Option<Uuid>, Response> {
        params
            .get(field)
            .filter(|v| !v.is_empty())
            .map(|v| {
                Uuid::parse_str(v)
                    .map_err(|_| field_error(field, &format!("“{v}” is not a valid UUID.")))
            })
            .transpose()
    };
    let mut orgs = auth::scope(token).map(<[Uuid]>::to_vec);
    if let Some(org) = uuid("device__organization")? {
        orgs = Some(match orgs {
            Some(seen) => seen.into_iter().filter(|o| *o == org).collect(),
            None => vec![org],
        });
    }
    let open = match params.get("stop_time__isnull").map(String::as_str) {
        None | Some("") => None,
        Some("true" | "True" | "1") => Some(true),
        Some("false" | "False" | "0") => Some(false),
        Some(other) => {
            return Err(field_error(
                "stop_time__isnull",
                &format!("“{other}” is not a valid boolean: use true or false."),
            ));
        }
    };
    Ok(Filter {
        orgs,
        device: uuid("device")?,
        open,
        start: time_range(params, "start_time")?,
        stop: time_range(params, "stop_time")?,
    })
}

/// A date-time as Django's `DateTimeField` reads it: ISO 8601 with an offset, or without
/// one (UTC), or a date alone (its midnight, UTC). Microseconds since the epoch.
pub fn parse_time(value: &str) -> Option<i64> {
    let value = value.trim();
    if let Ok(t) = value.parse::<jiff::Timestamp>() {
        return Some(t.as_microsecond());
    }
    let civil = value.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        value
            .parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    })?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_microsecond())
}

/// The `<field>`, `<field>__gt`, `__gte`, `__lt`, `__lte` parameters.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn time_range(params: &HashMap<String, String>, field: &str) -> Result<TimeRange, Response> {
    let bound = |suffix: &str| -> Result<Option<i64>, Response> {
        let name = format!("{field}{suffix}");
        match params.get(&name).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(v) => parse_time(v)
                .map(Some)
                .ok_or_else(|| field_error(&name, &format!("“{v}” is not a valid date/time."))),
        }
    };
    Ok(TimeRange {
        exact: bound("")?,
        gt: bound("__gt")?,
        gte: bound("__gte")?,
        lt: bound("__lt")?,
        lte: bound("__lte")?,
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
    let filter = match filter(&token, &params) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let page = match Page::from_params(&params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (count, sessions) = match state.sessions.page(&filter, page.offset(), page.size) {
        Ok(x) => x,
        Err(e) => return unavailable("WiFi session store", &e),
    };
    let mut names = Names::default();
    let results: Vec<Value> = sessions
        .iter()
        .map(|s| item(&state, &mut names, s))
        .collect();
    match page.body(count, results, &headers, &uri) {
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
    match state.sessions.session(id) {
        Err(e) => unavailable("WiFi session store", &e),
        // Another organization's session does not exist for this token.
        Ok(Some(s)) if token.sees(s.org) => {
            axum::Json(item(&state, &mut Names::default(), &s)).into_response()
        }
        Ok(_) => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn django_date_time_forms() {
        let z = parse_time("2026-11-24T07:00:00Z").unwrap();
        assert_eq!(parse_time("2026-11-24T09:00:00+02:00"), Some(z));
        assert_eq!(parse_time("2026-11-24 07:00:00"), Some(z));
        assert_eq!(parse_time("2026-11-24T07:00"), Some(z));
        assert_eq!(parse_time("2026-11-24"), Some(z - 7 * 3_600_000_000));
        assert_eq!(parse_time("2026-11-24T07:00:00.5Z"), Some(z + 500_000));
        for bad in ["", "yesterday", "2026-13-01", "24-11-2026", "1e9"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
