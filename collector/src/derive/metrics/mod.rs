//! The metric points one sample produces, exactly as the reference writes them
//! (openwisp-server.md §a "Metrics written per POST"; docs/derivation.md).
//!
//! Each [`Metric`] carries what the alert and chart layers need to find it again (its
//! name, configuration and measurement, as the reference's `Metric` row has them) and
//! the points to store. Points of one metric share its tags.

mod interface;
mod previous;
mod resources;
mod signal;

pub use previous::PreviousCounters;

use crate::tsdb::Point;
use edgemon_shared::netjson::DeviceMonitoring;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Tag names and values.
pub type Tags = BTreeMap<String, String>;

/// Who sent the sample: what the tags need besides the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device's UUID: the `object_id` tag (dashed, lowercase, as Python's `str(uuid)`).
    pub id: Uuid,
    /// The `organization_id` tag of traffic and WiFi-client points (dashboard filters).
    pub organization_id: Uuid,
    /// The `location_id` tag, when the device has a location.
    pub location_id: Option<Uuid>,
    /// The `floorplan_id` tag, when the device's location has a floor plan.
    pub floorplan_id: Option<Uuid>,
}

impl DeviceInfo {
    /// `organization_id`, `location_id`, `floorplan_id`: the reference's `extra_tags`.
    fn extra_tags(&self) -> Tags {
        let mut tags = Tags::new();
        tags.insert("organization_id".into(), self.organization_id.to_string());
        if let Some(location) = self.location_id {
            tags.insert("location_id".into(), location.to_string());
        }
        if let Some(floorplan) = self.floorplan_id {
            tags.insert("floorplan_id".into(), floorplan.to_string());
        }
        tags
    }
}

/// One kind of metric: the reference's `DEFAULT_METRICS` entry and how it is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricKind {
    /// The configuration key (`traffic`, `clients`, `cpu`, …): alert defaults and charts.
    pub configuration: &'static str,
    /// The measurement the points go to (the reference's metric `key`).
    pub key: &'static str,
    /// The metric's main field (alerts compare it with the threshold).
    pub field_name: &'static str,
    /// The metric name, or its suffix after the interface name for per-interface kinds.
    pub label: &'static str,
    /// Whether the name is `"<raw interface name> <label>"`.
    pub per_interface: bool,
}

/// The metric kinds a sample can produce.
pub mod kind {
    use super::MetricKind;

    const fn k(
        configuration: &'static str,
        key: &'static str,
        field_name: &'static str,
        label: &'static str,
        per_interface: bool,
    ) -> MetricKind {
        MetricKind {
            configuration,
            key,
            field_name,
            label,
            per_interface,
        }
    }

    pub const TRAFFIC: MetricKind = k("traffic", "traffic", "rx_bytes", "traffic", true);
    pub const CLIENTS: MetricKind = k("clients", "wifi_clients", "clients", "wifi clients", true);
    pub const CPU: MetricKind = k("cpu", "cpu", "cpu_usage", "CPU usage", false);
    pub const DISK: MetricKind = k("disk", "disk", "used_disk", "Disk usage", false);
    pub const MEMORY: MetricKind = k("memory", "memory", "percent_used", "Memory usage", false);
    pub const SIGNAL_STRENGTH: MetricKind = k(
        "signal_strength",
        "signal",
        "signal_strength",
        "signal strength",
        false,
    );
    pub const SIGNAL_QUALITY: MetricKind = k(
        "signal_quality",
        "signal",
        "signal_quality",
        "signal quality",
        false,
    );
    pub const ACCESS_TECH: MetricKind = k(
        "access_tech",
        "signal",
        "access_tech",
        "access technology",
        false,
    );

    /// Every kind, in the order [`derive`](super::derive) emits them for one interface
    /// and then for the device.
    pub const ALL: [MetricKind; 8] = [
        TRAFFIC,
        SIGNAL_STRENGTH,
        SIGNAL_QUALITY,
        ACCESS_TECH,
        CLIENTS,
        CPU,
        DISK,
        MEMORY,
    ];
}

