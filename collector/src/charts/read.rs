//! Runs every chart's queries against a store and renders the charts that have data: the
//! one async step between the pure parts and the HTTP handler (and the chart benchmark).

use super::catalog::DEVICE_CHARTS;
use super::range::ChartRange;
use super::render::{self, RenderedChart};
use crate::tsdb::{Series, StoreError, TimeSeries};
use uuid::Uuid;

/// A rendered chart and the name of the reference metric it belongs to.
#[derive(Debug, Clone)]
pub struct Found {
    pub chart: RenderedChart,
    pub metric: String,
}

/// The device's charts over `range`, in catalogue order (the x axis is read from the first
/// one; callers sort them with [`render::sort`]).
pub async fn device_charts(
    store: &dyn TimeSeries,
    device: Uuid,
    range: &ChartRange,
) -> Result<Vec<Found>, StoreError> {
    let mut out = Vec::new();
    for def in DEVICE_CHARTS {
        let (data, summary) = super::queries(def, device, range);
        let data = store.query(data).await?;
        if data.is_empty() {
            continue;
        }
        let summary: Vec<Series> = store.query(summary).await?;
        for series in &data {
            let ifname = def
                .per_ifname
                .then(|| series.tags.get("ifname").cloned().unwrap_or_default());
            let sum = summary
                .iter()
                .find(|s| s.tags == series.tags)
                .and_then(|s| s.rows.first());
            if let Some(chart) =
                render::render(def, ifname.as_deref(), &series.rows, sum, &range.tz)
            {
                let metric = def
                    .metric_name
                    .replace("{ifname}", ifname.as_deref().unwrap_or(""));
                out.push(Found { chart, metric });
            }
        }
    }
    Ok(out)
}
