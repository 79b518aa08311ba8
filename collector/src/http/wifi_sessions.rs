//! `GET /api/v1/monitoring/wifi-session/` (+ `{id}/`): WiFi sessions of the organizations
//! a token sees, newest first, with the reference's item shape and OpenWISP pagination.

use super::AppState;
use super::auth::{self, unavailable};
use super::reply::detail;
use crate::registry::Token;
use crate::sessions::{Filter, Session};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use uuid::Uuid;

const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 100;

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

fn visible_orgs(token: &Token) -> Option<Vec<Uuid>> {
    (token.role != crate::registry::Role::Superuser).then(|| token.orgs.clone())
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
    let mut orgs = visible_orgs(token);
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
    })
}

/// A positive integer parameter, or the reference's reply to a bad one.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn positive(
    params: &HashMap<String, String>,
    name: &str,
    default: usize,
) -> Result<usize, Response> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(detail(StatusCode::NOT_FOUND, "Invalid page.")),
        },
    }
}

/// The absolute URL of another page (DRF's `next`/`previous`).
fn page_url(headers: &HeaderMap, uri: &Uri, page: usize) -> Value {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let mut query: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
        .map(str::to_owned)
        .collect();
    if page > 1 {
        query.push(format!("page={page}"));
    }
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    Value::from(format!("http://{host}{}{q}", uri.path()))
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
    let (page, size) = match (
        positive(&params, "page", 1),
        positive(&params, "page_size", DEFAULT_PAGE_SIZE),
    ) {
        (Ok(p), Ok(s)) => (p, s.min(MAX_PAGE_SIZE)),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let (count, sessions) = match state.sessions.page(&filter, (page - 1) * size, size) {
        Ok(x) => x,
        Err(e) => return unavailable("WiFi session store", &e),
    };
    if page > 1 && sessions.is_empty() {
        return detail(StatusCode::NOT_FOUND, "Invalid page.");
    }
    let mut names = Names::default();
    let results: Vec<Value> = sessions
        .iter()
        .map(|s| item(&state, &mut names, s))
        .collect();
    let mut body = Map::new();
    body.insert("count".into(), Value::from(count));
    body.insert(
        "next".into(),
        if page * size < count {
            page_url(&headers, &uri, page + 1)
        } else {
            Value::Null
        },
    );
    body.insert(
        "previous".into(),
        if page > 1 {
            page_url(&headers, &uri, page - 1)
        } else {
            Value::Null
        },
    );
    body.insert("results".into(), Value::Array(results));
    axum::Json(Value::Object(body)).into_response()
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
