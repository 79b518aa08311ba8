//! Device charts: what `GET /api/v1/monitoring/device/{pk}/` answers, as the reference.
//!
//! ```text
//! request params ─► range::resolve ─► ChartRange ─┐
//! catalog::DEVICE_CHARTS ─► queries(def, device, range) ─► TimeSeries::query (both backends)
//!                                                   └─► render::render ─► sort ─► JSON / csv
//! ```
//! Everything here is pure except `read.rs`, which runs the queries against a store.

pub mod catalog;
pub mod range;
pub mod read;
pub mod render;

use crate::tsdb::{Query, Retention, TagFilter};
use catalog::ChartDef;
use range::ChartRange;
use uuid::Uuid;

/// The two queries of a chart: per bucket, and the summary over the whole range. Both
/// select the device's points (`content_type`, `object_id`) and group by `ifname` for
/// per-interface charts (one chart per interface).
pub fn queries(def: &ChartDef, device: Uuid, range: &ChartRange) -> (Query, Query) {
    let data = Query {
        retention: Retention::Default,
        measurement: def.measurement.to_owned(),
        filters: vec![
            TagFilter {
                key: "content_type".into(),
                value: "config.device".into(),
            },
            TagFilter {
                key: "object_id".into(),
                value: device.to_string(),
            },
        ],
        fields: def
            .select
            .iter()
            .map(|s| (s.field.to_owned(), s.agg))
            .collect(),
        start_us: range.start_us,
        end_us: range.end_us,
        bucket_us: Some(range.bucket_us),
        bucket_offset_us: range.offset_us,
        group_by_tags: if def.per_ifname {
            vec!["ifname".into()]
        } else {
            Vec::new()
        },
    };
    let summary = Query {
        bucket_us: None,
        ..data.clone()
    };
    (data, summary)
}
