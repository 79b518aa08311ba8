//! A device's alert settings (the reference's `AlertSettings` inline), per metric
//! configuration that alerts: `GET …/alert-settings/` lists them with defaults, the
//! device's override and the effective rule; `PUT …/alert-settings/{metric}/` sets the
//! override (managers), `DELETE` returns to the defaults. Tolerance is in minutes, as in
//! the reference.

use super::AppState;
use super::edit::{self, bad_field, store_failed};
use super::reply::detail;
use crate::alerts::{AlertDefaults, AlertOverride, Operator, Rule, rule::MAX_TOLERANCE_S};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

const FIELDS: [&str; 5] = [
    "is_active",
    "operator",
    "threshold",
    "tolerance",
    "recovery_threshold",
];

fn item(metric: &str, label: &str, defaults: &AlertDefaults, o: Option<&AlertOverride>) -> Value {
    let rule = Rule::new(defaults, o);
    let custom = o.map_or(Value::Null, |o| {
        json!({
            "is_active": o.enabled,
            "operator": o.operator.map(Operator::symbol),
            "threshold": o.threshold,
            "tolerance": o.tolerance_s.map(|s| s / 60),
            "recovery_threshold": o.recovery_threshold,
        })
    });
    json!({
        "metric": metric,
        "label": label,
        "is_active": rule.enabled,
        "operator": rule.operator.symbol(),
        "threshold": rule.threshold,
        "tolerance": rule.tolerance_s / 60,
        "recovery_threshold": rule.recovery_threshold,
        "default": {
            "operator": defaults.operator.symbol(),
            "threshold": defaults.threshold,
            "tolerance": defaults.tolerance_s / 60,
            "recovery_threshold": defaults.recovery_threshold,
        },
        "custom": custom,
    })
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
    let overrides = alerts.overrides(device.id).await;
    let out: Vec<Value> = alerts
        .catalog()
        .metrics
        .iter()
        .filter_map(|(name, m)| {
            m.alert
                .as_ref()
                .map(|d| item(name, &m.label, d, overrides.get(name)))
        })
        .collect();
    axum::Json(Value::Array(out)).into_response()
}

/// The override a body asks for: members absent or `null` take the default.
#[allow(clippy::result_large_err)]
fn parse(body: &Map<String, Value>) -> Result<AlertOverride, Response> {
    let number = |k: &str| -> Result<Option<f64>, Response> {
        match body.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| bad_field(k, "A valid number is required.")),
        }
    };
    let enabled = match body.get("is_active") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad_field("is_active", "Must be true or false.")),
    };
    let operator = match body.get("operator") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            s.parse::<Operator>()
                .map_err(|e| bad_field("operator", &e))?,
        ),
        Some(_) => return Err(bad_field("operator", "Must be \"<\" or \">\".")),
    };
    let tolerance_s = match body.get("tolerance") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(m) if m.checked_mul(60).is_some_and(|s| s <= MAX_TOLERANCE_S) => Some(m * 60),
            _ => {
                return Err(bad_field(
                    "tolerance",
                    "Must be a whole number of minutes between 0 and 10080.",
                ));
            }
        },
    };
    Ok(AlertOverride {
        enabled,
        operator,
        threshold: number("threshold")?,
        tolerance_s,
        recovery_threshold: number("recovery_threshold")?,
    })
}

pub async fn set(
    State(state): State<AppState>,
    Path((pk, metric)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    change(&state, &pk, &metric, &headers, Some(&body)).await
}

pub async fn clear(
    State(state): State<AppState>,
    Path((pk, metric)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    change(&state, &pk, &metric, &headers, None).await
}

async fn change(
    state: &AppState,
    pk: &str,
    metric: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> Response {
    let (token, device) = match edit::device(state, headers, pk) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = edit::require_manager(&token) {
        return r;
    }
    let alerts = match edit::alerts(state) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some((label, defaults)) = alerts
        .catalog()
        .metrics
        .get(metric)
        .and_then(|m| m.alert.as_ref().map(|d| (m.label.clone(), *d)))
    else {
        return detail(
            StatusCode::NOT_FOUND,
            &format!("Metric {metric:?} has no alert settings."),
        );
    };
    let custom = match body {
        None => None,
        Some(b) => {
            let parsed = match edit::object(b, &FIELDS) {
                Ok(m) => parse(&m),
                Err(r) => Err(r),
            };
            let o = match parsed {
                Ok(o) => o,
                Err(r) => return r,
            };
            if let Err(e) = Rule::new(&defaults, Some(&o)).check() {
                let field = if e.starts_with("recovery") {
                    "recovery_threshold"
                } else if e.starts_with("tolerance") {
                    "tolerance"
                } else {
                    "threshold"
                };
                return bad_field(field, &e);
            }
            Some(o)
        }
    };
    if let Err(e) = alerts.set_override(device.id, metric, custom).await {
        return store_failed(&e);
    }
    tracing::info!(device = %device.id, metric, token = %token.name, "alert settings changed");
    match custom {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(o) => axum::Json(item(metric, &label, &defaults, Some(&o))).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn refused(body: &str) -> (StatusCode, Value) {
        let r = match edit::object(body.as_bytes(), &FIELDS) {
            Ok(m) => parse(&m).expect_err("refused"),
            Err(r) => r,
        };
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn errors_name_the_bad_field() {
        for (body, field) in [
            (r#"{"tolerance": 10081}"#, "tolerance"),
            (r#"{"tolerance": -1}"#, "tolerance"),
            (r#"{"threshold": "high"}"#, "threshold"),
            (r#"{"operator": ">="}"#, "operator"),
            (r#"{"is_active": "yes"}"#, "is_active"),
            (r#"{"recovery_threshold": []}"#, "recovery_threshold"),
            (r#"{"threshhold": 1}"#, "threshhold"),
            ("[1]", "non_field_errors"),
        ] {
            let (status, json) = refused(body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert!(json.get(field).is_some(), "{body}: {json}");
        }
    }

    #[test]
    fn absent_and_null_members_take_the_defaults() {
        let m = edit::object(
            br#"{"threshold": null, "tolerance": 5, "operator": "<"}"#,
            &FIELDS,
        )
        .unwrap();
        let o = parse(&m).unwrap();
        assert_eq!(
            o,
            AlertOverride {
                enabled: None,
                operator: Some(Operator::Below),
                threshold: None,
                tolerance_s: Some(300),
                recovery_threshold: None,
            }
        );
    }
}
