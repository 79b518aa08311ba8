//! Per-interface metrics: traffic (counter deltas) and WiFi clients.

use super::previous::{Direction, increment};
use super::{DeviceInfo, Metric, PreviousCounters, ifname_tag, kind};
use crate::tsdb::FieldValue;
use edgemon_shared::netjson::Interface;

/// `traffic`: `rx_bytes`/`tx_bytes` grown since the previous snapshot, when the interface
/// reports at least one of the two (a missing one counts as 0).
pub fn traffic(
    device: &DeviceInfo,
    previous: &PreviousCounters,
    iface: &Interface,
    time_us: i64,
) -> Option<Metric> {
    let stats = iface.statistics.as_ref()?;
    if stats.rx_bytes.is_none() && stats.tx_bytes.is_none() {
        return None;
    }
    let delta = |value: Option<u64>, direction| {
        let grown = increment(value.unwrap_or(0), previous.get(&iface.name, direction));
        // InfluxDB integers are signed 64-bit; a delta past 2^63 cannot be stored as is.
        FieldValue::Int(i64::try_from(grown).unwrap_or(i64::MAX))
    };
    let mut metric = Metric::new(
        kind::TRAFFIC,
        Some(&iface.name),
        ifname_tag(&iface.name),
        device.extra_tags(),
    );
    let point = metric
        .point(device, time_us)
        .field("rx_bytes", delta(stats.rx_bytes, Direction::Rx))
        .field("tx_bytes", delta(stats.tx_bytes, Direction::Tx));
    metric.points.push(point);
    Some(metric)
}

/// `wifi_clients`: one point per associated client, its MAC as the `clients` field;
/// the n-th client is written at `time + n µs` so that the points do not overwrite each
/// other in InfluxDB (same series, same timestamp).
pub fn clients(device: &DeviceInfo, iface: &Interface, time_us: i64) -> Option<Metric> {
    let clients = iface.wireless.as_ref()?.clients.as_ref()?;
    let mut metric = Metric::new(
        kind::CLIENTS,
        Some(&iface.name),
        ifname_tag(&iface.name),
        device.extra_tags(),
    );
    let mut time = time_us;
    for client in clients {
        let point = metric
            .point(device, time)
            .field("clients", FieldValue::Str(client.mac.clone()));
        metric.points.push(point);
        time = time.saturating_add(1);
    }
    Some(metric)
}
