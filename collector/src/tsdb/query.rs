//! Aggregation queries: what charts need from either backend.

use super::{FieldValue, Retention};
use std::collections::BTreeMap;

/// An aggregation over the values of one field inside a time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Agg {
    Mean,
    Sum,
    Count,
    /// `COUNT(DISTINCT(field))`: e.g. distinct WiFi client MACs.
    CountDistinct,
    /// `MODE(field)`: the most frequent value. Ties follow InfluxDB 1.x's reducer, which is
    /// not simply "smallest value" (see docs/architecture.md, "Embedded time-series store").
    Mode,
    Max,
    Min,
    /// The newest value in the bucket.
    Last,
}

/// Keep points whose tag `key` equals `value`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagFilter {
    pub key: String,
    pub value: String,
}

/// `SELECT agg(field) AS alias, … FROM measurement WHERE tags AND time in [start, end)
/// GROUP BY time(bucket), tags`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Query {
    pub retention: Retention,
    pub measurement: String,
    pub filters: Vec<TagFilter>,
    /// `(field, aggregation)`; the result rows have one value per entry, in this order.
    pub fields: Vec<(String, Agg)>,
    /// Inclusive start, microseconds since the epoch.
    pub start_us: i64,
    /// Exclusive end, microseconds since the epoch.
    pub end_us: i64,
    /// Bucket width in microseconds; buckets are aligned to multiples of it since the epoch
    /// (InfluxDB's `GROUP BY time()`), shifted by `bucket_offset_us`. `None`: one bucket for the whole range.
    pub bucket_us: Option<i64>,
    /// Shifts the bucket boundaries: buckets start at `offset + k * bucket_us` (InfluxDB's
    /// `tz()` clause aligns day and week buckets to local midnight this way). 0 for UTC.
    #[serde(default)]
    pub bucket_offset_us: i64,
    /// Tags to group by: one [`Series`] per distinct combination.
    pub group_by_tags: Vec<String>,
}

/// One row of a result: the bucket start and one value per queried field (`None` when the
/// bucket has no value for it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub time_us: i64,
    pub values: Vec<Option<FieldValue>>,
}

/// The rows of one tag group, oldest bucket first. As InfluxDB 1.x (`fill(null)`): a series
/// exists only if at least one point matched; within it every bucket from the one holding
/// `start_us` to the one holding `end_us - 1` is present, with `None` values when empty
/// (`Count`/`CountDistinct`: `Int(0)`, as InfluxDB counts zero points).
/// Without `bucket_us` there is one row whose `time_us` is `start_us`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Series {
    pub tags: BTreeMap<String, String>,
    pub rows: Vec<Row>,
}
