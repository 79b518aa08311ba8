//! Runs every chart's queries against a store and renders the charts that have data: the
//! one async step between the pure parts and the HTTP handler (and the chart benchmark).

use super::catalog::{ChartDef, DEVICE_CHARTS, GENERAL_CHARTS};
use super::range::ChartRange;
use super::render::{self, RenderedChart};
use crate::tsdb::{Agg, FieldValue, Row, StoreError, TagFilter, TimeSeries};
use uuid::Uuid;

/// A rendered chart and the name of the reference metric it belongs to.
#[derive(Debug, Clone)]
pub struct Found {
    pub chart: RenderedChart,
    pub metric: String,
}

/// The device's charts over `range`, in catalogue order (the x axis is read from the first
/// one; callers sort them with [`render::sort`]). One scan per measurement: the charts of a
/// measurement share a query and its summary (`super::plans`).
pub async fn device_charts(
    store: &dyn TimeSeries,
    device: Uuid,
    range: &ChartRange,
) -> Result<Vec<Found>, StoreError> {
    let mut found: Vec<(usize, Found)> = Vec::new();
    for plan in super::plans(DEVICE_CHARTS, device, range) {
        let (data, summary) = store.query_with_summary(plan.query.clone()).await?;
        for series in &data {
            let ifname = (!plan.query.group_by_tags.is_empty())
                .then(|| series.tags.get("ifname").cloned().unwrap_or_default());
            let sum = summary
                .iter()
                .find(|s| s.tags == series.tags)
                .and_then(|s| s.rows.first());
            for (def, slots) in &plan.charts {
                let pick = |row: &Row| Row {
                    time_us: row.time_us,
                    values: slots.iter().map(|i| row.values[*i].clone()).collect(),
                };
                let sum = sum.map(pick);
                // A chart whose own fields have no value in the range has no series (as
                // its own query would have returned none).
                if !sum.as_ref().is_some_and(|r| has_data(def, r)) {
                    continue;
                }
                let rows: Vec<Row> = series.rows.iter().map(pick).collect();
                if let Some(chart) =
                    render::render(def, ifname.as_deref(), &rows, sum.as_ref(), &range.tz)
                {
                    let metric = def
                        .metric_name
                        .replace("{ifname}", ifname.as_deref().unwrap_or(""));
                    let order = DEVICE_CHARTS
                        .iter()
                        .position(|d| d.key == def.key)
                        .unwrap_or(usize::MAX);
                    found.push((order, Found { chart, metric }));
                }
            }
        }
    }
    // Catalogue order, series (interface) order within a chart: what one query per chart
    // would have produced.
    found.sort_by_key(|(order, _)| *order);
    Ok(found.into_iter().map(|(_, f)| f).collect())
}

/// Whether a chart's summary row shows any point in the range (counts of nothing are 0).
fn has_data(def: &ChartDef, summary: &Row) -> bool {
    def.select
        .iter()
        .zip(&summary.values)
        .any(|(s, v)| match v {
            None => false,
            Some(FieldValue::Int(0)) => !matches!(s.agg, Agg::Count | Agg::CountDistinct),
            Some(_) => true,
        })
}

/// Adds two aggregated values of the same bucket (partial sums or counts of several
/// organizations or interfaces): integers stay integers, a missing value adds nothing.
pub fn add(a: Option<FieldValue>, b: Option<&FieldValue>) -> Option<FieldValue> {
    match (a, b) {
        (a, None) => a,
        (None, Some(b)) => Some(b.clone()),
        (Some(FieldValue::Int(x)), Some(FieldValue::Int(y))) => {
            Some(FieldValue::Int(x.saturating_add(*y)))
        }
        (Some(x), Some(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => Some(FieldValue::Float(x + y)),
            (Some(_), None) => Some(x),
            (None, _) => Some(y.clone()),
        },
    }
}

/// Element-wise sum of rows with the same bucket layout.
pub fn sum_rows(parts: &[Vec<Row>]) -> Vec<Row> {
    let Some(first) = parts.first() else {
        return Vec::new();
    };
    first
        .iter()
        .enumerate()
        .map(|(i, row)| Row {
            time_us: row.time_us,
            values: (0..row.values.len())
                .map(|v| {
                    parts.iter().fold(None, |acc, rows| {
                        add(
                            acc,
                            rows.get(i)
                                .and_then(|r| r.values.get(v))
                                .and_then(Option::as_ref),
                        )
                    })
                })
                .collect(),
        })
        .collect()
}

/// The dashboard's general charts over `orgs` (traffic of the interfaces `ifnames`, tag
/// values as stored): one query per organization (and interface), summed. Distinct WiFi
/// clients are counted per organization and added, so a client seen in two of the selected
/// organizations counts twice.
pub async fn general_charts(
    store: &dyn TimeSeries,
    orgs: &[Uuid],
    ifnames: &[String],
    range: &ChartRange,
) -> Result<Vec<Found>, StoreError> {
    let mut out = Vec::new();
    for def in GENERAL_CHARTS {
        let mut filters: Vec<Vec<TagFilter>> = Vec::new();
        for org in orgs {
            let by_org = TagFilter {
                key: "organization_id".into(),
                value: org.to_string(),
            };
            if def.measurement == "traffic" {
                for ifname in ifnames {
                    filters.push(vec![
                        by_org.clone(),
                        TagFilter {
                            key: "ifname".into(),
                            value: ifname.clone(),
                        },
                    ]);
                }
            } else {
                filters.push(vec![by_org]);
            }
        }
        let (mut data_parts, mut summary_parts) = (Vec::new(), Vec::new());
        for f in filters {
            let (mut query, _) = super::queries(def, Uuid::nil(), range);
            query.filters = f;
            let (data, summary) = store.query_with_summary(query).await?;
            data_parts.extend(data.into_iter().map(|s| s.rows));
            summary_parts.extend(summary.into_iter().map(|s| s.rows));
        }
        if data_parts.is_empty() {
            continue;
        }
        let rows = sum_rows(&data_parts);
        let summary = sum_rows(&summary_parts);
        if let Some(chart) = render::render(def, None, &rows, summary.first(), &range.tz) {
            out.push(Found {
                chart,
                metric: def.metric_name.to_owned(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: i64, v: Vec<Option<FieldValue>>) -> Row {
        Row {
            time_us: t,
            values: v,
        }
    }

    #[test]
    fn partial_results_add_up_bucket_by_bucket() {
        use FieldValue::{Float, Int};
        let a = vec![
            row(0, vec![Some(Int(2)), None]),
            row(10, vec![None, Some(Float(0.5))]),
        ];
        let b = vec![
            row(0, vec![Some(Int(3)), Some(Float(1.0))]),
            row(10, vec![None, Some(Int(1))]),
        ];
        assert_eq!(
            sum_rows(&[a, b]),
            [
                row(0, vec![Some(Int(5)), Some(Float(1.0))]),
                row(10, vec![None, Some(Float(1.5))]),
            ]
        );
        assert!(sum_rows(&[]).is_empty());
        assert_eq!(add(None, None), None);
    }
}
