//! What the collector writes for one accepted sample, as the reference writes it: pure
//! functions, no I/O and no clock (times are arguments).
//!
//! ```text
//! validated document ──► transform ──► snapshot (device_data, 24 h) ──► sessions
//!         │                 (floats, htmode, Mbit/s, vendors)
//!         └──► metrics (+ previous snapshot's counters, sample time) ──► points
//! ```
//!
//! - [`transform`]: the reference's `_transform_data` on the JSON value.
//! - [`oui`]: MAC vendor names from the IEEE MA-L registry.
//! - [`metrics`]: traffic, wifi_clients, cpu, memory, disk, signal points with the
//!   reference's names, tags and field types.
//! - [`sessions`]: the WiFi session state machine.
//! - [`slug`], [`pyfloat`]: the Python/Django behaviours the above must reproduce.
//!
//! docs/derivation.md lists what is written for what and every deliberate difference.

pub mod metrics;
pub mod oui;
pub mod pyfloat;
pub mod sessions;
pub mod slug;
pub mod transform;

pub use metrics::{DeviceInfo, Metric, MetricKind, PreviousCounters, derive as derive_metrics};

use crate::tsdb::{FieldValue, Point, Retention};
use edgemon_shared::validate::Validated;
use serde_json::Value;
use uuid::Uuid;

/// The measurement that holds the latest snapshot of each device.
pub const DEVICE_DATA: &str = "device_data";

/// The `device_data` point: the transformed snapshot as JSON text in the `data` field,
/// tag `pk` = the device's UUID, in the short (24 h) retention policy, at `now_us` (the
/// reference stamps it with the worker's clock, not the sample time).
pub fn device_data_point(device: Uuid, snapshot: &Value, now_us: i64) -> Point {
    Point::new(DEVICE_DATA, now_us)
        .retention(Retention::Short)
        .tag("pk", device.to_string())
        .field("data", FieldValue::Str(compact_json(snapshot)))
}

/// `snapshot.to_string()`, written straight into a buffer of a document's usual size:
/// `Display` goes through `fmt::Formatter` for every token and grows the string from
/// empty, 4.4 % of the collector's CPU under the OpenWISP load (docs/benchmarks.md).
fn compact_json(snapshot: &Value) -> String {
    let mut out = Vec::with_capacity(4096);
    serde_json::to_writer(&mut out, snapshot).expect("a Value always serialises into a Vec");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Everything one accepted sample produces except the session changes (which need the
/// store's open sessions: see [`sessions::update`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// The transformed document: what `device_data` holds and sessions read.
    pub snapshot: Value,
    /// The metrics and their points at the sample time.
    pub metrics: Vec<Metric>,
}

impl Derived {
    /// Every point to write: the metrics' points, then the `device_data` snapshot.
    pub fn points(&self, device: Uuid, now_us: i64) -> Vec<Point> {
        let mut points: Vec<Point> = self
            .metrics
            .iter()
            .flat_map(|m| m.points.iter().cloned())
            .collect();
        points.push(device_data_point(device, &self.snapshot, now_us));
        points
    }

    /// [`Derived::points`] without copying: for a caller done with the metrics.
    pub fn into_points(self, device: Uuid, now_us: i64) -> Vec<Point> {
        let snapshot = device_data_point(device, &self.snapshot, now_us);
        let mut points: Vec<Point> = self.metrics.into_iter().flat_map(|m| m.points).collect();
        points.push(snapshot);
        points
    }
}

/// Derives a validated sample: `previous` is the snapshot stored before it (if any),
/// `sample_us` the time the device took it (the `time` parameter). The sample's JSON
/// becomes the snapshot, so it is taken by value.
pub fn derive(
    device: &DeviceInfo,
    previous: Option<&Value>,
    sample: Validated,
    sample_us: i64,
    options: transform::Options,
) -> Derived {
    let previous = previous.map_or_else(PreviousCounters::none, PreviousCounters::from_snapshot);
    derive_after(device, &previous, sample, sample_us, options)
}

/// [`derive`] given only the previous snapshot's counters (what a long-running ingest
/// worker keeps per device instead of whole snapshots).
pub fn derive_after(
    device: &DeviceInfo,
    previous: &PreviousCounters,
    sample: Validated,
    sample_us: i64,
    options: transform::Options,
) -> Derived {
    let metrics = metrics::derive(device, previous, &sample.doc, sample_us);
    let mut snapshot = sample.raw;
    transform::transform(&mut snapshot, options);
    Derived { snapshot, metrics }
}

#[cfg(test)]
mod tests {
    use super::compact_json;

    #[test]
    fn the_snapshot_text_is_the_display_text() {
        let v = serde_json::json!({
            "type": "DeviceMonitoring",
            "general": {"hostname": "ap \"1\" é \u{1F600} \n", "uptime": 5},
            "load": [0.5, 1e-7, 12_345_678_901_234.5, -0.0],
            "counters": [u64::MAX, i64::MIN],
            "empty": {}, "none": null, "flags": [true, false]
        });
        assert_eq!(compact_json(&v), v.to_string());
        let big = serde_json::json!({"clients": vec!["aa:bb:cc:dd:ee:ff"; 400]});
        assert_eq!(compact_json(&big), big.to_string());
    }
}
