//! `GET /api/v1/monitoring/dashboard/`: the dashboard's General WiFi Clients and General
//! Traffic charts over the organizations a token sees (or the `organization_slug` ones).

use super::AppState;
use super::auth::{self, unavailable};
use super::reply::detail;
use crate::charts::{read, render};
use crate::registry::Org;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

const FORBIDDEN: &str = "You do not have permission to perform this action.";

/// The organizations the request is about, or the reference's refusal.
#[allow(clippy::result_large_err)] // the error is the reply itself, built once
fn selected(visible: &[Org], all: &[Org], slugs: Option<&str>) -> Result<Vec<Org>, Response> {
    let Some(slugs) = slugs.filter(|s| !s.is_empty()) else {
        return Ok(visible.to_vec());
    };
    let mut out = Vec::new();
    for slug in slugs.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !all.iter().any(|o| o.slug == slug) {
            return Err(detail(StatusCode::NOT_FOUND, "Not found."));
        }
        match visible.iter().find(|o| o.slug == slug) {
            Some(o) => out.push(o.clone()),
            None => return Err(detail(StatusCode::FORBIDDEN, FORBIDDEN)),
        }
    }
    Ok(out)
}

pub async fn general(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let token = match auth::token(&state, &headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let all = match state.registry.orgs() {
        Ok(o) => o,
        Err(e) => return unavailable("Registry", &e),
    };
    let visible: Vec<Org> = all.iter().filter(|o| token.sees(o.id)).cloned().collect();
    if visible.is_empty() {
        return detail(StatusCode::FORBIDDEN, FORBIDDEN);
    }
    let get = |k: &str| params.get(k).map(String::as_str);
    let orgs = match selected(&visible, &all, get("organization_slug")) {
        Ok(o) => o,
        Err(r) => return r,
    };
    // There are no location or floor-plan records: every id names nothing.
    if ["location_id", "floorplan_id"]
        .iter()
        .any(|k| get(k).is_some_and(|v| !v.is_empty()))
    {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    }
    let range = match super::device_charts::chart_range(&state, &params) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let ids: Vec<_> = orgs.iter().map(|o| o.id).collect();
    let found =
        match read::general_charts(state.tsdb.as_ref(), &ids, &state.dashboard_ifnames, &range)
            .await
        {
            Ok(f) => f,
            Err(e) => return unavailable("Time-series store", &e),
        };
    let x: Vec<String> = found.first().map(|f| f.chart.x.clone()).unwrap_or_default();
    let mut charts: Vec<_> = found.into_iter().map(|f| f.chart).collect();
    render::sort(&mut charts);
    if get("csv").is_some_and(|v| !v.is_empty()) {
        return (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv"),
                (header::CONTENT_DISPOSITION, "attachment; filename=data.csv"),
            ],
            render::csv(&charts, &x),
        )
            .into_response();
    }
    let mut body = Map::new();
    body.insert(
        "charts".into(),
        Value::Array(charts.into_iter().map(|c| c.json).collect()),
    );
    body.insert("x".into(), Value::from(x));
    if visible.len() >= 2 {
        body.insert(
            "organizations".into(),
            Value::Array(
                visible
                    .iter()
                    .map(|o| json!({"id": o.slug, "text": o.name}))
                    .collect(),
            ),
        );
    }
    axum::Json(Value::Object(body)).into_response()
}
