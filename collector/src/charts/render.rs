//! Query results to the reference's chart JSON and CSV (`Chart.read`, the device view's
//! `_get_charts_data` and `_get_csv`). Pure.

use super::catalog::{ChartDef, Post, Select};
use crate::tsdb::{FieldValue, Row};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Number, Value};

/// One chart, ready to be serialised, with the x axis it was read with.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedChart {
    pub order: u32,
    pub title: String,
    pub kind: &'static str,
    /// `[name, values]` pairs, sorted by name.
    pub traces: Vec<(String, Vec<Value>)>,
    pub json: Value,
    /// Bucket starts formatted `%Y-%m-%d %H:%M` in the request's zone.
    pub x: Vec<String>,
}

/// A selected value after the query's arithmetic, before rounding.
fn apply(post: Post, v: &FieldValue) -> Value {
    let float = |f: f64| Number::from_f64(f).map_or(Value::Null, Value::Number);
    match (post, v) {
        (Post::AsIs, FieldValue::Int(i)) => Value::from(*i),
        (Post::AsIs, FieldValue::Str(s)) => Value::from(s.clone()),
        (Post::AsIs, FieldValue::Bool(b)) => Value::from(*b),
        (Post::AsIs, other) => other.as_f64().map_or(Value::Null, float),
        (Post::Percent, v) => v.as_f64().map_or(Value::Null, |f| float(f * 100.0)),
        (Post::Giga, v) => v
            .as_f64()
            .map_or(Value::Null, |f| float(f / 1_000_000_000.0)),
        // Go's math.Round: halves away from zero, as Rust's f64::round.
        (Post::Round, v) => v.as_f64().map_or(Value::Null, |f| float(f.round())),
    }
}

/// Python's `round(x, n)` for a float: the decimal nearest the exact binary value, ties
/// (exact binary halves) to even; Rust's fixed-precision formatting rounds the same way.
fn py_round(x: f64, places: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.places$}")
        .parse()
        .expect("a formatted finite float parses back")
}

/// The reference's `Chart._round`: 2 decimals, 4 below 0.01 (negative values included);
/// integers stay integers.
pub fn round_value(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().expect("an f64 number");
            let places = if f < 0.01 { 4 } else { 2 };
            Number::from_f64(py_round(f, places)).map_or(Value::Null, Value::Number)
        }
        other => other,
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// Formats a bucket start as the reference labels the x axis.
pub fn x_label(time_us: i64, tz: &TimeZone) -> String {
    Timestamp::from_microsecond(time_us).map_or_else(
        |_| String::new(),
        |ts| {
            ts.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    )
}

fn format_text(template: &str, ifname: Option<&str>) -> String {
    template.replace("{ifname}", ifname.unwrap_or(""))
}

/// Renders one chart from its data rows (one per bucket) and its summary row (`None` when
/// the summary query found nothing). Returns `None` when the chart has no traces (no rows),
/// which the reference omits.
pub fn render(
    def: &ChartDef,
    ifname: Option<&str>,
    rows: &[Row],
    summary: Option<&Row>,
    tz: &TimeZone,
) -> Option<RenderedChart> {
    if rows.is_empty() {
        return None;
    }
    let value_of = |row: &Row, i: usize, s: &Select| {
        row.values
            .get(i)
            .and_then(Option::as_ref)
            .map_or(Value::Null, |v| apply(s.post, v))
    };
    let mut traces: Vec<(String, Vec<Value>)> = def
        .select
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let values = rows
                .iter()
                .map(|row| round_value(value_of(row, i, s)))
                .collect();
            (s.alias.to_owned(), values)
        })
        .collect();
    traces.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary_json = Map::new();
    if let Some(row) = summary {
        for (i, s) in def.select.iter().enumerate() {
            let v = value_of(row, i, s);
            let v = if truthy(&v) { round_value(v) } else { v };
            summary_json.insert(s.alias.to_owned(), v);
        }
    }
    let title = format_text(def.title, ifname);
    let mut json = Map::new();
    json.insert(
        "traces".into(),
        Value::Array(
            traces
                .iter()
                .map(|(name, values)| {
                    Value::Array(vec![
                        Value::from(name.clone()),
                        Value::Array(values.clone()),
                    ])
                })
                .collect(),
        ),
    );
    json.insert("summary".into(), Value::Object(summary_json));
    json.insert(
        "description".into(),
        Value::from(format_text(def.description, ifname)),
    );
    json.insert("title".into(), Value::from(title.clone()));
    json.insert("type".into(), Value::from(def.kind));
    json.insert("unit".into(), Value::from(def.unit));
    json.insert(
        "summary_labels".into(),
        def.summary_labels
            .map_or(Value::Null, |l| Value::from(l.to_vec())),
    );
    json.insert(
        "colors".into(),
        def.colors().map_or(Value::Null, Value::from),
    );
    json.insert(
        "colorscale".into(),
        def.colorscale.map_or(Value::Null, |c| {
            serde_json::from_str(c).expect("catalog JSON is checked by its tests")
        }),
    );
    if let Some(extras) = def.extras {
        let Value::Object(extras) =
            serde_json::from_str(extras).expect("catalog JSON is checked by its tests")
        else {
            unreachable!("catalog extras are objects")
        };
        json.extend(extras);
    }
    Some(RenderedChart {
        order: def.order,
        title,
        kind: def.kind,
        traces,
        json: Value::Object(json),
        x: rows.iter().map(|r| x_label(r.time_us, tz)).collect(),
    })
}

