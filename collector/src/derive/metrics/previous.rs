//! The byte counters of the previous snapshot, against which traffic deltas are computed.

use edgemon_shared::netjson::DeviceMonitoring;
use serde_json::Value;
use std::collections::HashMap;

/// `rx_bytes`/`tx_bytes` per raw interface name from the snapshot stored before the
/// current sample (the reference's `interfaces_dict[name]['statistics'][stat]`).
/// A later interface with the same name replaces an earlier one, as a Python dict does.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PreviousCounters {
    by_name: HashMap<String, Counters>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Counters {
    rx_bytes: Option<u64>,
    tx_bytes: Option<u64>,
}

/// Which byte counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Rx,
    Tx,
}

impl PreviousCounters {
    /// No previous snapshot: every counter counts from zero.
    pub fn none() -> Self {
        Self::default()
    }

    /// From a stored snapshot (the transformed JSON kept as `device_data`). Counters that
    /// are missing or not non-negative integers count as 0.
    pub fn from_snapshot(snapshot: &Value) -> Self {
        let mut by_name = HashMap::new();
        for iface in snapshot
            .get("interfaces")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = iface.get("name").and_then(Value::as_str) else {
                continue;
            };
            let stat = |key: &str| {
                iface
                    .pointer(&format!("/statistics/{key}"))
                    .and_then(as_u64)
            };
            by_name.insert(
                name.to_owned(),
                Counters {
                    rx_bytes: stat("rx_bytes"),
                    tx_bytes: stat("tx_bytes"),
                },
            );
        }
        PreviousCounters { by_name }
    }

    /// From a typed previous document.
    pub fn from_document(doc: &DeviceMonitoring) -> Self {
        let by_name = doc
            .interfaces
            .iter()
            .flatten()
            .map(|iface| {
                let stats = iface.statistics.as_ref();
                let counters = Counters {
                    rx_bytes: stats.and_then(|s| s.rx_bytes),
                    tx_bytes: stats.and_then(|s| s.tx_bytes),
                };
                (iface.name.clone(), counters)
            })
            .collect();
        PreviousCounters { by_name }
    }

    /// Each interface's name and byte counters, by name.
    pub fn interfaces(&self) -> impl Iterator<Item = (&str, Option<u64>, Option<u64>)> {
        let mut names: Vec<&String> = self.by_name.keys().collect();
        names.sort();
        names.into_iter().map(|n| {
            let c = self.by_name[n];
            (n.as_str(), c.rx_bytes, c.tx_bytes)
        })
    }

    /// The previous value of a counter, 0 when unknown.
    pub fn get(&self, ifname: &str, direction: Direction) -> u64 {
        self.by_name
            .get(ifname)
            .and_then(|c| match direction {
                Direction::Rx => c.rx_bytes,
                Direction::Tx => c.tx_bytes,
            })
            .unwrap_or(0)
    }
}

/// A counter as stored: an integer, or an integral float (lua-cjson's `1.2e+14`).
fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        let f = v.as_f64()?;
        // 2^64 is exact as a float; the range check keeps the cast lossless.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        ((0.0..18_446_744_073_709_551_616.0).contains(&f) && f.fract() == 0.0).then_some(f as u64)
    })
}

/// The reference's `_calculate_increment`: the growth since the previous counter, or the
/// whole counter when it went down (reboot, driver reload: the counter restarted).
pub fn increment(value: u64, previous: u64) -> u64 {
    if value >= previous {
        value - previous
    } else {
        value
    }
}
