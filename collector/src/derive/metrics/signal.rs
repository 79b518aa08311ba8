//! Cellular metrics from `interfaces[].mobile.signal`: strength, quality and the access
//! technology, all in the `signal` measurement.

use super::{DeviceInfo, Metric, MetricKind, ifname_tag, kind};
use crate::tsdb::FieldValue;
use edgemon_shared::netjson::{ACCESS_TECHNOLOGIES, Signal, SignalValues};

/// The section the reference reads: a lone section if it is a known technology, else the
/// most evolved technology present (5g > lte > umts > evdo > cdma1x > gsm); both rules
/// amount to "the most evolved known section", unknown sections never count. Returns the
/// index in [`ACCESS_TECHNOLOGIES`] (the `access_tech` value) and the readings.
pub fn choose_section(signal: &Signal) -> Option<(usize, &SignalValues)> {
    // `sections()` goes from the least to the most evolved.
    let (name, values) = signal.sections().last()?;
    let index = ACCESS_TECHNOLOGIES.iter().position(|t| *t == name)?;
    Some((index, values))
}

/// The three signal metrics an interface's readings give (fewer when values are missing).
pub fn metrics(device: &DeviceInfo, ifname: &str, signal: &Signal, time_us: i64) -> Vec<Metric> {
    let Some((tech, values)) = choose_section(signal) else {
        return Vec::new();
    };
    let metric = |kind: MetricKind, fields: &[(&str, Option<f64>)]| {
        let mut metric = Metric::new(kind, Some(ifname), ifname_tag(ifname), super::Tags::new());
        let mut point = metric.point(device, time_us);
        for (name, value) in fields {
            if let Some(v) = value {
                point = point.field(*name, FieldValue::Float(*v));
            }
        }
        metric.points.push(point);
        metric
    };
    let mut out = Vec::new();
    let power = values.rsrp.or(values.rscp);
    if values.rssi.is_some() || power.is_some() {
        out.push(metric(
            kind::SIGNAL_STRENGTH,
            &[("signal_strength", values.rssi), ("signal_power", power)],
        ));
    }
    // Later assignments win in the reference: sinr over ecio over snr.
    let snr = values.sinr.or(values.ecio).or(values.snr);
    if values.rsrq.is_some() || snr.is_some() {
        out.push(metric(
            kind::SIGNAL_QUALITY,
            &[("signal_quality", values.rsrq), ("snr", snr)],
        ));
    }
    let mut access = metric(kind::ACCESS_TECH, &[]);
    let point = access.points.pop().expect("one point").field(
        "access_tech",
        FieldValue::Int(i64::try_from(tech).expect("index below 6")),
    );
    access.points.push(point);
    out.push(access);
    out
}
