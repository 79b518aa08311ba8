//! One time-series point.

use std::collections::BTreeMap;

/// The retention policy a point is written to (the reference's two InfluxDB policies).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Retention {
    /// `autogen`: long-term metrics (reference default 26280h, three years).
    Default,
    /// `short`: the latest device snapshot, `data_collected`, `config_applied` (24 h).
    Short,
}

impl Retention {
    /// The InfluxDB retention policy name.
    pub fn influx_name(self) -> &'static str {
        match self {
            Retention::Default => "autogen",
            Retention::Short => "short",
        }
    }
}

/// A field value, typed as InfluxDB 1.x types them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FieldValue {
    Float(f64),
    Int(i64),
    Str(String),
    Bool(bool),
}

impl FieldValue {
    /// The value as a float, for numeric aggregations (`None` for strings).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FieldValue::Float(v) => Some(*v),
            #[allow(clippy::cast_precision_loss)]
            FieldValue::Int(v) => Some(*v as f64),
            FieldValue::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            FieldValue::Str(_) => None,
        }
    }
}

/// One point: measurement, tags, fields and a timestamp in microseconds since the epoch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    pub retention: Retention,
    pub measurement: String,
    pub tags: BTreeMap<String, String>,
    pub fields: BTreeMap<String, FieldValue>,
    pub time_us: i64,
}

impl Point {
    /// A point in the default retention policy with no tags or fields yet.
    pub fn new(measurement: impl Into<String>, time_us: i64) -> Self {
        Point {
            retention: Retention::Default,
            measurement: measurement.into(),
            tags: BTreeMap::new(),
            fields: BTreeMap::new(),
            time_us,
        }
    }

    /// Builder: add a tag.
    #[must_use]
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Builder: add a field.
    #[must_use]
    pub fn field(mut self, key: impl Into<String>, value: FieldValue) -> Self {
        self.fields.insert(key.into(), value);
        self
    }

    /// Builder: set the retention policy.
    #[must_use]
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }
}
