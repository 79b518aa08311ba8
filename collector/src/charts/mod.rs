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

/// Charts that read the same measurement, answered by one query: the union of their
/// selected `(field, aggregation)` pairs, and where each chart's selects sit in it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub query: Query,
    pub charts: Vec<(&'static ChartDef, Vec<usize>)>,
}

/// One [`Plan`] per measurement (and per-interface grouping) of `defs`, in first-use order.
pub fn plans(defs: &'static [ChartDef], device: Uuid, range: &ChartRange) -> Vec<Plan> {
    let mut out: Vec<Plan> = Vec::new();
    for def in defs {
        let at = out.iter().position(|p| {
            p.query.measurement == def.measurement
                && p.query.group_by_tags.is_empty() != def.per_ifname
        });
        let plan = match at {
            Some(i) => &mut out[i],
            None => {
                let (mut query, _) = queries(def, device, range);
                query.fields.clear();
                out.push(Plan {
                    query,
                    charts: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        let slots = def
            .select
            .iter()
            .map(|s| {
                let want = (s.field.to_owned(), s.agg);
                plan.query
                    .fields
                    .iter()
                    .position(|f| *f == want)
                    .unwrap_or_else(|| {
                        plan.query.fields.push(want);
                        plan.query.fields.len() - 1
                    })
            })
            .collect();
        plan.charts.push((def, slots));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsdb::Agg;

    #[test]
    fn charts_of_one_measurement_share_a_query() {
        let range = range::resolve(
            range::RangeParams::default(),
            1_800_000_000_000_000,
            &jiff::tz::TimeZone::UTC,
        )
        .unwrap();
        let plans = plans(catalog::DEVICE_CHARTS, Uuid::nil(), &range);
        let measurements: Vec<&str> = plans.iter().map(|p| p.query.measurement.as_str()).collect();
        assert_eq!(
            measurements,
            [
                "ping",
                "traffic",
                "wifi_clients",
                "memory",
                "cpu",
                "disk",
                "signal",
                "iperf3"
            ]
        );
        let signal = &plans[6];
        assert_eq!(signal.query.group_by_tags, ["ifname"]);
        assert_eq!(signal.charts.len(), 3);
        assert_eq!(
            signal.query.fields,
            [
                ("signal_strength".to_owned(), Agg::Mean),
                ("signal_power".to_owned(), Agg::Mean),
                ("signal_quality".to_owned(), Agg::Mean),
                ("snr".to_owned(), Agg::Mean),
                ("access_tech".to_owned(), Agg::Mode),
            ]
        );
        // Each chart's selects point at its own fields, in its order.
        for (def, slots) in &signal.charts {
            for (s, slot) in def.select.iter().zip(slots) {
                assert_eq!(signal.query.fields[*slot], (s.field.to_owned(), s.agg));
            }
        }
        // iperf3's `transfer` and `bandwidth` select different fields under the same aliases.
        let iperf = &plans[7];
        assert_eq!(iperf.charts.len(), 6);
        assert_eq!(iperf.query.fields.len(), 9);
    }
}
