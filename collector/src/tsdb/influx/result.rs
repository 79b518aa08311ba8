//! InfluxDB's JSON answers (`/query?epoch=u`) back into the store's model. Sans-IO.
//!
//! JSON loses the integer/float distinction (a float `5.0` arrives as `5`), so values are
//! typed from the aggregation and the field's type (`SHOW FIELD KEYS`): `MEAN` is a float,
//! counts are integers, `SUM` of integers an integer, and `MAX`/`MIN`/`LAST`/`MODE` keep
//! the field's type, as in the embedded store. An empty bucket's count is `0` whether or
//! not the series ever had that field (InfluxDB answers `null` for a field the series
//! never had, `0` otherwise; the store's model says `0`).

use crate::tsdb::{Agg, FieldValue, Point, Retention, Row, Series, StoreError};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A field's type as `SHOW FIELD KEYS` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Float,
    Integer,
    String,
    Boolean,
}

impl FieldType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "float" => FieldType::Float,
            "integer" => FieldType::Integer,
            "string" => FieldType::String,
            "boolean" => FieldType::Boolean,
            _ => return None,
        })
    }
}

/// Field name → type, for one measurement.
pub type FieldTypes = HashMap<String, FieldType>;

#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    results: Vec<Statement>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Statement {
    #[serde(default)]
    series: Vec<RawSeries>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawSeries {
    #[serde(default)]
    tags: BTreeMap<String, String>,
    columns: Vec<String>,
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

/// The series of the first statement of an answer; a statement's error is the query's.
fn statement(body: &[u8]) -> Result<Vec<RawSeries>, StoreError> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|e| StoreError::Unavailable(format!("InfluxDB: unreadable query answer: {e}")))?;
    if let Some(e) = body.error {
        return Err(StoreError::InvalidQuery(format!("InfluxDB: {e}")));
    }
    let first =
        body.results.into_iter().next().ok_or_else(|| {
            StoreError::Unavailable("InfluxDB: query answer without results".into())
        })?;
    if let Some(e) = first.error {
        return Err(StoreError::InvalidQuery(format!("InfluxDB: {e}")));
    }
    Ok(first.series)
}

/// Only the statement's success (DDL such as `CREATE DATABASE`).
pub fn ok(body: &[u8]) -> Result<(), StoreError> {
    statement(body).map(drop)
}

/// The rows of the first series' columns, as JSON (e.g. `SHOW RETENTION POLICIES`).
pub fn rows(body: &[u8]) -> Result<Vec<BTreeMap<String, Value>>, StoreError> {
    let mut out = Vec::new();
    for s in statement(body)? {
        for row in s.values {
            out.push(s.columns.iter().cloned().zip(row).collect());
        }
    }
    Ok(out)
}

/// `SHOW FIELD KEYS` → field types.
pub fn field_types(body: &[u8]) -> Result<FieldTypes, StoreError> {
    Ok(rows(body)?
        .into_iter()
        .filter_map(|r| {
            let key = r.get("fieldKey")?.as_str()?.to_owned();
            let ty = FieldType::parse(r.get("fieldType")?.as_str()?)?;
            Some((key, ty))
        })
        .collect())
}

fn time_of(v: Option<&Value>) -> Result<i64, StoreError> {
    v.and_then(Value::as_i64)
        .ok_or_else(|| StoreError::Unavailable("InfluxDB: a row without an epoch time".into()))
}