/// One metric of one device and the points this sample adds to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub kind: MetricKind,
    /// The reference's metric name: `"wlan0 traffic"` (raw interface name), `"CPU usage"`.
    pub name: String,
    /// Tags that identify the metric among the device's metrics of the same kind
    /// (`ifname`, normalised); empty for device-wide metrics.
    pub main_tags: Tags,
    /// Tags that only filter (`organization_id`, `location_id`, `floorplan_id`).
    pub extra_tags: Tags,
    /// The points to write; may be empty (an interface with an empty client list still
    /// has its metric, as the reference creates it).
    pub points: Vec<Point>,
}

impl Metric {
    fn new(kind: MetricKind, ifname: Option<&str>, main_tags: Tags, extra_tags: Tags) -> Self {
        let name = match ifname {
            Some(ifname) if kind.per_interface => format!("{ifname} {}", kind.label),
            _ => kind.label.to_owned(),
        };
        Metric {
            kind,
            name,
            main_tags,
            extra_tags,
            points: Vec::new(),
        }
    }

    /// A point of this metric at `time_us` with every tag the reference writes:
    /// `content_type`, `object_id`, the main and the extra tags.
    fn point(&self, device: &DeviceInfo, time_us: i64) -> Point {
        let mut point = Point::new(self.kind.key, time_us)
            .tag("content_type", "config.device")
            .tag("object_id", device.id.to_string());
        for (k, v) in self.main_tags.iter().chain(&self.extra_tags) {
            point.tags.insert(k.clone(), v.clone());
        }
        point
    }
}

/// The `ifname` main tag: the normalised interface name.
fn ifname_tag(ifname: &str) -> Tags {
    let mut tags = Tags::new();
    tags.insert(
        "ifname".into(),
        super::slug::clean_timeseries_data_key(ifname),
    );
    tags
}

/// Every metric a validated sample produces, at sample time `time_us` (µs since the
/// epoch). `previous` holds the counters of the snapshot stored before this one.
pub fn derive(
    device: &DeviceInfo,
    previous: &PreviousCounters,
    doc: &DeviceMonitoring,
    time_us: i64,
) -> Vec<Metric> {
    let mut out = Vec::new();
    for iface in doc.interfaces.iter().flatten() {
        out.extend(interface::traffic(device, previous, iface, time_us));
        if let Some(signal) = iface.mobile.as_ref().and_then(|m| m.signal.as_ref()) {
            out.extend(signal::metrics(device, &iface.name, signal, time_us));
        }
        out.extend(interface::clients(device, iface, time_us));
    }
    if let Some(res) = &doc.resources {
        out.extend(resources::cpu(device, res, time_us));
        out.extend(resources::disk(device, res, time_us));
        out.extend(resources::memory(device, res, time_us));
    }
    out
}

/// The `traffic` points [`derive`] writes for a sample whose byte counters are `current`,
/// rebuilt from the counters alone: the native path recomputes a sample's deltas when an
/// older sample reaches the collector after it (see `docs/native-ingest.md`).
pub fn traffic_from_counters(
    device: &DeviceInfo,
    previous: &PreviousCounters,
    current: &PreviousCounters,
    time_us: i64,
) -> Vec<crate::tsdb::Point> {
    current
        .interfaces()
        .filter_map(|(name, rx_bytes, tx_bytes)| {
            let iface = edgemon_shared::netjson::Interface {
                name: name.to_owned(),
                statistics: Some(edgemon_shared::netjson::Statistics {
                    rx_bytes,
                    tx_bytes,
                    ..Default::default()
                }),
                ..Default::default()
            };
            interface::traffic(device, previous, &iface, time_us)
        })
        .flat_map(|m| m.points)
        .collect()
}

#[cfg(test)]
mod tests;