/// Sorts charts as the reference does: by the string `"<order> <title>"`.
pub fn sort(charts: &mut [RenderedChart]) {
    charts.sort_by_cached_key(|c| format!("{} {}", c.order, c.title));
}

/// Python's `str()` of a JSON number as `csv.writer` writes it.
fn py_str(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if f == 0.0 || (1e-4..1e16).contains(&abs) {
        let s = f.to_string();
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        // Python's repr switches to exponent notation: 1e-05, 1.5e+16.
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').expect("exponent format");
        let exp: i32 = exp.parse().expect("an exponent");
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

fn csv_field(v: &Value) -> String {
    let text = match v {
        Value::Null => String::new(),
        Value::Number(n) => py_str(n),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The CSV export (`?csv=1`): `time`, then `"<trace> - <title>"` per trace of every
/// non-histogram chart; one row per x value; then each histogram's summary, largest first.
/// Python's `csv.writer`: `\r\n` line ends, minimal quoting, `None` as an empty field.
pub fn csv(charts: &[RenderedChart], x: &[String]) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["time".to_owned()];
    let mut columns: Vec<&Vec<Value>> = Vec::new();
    for chart in charts.iter().filter(|c| c.kind != "histogram") {
        for (name, values) in &chart.traces {
            header.push(csv_field(&Value::from(format!("{name} - {}", chart.title))));
            columns.push(values);
        }
    }
    rows.push(header);
    for (i, time) in x.iter().enumerate() {
        let mut row = vec![csv_field(&Value::from(time.clone()))];
        row.extend(
            columns
                .iter()
                .map(|c| c.get(i).map_or_else(String::new, csv_field)),
        );
        rows.push(row);
    }
    for chart in charts.iter().filter(|c| c.kind == "histogram") {
        rows.push(Vec::new());
        rows.push(vec![csv_field(&Value::from(chart.title.clone()))]);
        let mut summary: Vec<(String, Value)> = chart.json["summary"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            if v.is_null() {
                                Value::from(0)
                            } else {
                                v.clone()
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        summary.sort_by(|a, b| {
            let f = |v: &Value| v.as_f64().unwrap_or(0.0);
            f(&b.1).total_cmp(&f(&a.1))
        });
        for (k, v) in summary {
            rows.push(vec![csv_field(&Value::from(k)), csv_field(&v)]);
        }
    }
    let mut out = String::new();
    for row in rows {
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::catalog::DEVICE_CHARTS;

    fn def(key: &str) -> &'static ChartDef {
        DEVICE_CHARTS.iter().find(|d| d.key == key).unwrap()
    }

    fn row(time_us: i64, values: Vec<Option<FieldValue>>) -> Row {
        Row { time_us, values }
    }

    #[test]
    fn rounding_follows_the_reference() {
        let r = |f: f64| round_value(Value::from(f));
        assert_eq!(r(9.729_419_481_797_308), Value::from(9.73));
        assert_eq!(r(0.004_56), Value::from(0.0046));
        assert_eq!(r(-51.456), Value::from(-51.456));
        assert_eq!(r(-0.123_456), Value::from(-0.1235));
        // Python: round(2.675, 2) == 2.67 (the binary value is below the half).
        assert_eq!(r(2.675), Value::from(2.67));
        assert_eq!(round_value(Value::from(7)), Value::from(7));
        assert_eq!(round_value(Value::Null), Value::Null);
    }

    #[test]
    fn traffic_is_in_gigabytes_sorted_by_trace_name_with_the_summary_in_select_order() {
        let tz = TimeZone::UTC;
        let rows = [
            row(0, vec![None, None]),
            row(
                600_000_000,
                vec![
                    Some(FieldValue::Int(600_000_000)),
                    Some(FieldValue::Int(1_200_000_000)),
                ],
            ),
        ];
        let summary = row(
            0,
            vec![
                Some(FieldValue::Int(600_000_000)),
                Some(FieldValue::Int(1_200_000_000)),
            ],
        );
        let c = render(def("traffic"), Some("wlan0"), &rows, Some(&summary), &tz).unwrap();
        assert_eq!(
            c.json["traces"],
            serde_json::json!([["download", [null, 1.2]], ["upload", [null, 0.6]]])
        );
        assert_eq!(
            serde_json::to_string(&c.json["summary"]).unwrap(),
            r#"{"upload":0.6,"download":1.2}"#
        );
        assert_eq!(c.json["title"], "Traffic: wlan0");
        assert_eq!(
            c.json["description"],
            "Network traffic (total, download and upload) of the interface \"wlan0\"."
        );
        assert_eq!(c.json["calculate_total"], true);
        assert_eq!(
            c.json["trace_order"],
            serde_json::json!(["total", "download", "upload"])
        );
        assert!(c.json.get("fill").is_none());
        assert_eq!(c.x, ["1970-01-01 00:00", "1970-01-01 00:10"]);
        let keys: Vec<&String> = c.json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys[..9],
            [
                "traces",
                "summary",
                "description",
                "title",
                "type",
                "unit",
                "summary_labels",
                "colors",
                "colorscale"
            ]
        );
    }

    #[test]
    fn summary_zero_stays_unrounded_and_missing_values_are_null() {
        let tz = TimeZone::UTC;
        let rows = [row(0, vec![Some(FieldValue::Float(0.0))])];
        let c = render(def("cpu"), None, &rows, Some(&row(0, vec![None])), &tz).unwrap();
        assert_eq!(c.json["summary"], serde_json::json!({"CPU_load": null}));
        assert_eq!(c.json["traces"], serde_json::json!([["CPU_load", [0.0]]]));
        assert!(render(def("cpu"), None, &[], None, &tz).is_none());
    }

    #[test]
    fn uptime_is_a_percentage_and_signal_is_rounded_to_integers() {
        let tz = TimeZone::UTC;
        let c = render(
            def("uptime"),
            None,
            &[row(0, vec![Some(FieldValue::Float(0.75))])],
            None,
            &tz,
        )
        .unwrap();
        assert_eq!(c.json["traces"], serde_json::json!([["uptime", [75.0]]]));
        let c = render(
            def("signal_strength"),
            Some("wwan0"),
            &[row(
                0,
                vec![
                    Some(FieldValue::Float(-51.5)),
                    Some(FieldValue::Float(-75.4)),
                ],
            )],
            None,
            &tz,
        )
        .unwrap();
        assert_eq!(
            c.json["traces"],
            serde_json::json!([["signal_power", [-75.0]], ["signal_strength", [-52.0]]])
        );
        assert_eq!(c.json["yaxis"], serde_json::json!({"zeroline": false}));
    }

    #[test]
    fn x_labels_use_the_zone() {
        let tz = TimeZone::get("Europe/Rome").unwrap();
        assert_eq!(x_label(0, &tz), "1970-01-01 01:00");
    }

    #[test]
    fn csv_layout() {
        let tz = TimeZone::UTC;
        let rows = [
            row(0, vec![Some(FieldValue::Float(12.5))]),
            row(3_600_000_000, vec![None]),
        ];
        let mut charts = vec![
            render(def("memory"), None, &rows, None, &tz).unwrap(),
            render(def("cpu"), None, &rows, None, &tz).unwrap(),
        ];
        sort(&mut charts);
        let x = charts[0].x.clone();
        assert_eq!(
            csv(&charts, &x),
            "time,memory_usage - Memory Usage,CPU_load - CPU Load\r\n\
             1970-01-01 00:00,12.5,12.5\r\n\
             1970-01-01 01:00,,\r\n"
        );
    }

    #[test]
    fn python_number_spelling() {
        let n = |f: f64| py_str(&Number::from_f64(f).unwrap());
        assert_eq!(n(2.0), "2.0");
        assert_eq!(n(0.1), "0.1");
        assert_eq!(n(1e-5), "1e-05");
        assert_eq!(n(1.5e16), "1.5e+16");
        assert_eq!(n(-0.0001), "-0.0001");
        assert_eq!(csv_field(&Value::from("a,b")), "\"a,b\"");
    }
}
