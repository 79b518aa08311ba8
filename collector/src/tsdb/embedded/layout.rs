//! The redb tables and how keys and values are encoded (see docs/architecture.md,
//! "Embedded time-series store").

use crate::tsdb::{FieldValue, Retention, StoreError};
use redb::{MultimapTableDefinition, TableDefinition};
use std::collections::BTreeMap;

/// Canonical series key (postcard of [`SeriesKey`]) → series id.
pub const SERIES: TableDefinition<&[u8], u64> = TableDefinition::new("series");
/// Series id → canonical series key, to read a series' measurement and tags back.
pub const SERIES_META: TableDefinition<u64, &[u8]> = TableDefinition::new("series_meta");
/// `(series id, time µs)` → postcard of the field map. One row per series and timestamp:
/// rows of a series are contiguous and in time order, so a chart is one range scan.
pub const POINTS: TableDefinition<(u64, i64), &[u8]> = TableDefinition::new("points");
/// `(retention, measurement, tag key, tag value)` → ids of the series carrying that tag.
pub const TAG_INDEX: MultimapTableDefinition<(u8, &str, &str, &str), u64> =
    MultimapTableDefinition::new("tag_index");
/// `(retention, measurement)` → ids of its series (queries without tag filters).
pub const MEASUREMENT_INDEX: MultimapTableDefinition<(u8, &str), u64> =
    MultimapTableDefinition::new("measurement_index");
/// `(retention, measurement, field)` → type code: a field keeps its first type, as an
/// InfluxDB shard does.
pub const FIELD_TYPES: TableDefinition<(u8, &str, &str), u8> = TableDefinition::new("field_types");
/// Series unlinked by `delete_series` whose points are still being removed in the
/// background; survives restarts so no point is orphaned.
pub const GARBAGE: TableDefinition<u64, ()> = TableDefinition::new("garbage");
/// Counters (`next_series_id`).
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

pub const NEXT_SERIES_ID: &str = "next_series_id";

/// What identifies a series: policy, measurement and the full tag set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SeriesKey {
    pub retention: Retention,
    pub measurement: String,
    pub tags: BTreeMap<String, String>,
}

impl SeriesKey {
    /// The canonical bytes (tags are sorted by the map, so equal keys encode equally).
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("a series key always serialises")
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        postcard::from_bytes(bytes).map_err(|e| corrupt("series key", &e))
    }

    /// Whether the series carries every `(key, value)`; an empty value means "tag absent"
    /// (InfluxDB stores no empty tag values).
    pub fn matches(&self, tags: &[(String, String)]) -> bool {
        tags.iter().all(|(k, v)| match self.tags.get(k) {
            Some(have) => have == v,
            None => v.is_empty(),
        })
    }
}

pub fn retention_code(retention: Retention) -> u8 {
    match retention {
        Retention::Default => 0,
        Retention::Short => 1,
    }
}

pub fn type_code(value: &FieldValue) -> u8 {
    match value {
        FieldValue::Float(_) => 0,
        FieldValue::Int(_) => 1,
        FieldValue::Str(_) => 2,
        FieldValue::Bool(_) => 3,
    }
}

pub fn type_name(code: u8) -> &'static str {
    match code {
        0 => "float",
        1 => "integer",
        2 => "string",
        3 => "boolean",
        _ => "unknown",
    }
}

pub fn encode_fields(fields: &BTreeMap<String, FieldValue>) -> Vec<u8> {
    postcard::to_allocvec(fields).expect("a field map always serialises")
}

pub fn decode_fields(bytes: &[u8]) -> Result<BTreeMap<String, FieldValue>, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| corrupt("point fields", &e))
}

fn corrupt(what: &str, e: &postcard::Error) -> StoreError {
    StoreError::Unavailable(format!("embedded store: undecodable {what}: {e}"))
}

/// Any redb failure: the store cannot serve the request now.
pub fn db_err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Unavailable(format!("embedded store: {}", e.into()))
}
