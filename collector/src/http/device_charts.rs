//! `GET /api/v1/monitoring/device/{pk}/`: the device, its charts and (with `status`) its
//! latest snapshot, or the charts as CSV (`csv`). The shell around `crate::charts`.

use super::AppState;
use super::auth::{self, unavailable};
use super::openwisp::parse_uuid_any;
use super::reply::{detail, not_found_html};
use crate::charts::range::{self, RangeParams};
use crate::charts::read;
use crate::charts::render::{self, RenderedChart};
use crate::registry::Device;
use crate::registry::secret;
use crate::tsdb::{FieldValue, Retention};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Who is asking, once checked.
enum Caller {
    DeviceKey(String),
    Token,
}

/// The device if the caller may read it, else the reply.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn authorize(
    state: &AppState,
    device: &Device,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Caller, Response> {
    if let Some(key) = params.get("key") {
        return if secret::verify(key, &device.key_hash) {
            Ok(Caller::DeviceKey(key.clone()))
        } else {
            Err(detail(
                StatusCode::FORBIDDEN,
                "You do not have permission to perform this action.",
            ))
        };
    }
    let token = auth::token(state, headers)?;
    if token.sees(device.org) {
        Ok(Caller::Token)
    } else {
        // Another organization's device does not exist for this token.
        Err(detail(StatusCode::NOT_FOUND, "Not found."))
    }
}

/// The range of a chart request (`time`, `start`, `end`, `timezone`), or the reference's
/// 400 with its message.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
pub(super) fn chart_range(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<range::ChartRange, Response> {
    let get = |k: &str| params.get(k).map(String::as_str);
    range::resolve(
        RangeParams {
            time: get("time"),
            start: get("start"),
            end: get("end"),
            timezone: get("timezone"),
        },
        crate::registry::now_us(),
        &state.chart_tz,
    )
    .map_err(|e| (StatusCode::BAD_REQUEST, axum::Json(vec![e.to_string()])).into_response())
}

pub(super) fn rfc3339(us: i64) -> Value {
    jiff::Timestamp::from_microsecond(us).map_or(Value::Null, |t| Value::from(t.to_string()))
}

fn device_fields(device: &Device, caller: &Caller) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(device.id.to_string()));
    m.insert("name".into(), Value::from(device.name.clone()));
    m.insert("organization".into(), Value::from(device.org.to_string()));
    m.insert("group".into(), Value::Null);
    m.insert("mac_address".into(), Value::from(device.mac.clone()));
    // Only the key's hash is stored: it can be shown only to whoever just sent it.
    m.insert(
        "key".into(),
        match caller {
            Caller::DeviceKey(k) => Value::from(k.clone()),
            Caller::Token => Value::Null,
        },
    );
    m.insert("last_ip".into(), Value::from(device.last_ip.clone()));
    m.insert(
        "management_ip".into(),
        Value::from(device.management_ip.clone()),
    );
    m.insert("model".into(), Value::from(device.model.clone()));
    m.insert("os".into(), Value::from(device.os.clone()));
    m.insert("system".into(), Value::from(device.system.clone()));
    m.insert("notes".into(), Value::from(""));
    m.insert("config".into(), Value::Null);
    m.insert("created".into(), rfc3339(device.created_us));
    m.insert("modified".into(), rfc3339(device.created_us));
    m
}

#[allow(clippy::result_large_err)] // the error is the reply itself, built once
pub(super) async fn snapshot(state: &AppState, device: &Device) -> Result<Value, Response> {
    let point = state
        .tsdb
        .latest(
            Retention::Short,
            "device_data".into(),
            vec![("pk".into(), device.id.to_string())],
        )
        .await
        .map_err(|e| unavailable("Time-series store", &e))?;
    Ok(match point.and_then(|p| p.fields.get("data").cloned()) {
        Some(FieldValue::Str(text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
        _ => Value::Null,
    })
}

fn csv_response(body: String) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv"),
            (header::CONTENT_DISPOSITION, "attachment; filename=data.csv"),
        ],
        body,
    )
        .into_response()
}

pub async fn get_device(
    State(state): State<AppState>,
    Path(pk): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(id) = parse_uuid_any(&pk) else {
        return not_found_html().await;
    };
    let device = match state.registry.device(id) {
        Err(e) => return unavailable("Registry", &e),
        Ok(None) => return detail(StatusCode::NOT_FOUND, "Not found."),
        Ok(Some(d)) => d,
    };
    let caller = match authorize(&state, &device, &params, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let get = |k: &str| params.get(k).map(String::as_str);
    let range = match chart_range(&state, &params) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let found = match read::device_charts(state.tsdb.as_ref(), device.id, &range).await {
        Ok(c) => c,
        Err(e) => return unavailable("Time-series store", &e),
    };
    let x: Vec<String> = found
        .iter()
        .find(|f| f.chart.kind != "histogram" && !f.chart.x.is_empty())
        .map(|f| f.chart.x.clone())
        .unwrap_or_default();
    let metrics: Vec<String> = found.iter().map(|f| f.metric.clone()).collect();
    let mut rendered: Vec<RenderedChart> = found.into_iter().map(|f| f.chart).collect();
    render::sort(&mut rendered);
    if get("csv").is_some_and(|v| !v.is_empty()) {
        return csv_response(render::csv(&rendered, &x));
    }
    // Alerting metrics with their health, then the charted ones without alert settings.
    let (status, mut related) = match &state.alerts {
        Some(a) => (
            a.status(device.id).await.as_str(),
            a.metric_health(device.id)
                .await
                .into_iter()
                .map(|(name, _, healthy)| (name, healthy))
                .collect::<Vec<_>>(),
        ),
        None => ("unknown", Vec::new()),
    };
    for name in metrics {
        if !related.iter().any(|(n, _)| *n == name) {
            related.push((name, None));
        }
    }
    related.sort();
    related.dedup_by(|a, b| a.0 == b.0);
    let mut body = device_fields(&device, &caller);
    let related: Vec<Value> = related
        .into_iter()
        .map(|(name, healthy)| serde_json::json!({ "name": name, "is_healthy": healthy }))
        .collect();
    body.insert(
        "monitoring".into(),
        serde_json::json!({
            "status": status,
            "related_metrics": related,
            // edgemon's addition: while the device's clock is judged off (ingest/skew.rs),
            // by how many seconds its newest sample was ahead (+) or behind (-).
            "clock_offset_s": state.skews.offset_us(device.id).map(|us| us / 1_000_000),
        }),
    );
    body.insert(
        "charts".into(),
        Value::Array(rendered.into_iter().map(|c| c.json).collect()),
    );
    if !x.is_empty() {
        body.insert("x".into(), Value::from(x));
    }
    if get("status").is_some_and(|v| !v.is_empty()) {
        match snapshot(&state, &device).await {
            Ok(data) => {
                body.insert("data".into(), data);
            }
            Err(r) => return r,
        }
    }
    axum::Json(Value::Object(body)).into_response()
}
