//! The redb tables and how keys and values are encoded (see docs/architecture.md,
//! "Embedded time-series store").

use crate::tsdb::{FieldValue, Retention, StoreError};
use redb::{MultimapTableDefinition, TableDefinition};
use std::collections::BTreeMap;

/// Canonical series key (postcard of [`SeriesKey`]) → series id.
pub const SERIES: TableDefinition<&[u8], u64> = TableDefinition::new("series");
/// Series id → canonical series key, to read a series' measurement and tags back.
pub const SERIES_META: TableDefinition<u64, &[u8]> = TableDefinition::new("series_meta");
/// `(group, time µs, series id)` → postcard of the field map, one row per series and
/// timestamp, `group` = [`group_of`] the series id. Device-major: a device's series get
/// ids in one block of [`GROUP_SIZE`] (`ingest.rs`), so the ~31 points of one sample sit
/// side by side on one or two leaves and a stored sample dirties a few pages, not one
/// per series (the `(series, time)` key of before rewrote ~31 pages a sample). A series'
/// rows are those of its group filtered by id, in time order ([`series_rows`]).
pub const POINTS: TableDefinition<(u64, i64, u64), &[u8]> = TableDefinition::new("points_by_group");
/// The series-major table of files written before the device-major layout: `(series id,
/// time µs)` → fields. Moved into [`POINTS`] when such a file is opened (`mod.rs`).
pub const OLD_POINTS: TableDefinition<(u64, i64), &[u8]> = TableDefinition::new("points");

/// Series ids per group: a block of consecutive ids, the series of one device.
pub const GROUP_SIZE: u64 = 32;

/// The group of series `id`.
pub fn group_of(id: u64) -> u64 {
    id / GROUP_SIZE
}

/// The row key of series `id` at `time_us`.
pub fn point_key(id: u64, time_us: i64) -> (u64, i64, u64) {
    (group_of(id), time_us, id)
}

/// A row of a series: its time and its encoded fields.
pub type SeriesRow<'t> = (i64, redb::AccessGuard<'t, &'static [u8]>);

/// The rows of series `id` with times in `times`, in time order (both ends usable): the
/// group's rows in that span, filtered by id.
pub fn series_rows<'t>(
    table: &'t impl redb::ReadableTable<(u64, i64, u64), &'static [u8]>,
    id: u64,
    times: impl std::ops::RangeBounds<i64>,
) -> Result<impl DoubleEndedIterator<Item = Result<SeriesRow<'t>, StoreError>> + 't, StoreError> {
    use std::ops::Bound;
    let g = group_of(id);
    let start = match times.start_bound() {
        Bound::Included(&t) => Bound::Included((g, t, 0)),
        Bound::Excluded(&t) => Bound::Excluded((g, t, u64::MAX)),
        Bound::Unbounded => Bound::Included((g, i64::MIN, 0)),
    };
    let end = match times.end_bound() {
        Bound::Included(&t) => Bound::Included((g, t, u64::MAX)),
        Bound::Excluded(&t) => Bound::Excluded((g, t, 0)),
        Bound::Unbounded => Bound::Included((g, i64::MAX, u64::MAX)),
    };
    // An empty or inverted span reads nothing (redb, like BTreeMap, wants start <= end).
    let inverted = match (&start, &end) {
        (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => a > b,
        _ => false,
    };
    let (start, end) = if inverted {
        (
            Bound::Excluded((g, i64::MIN, 0)),
            Bound::Excluded((g, i64::MIN, 0)),
        )
    } else {
        (start, end)
    };
    let rows = table
        .range::<(u64, i64, u64)>((start, end))
        .map_err(db_err)?;
    Ok(rows.filter_map(move |row| match row {
        Ok((k, v)) => {
            let (_, time_us, series) = k.value();
            (series == id).then_some(Ok((time_us, v)))
        }
        Err(e) => Some(Err(db_err(e))),
    }))
}
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
