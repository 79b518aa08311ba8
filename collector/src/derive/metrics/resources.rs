//! Device-wide metrics from `resources`: CPU (from the load average), disk, memory.

use super::{DeviceInfo, Metric, Tags, kind};
use crate::derive::pyfloat::true_div;
use crate::tsdb::FieldValue;
use edgemon_shared::netjson::{Memory, Resources};

fn device_metric(kind: super::MetricKind) -> Metric {
    Metric::new(kind, None, Tags::new(), Tags::new())
}

fn int(v: u64) -> FieldValue {
    FieldValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

/// `cpu`: `cpu_usage = 100 * load[0] / cpus` and the three load averages, when the
/// device sends both `load` and `cpus`.
///
/// Where the reference fails the whole sample (no load value, zero CPUs) no CPU point is
/// written; missing 5/15-minute loads are left out (see docs/derivation.md).
pub fn cpu(device: &DeviceInfo, res: &Resources, time_us: i64) -> Option<Metric> {
    let load = res.load.as_ref()?;
    let cpus = res.cpus?;
    let load_1 = *load.first()?;
    if cpus == 0 {
        return None;
    }
    let mut metric = device_metric(kind::CPU);
    #[allow(clippy::cast_precision_loss)]
    let usage = 100.0 * load_1 / cpus as f64;
    let mut point = metric
        .point(device, time_us)
        .field("cpu_usage", FieldValue::Float(usage));
    for (name, value) in ["load_1", "load_5", "load_15"].into_iter().zip(load) {
        point = point.field(name, FieldValue::Float(*value));
    }
    metric.points.push(point);
    Some(metric)
}

/// `disk`: `used_disk = 100 * Σused / Σsize` over every filesystem; 100 when the sizes
/// add up to zero (the reference's `ZeroDivisionError` branch).
pub fn disk(device: &DeviceInfo, res: &Resources, time_us: i64) -> Option<Metric> {
    let disks = res.disk.as_ref()?;
    let used: u128 = disks.iter().map(|d| u128::from(d.used_bytes)).sum();
    let size: u128 = disks.iter().map(|d| u128::from(d.size_bytes)).sum();
    let used_disk = true_div(100 * used, size).unwrap_or(100.0);
    let mut metric = device_metric(kind::DISK);
    let point = metric
        .point(device, time_us)
        .field("used_disk", FieldValue::Float(used_disk));
    metric.points.push(point);
    Some(metric)
}

/// `percent_used` as the reference computes it: from `free + buffered`, or from
/// `available + buffered` when `available` is sent and exceeds `free` (kernels that
/// report it count reclaimable cache as available). `None` when `total` is 0.
pub fn percent_used(mem: &Memory) -> Option<f64> {
    let base = match mem.available {
        Some(available) if available > mem.free => available,
        _ => mem.free,
    };
    let ratio = true_div(
        u128::from(base) + u128::from(mem.buffered),
        u128::from(mem.total),
    )?;
    Some(100.0 * (1.0 - ratio))
}

/// `memory`: `percent_used` plus the raw figures (`cached_memory` and
/// `available_memory` only when sent).
pub fn memory(device: &DeviceInfo, res: &Resources, time_us: i64) -> Option<Metric> {
    let mem = res.memory.as_ref()?;
    let percent = percent_used(mem)?;
    let mut metric = device_metric(kind::MEMORY);
    let mut point = metric
        .point(device, time_us)
        .field("percent_used", FieldValue::Float(percent))
        .field("total_memory", int(mem.total))
        .field("free_memory", int(mem.free))
        .field("buffered_memory", int(mem.buffered))
        .field("shared_memory", int(mem.shared));
    if let Some(cached) = mem.cached {
        point = point.field("cached_memory", int(cached));
    }
    if let Some(available) = mem.available {
        point = point.field("available_memory", int(available));
    }
    metric.points.push(point);
    Some(metric)
}