/// A JSON value as a field value of type `ty` (`None` for `null`).
fn typed(v: &Value, ty: Option<FieldType>) -> Option<FieldValue> {
    match v {
        Value::Bool(b) => Some(FieldValue::Bool(*b)),
        Value::String(s) => Some(FieldValue::Str(s.clone())),
        Value::Number(n) => Some(match (ty, n.as_i64()) {
            (Some(FieldType::Integer), Some(i)) => FieldValue::Int(i),
            (None, Some(i)) if !n.is_f64() => FieldValue::Int(i),
            _ => FieldValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        }),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// An aggregated value: its type follows from the aggregation and the field's type.
fn aggregated(v: &Value, agg: Agg, field: Option<FieldType>) -> Option<FieldValue> {
    match agg {
        Agg::Count | Agg::CountDistinct => Some(FieldValue::Int(v.as_i64().unwrap_or(0))),
        Agg::Mean => v.as_f64().map(FieldValue::Float),
        Agg::Sum => typed(v, Some(field.unwrap_or(FieldType::Float))),
        Agg::Max | Agg::Min | Agg::Last | Agg::Mode => {
            typed(v, Some(field.unwrap_or(FieldType::Float)))
        }
    }
}

/// The answer to [`super::influxql::select`]: one [`Series`] per tag group, with the
/// group-by tags (an absent tag as `""`).
pub fn series(
    body: &[u8],
    fields: &[(String, Agg)],
    group_by: &[String],
    types: &FieldTypes,
) -> Result<Vec<Series>, StoreError> {
    let mut out = Vec::new();
    for raw in statement(body)? {
        let index: Vec<Option<usize>> = (0..fields.len())
            .map(|i| raw.columns.iter().position(|c| *c == format!("c{i}")))
            .collect();
        let rows = raw
            .values
            .iter()
            .map(|row| {
                let values = fields
                    .iter()
                    .zip(&index)
                    .map(|((field, agg), col)| {
                        let v = col.and_then(|c| row.get(c)).unwrap_or(&Value::Null);
                        aggregated(v, *agg, types.get(field).copied())
                    })
                    .collect();
                Ok(Row {
                    time_us: time_of(row.first())?,
                    values,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut tags = raw.tags;
        for t in group_by {
            tags.entry(t.clone()).or_default();
        }
        out.push(Series { tags, rows });
    }
    Ok(out)
}

/// The answer to [`super::influxql::latest`]: the newest of the series' newest points.
pub fn latest(
    body: &[u8],
    retention: Retention,
    measurement: &str,
    types: &FieldTypes,
) -> Result<Option<Point>, StoreError> {
    let mut best: Option<Point> = None;
    for raw in statement(body)? {
        let Some(row) = raw.values.first() else {
            continue;
        };
        let time_us = time_of(row.first())?;
        if best.as_ref().is_some_and(|b| b.time_us >= time_us) {
            continue;
        }
        let mut point = Point::new(measurement, time_us).retention(retention);
        point.tags = raw
            .tags
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        for (col, v) in raw.columns.iter().zip(row).skip(1) {
            if let Some(v) = typed(v, types.get(col).copied()) {
                point.fields.insert(col.clone(), v);
            }
        }
        best = Some(point);
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{"results":[{"statement_id":0,"series":[
        {"name":"m","tags":{"ifname":"a"},"columns":["time","c0","c1","c2","c3"],
         "values":[[1000,5,2.5,null,3],[2000,null,null,null,null]]},
        {"name":"m","tags":{"ifname":""},"columns":["time","c0","c1","c2","c3"],
         "values":[[1000,7,1e+300,1,4],[2000,null,null,0,null]]}]}]}"#;

    fn fields() -> Vec<(String, Agg)> {
        vec![
            ("x".into(), Agg::Sum),
            ("y".into(), Agg::Mean),
            ("s".into(), Agg::CountDistinct),
            ("y".into(), Agg::Max),
        ]
    }

    #[test]
    fn values_are_typed_by_aggregation_and_field() {
        let types: FieldTypes = [
            ("x".into(), FieldType::Integer),
            ("y".into(), FieldType::Float),
        ]
        .into_iter()
        .collect();
        let s = series(ANSWER.as_bytes(), &fields(), &["ifname".into()], &types).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].tags["ifname"], "a");
        assert_eq!(
            s[0].rows[0].values,
            vec![
                Some(FieldValue::Int(5)),
                Some(FieldValue::Float(2.5)),
                Some(FieldValue::Int(0)),
                Some(FieldValue::Float(3.0)),
            ]
        );
        assert_eq!(s[0].rows[1].values[0], None);
        assert_eq!(s[0].rows[1].values[2], Some(FieldValue::Int(0)));
        assert_eq!(s[1].rows[0].values[1], Some(FieldValue::Float(1e300)));
        assert_eq!(s[1].rows[0].time_us, 1000);
    }

    #[test]
    fn statement_errors_are_invalid_queries() {
        let e = series(
            br#"{"results":[{"statement_id":0,"error":"unsupported mean iterator type"}]}"#,
            &fields(),
            &[],
            &FieldTypes::new(),
        );
        assert!(matches!(e, Err(StoreError::InvalidQuery(m)) if m.contains("unsupported mean")));
        assert!(matches!(ok(b"<html>"), Err(StoreError::Unavailable(_))));
        assert!(
            series(
                br#"{"results":[{"statement_id":0}]}"#,
                &fields(),
                &[],
                &FieldTypes::new()
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn latest_picks_the_newest_series_point() {
        let body = br#"{"results":[{"statement_id":0,"series":[
            {"name":"d","tags":{"pk":"a","x":""},"columns":["time","data","n"],"values":[[5,"old",1]]},
            {"name":"d","tags":{"pk":"b","x":""},"columns":["time","data","n"],"values":[[9,"new",null]]}]}]}"#;
        let types: FieldTypes = [("n".into(), FieldType::Float)].into_iter().collect();
        let p = latest(body, Retention::Short, "d", &types)
            .unwrap()
            .unwrap();
        assert_eq!(p.time_us, 9);
        assert_eq!(p.tags, BTreeMap::from([("pk".into(), "b".into())]));
        assert_eq!(
            p.fields,
            BTreeMap::from([("data".into(), FieldValue::Str("new".into()))])
        );
        assert_eq!(p.retention, Retention::Short);
    }

    #[test]
    fn field_keys() {
        let body = br#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["fieldKey","fieldType"],"values":[["s","string"],["x","integer"],["y","float"],["b","boolean"]]}]}]}"#;
        let t = field_types(body).unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(t["x"], FieldType::Integer);
        assert_eq!(t["b"], FieldType::Boolean);
    }
}
