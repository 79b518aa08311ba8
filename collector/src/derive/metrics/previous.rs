//! The byte counters of the previous snapshot, against which traffic deltas are computed.

use edgemon_shared::netjson::DeviceMonitoring;
use serde_json::Value;
use std::collections::BTreeMap;

/// `rx_bytes`/`tx_bytes` per raw interface name from the snapshot stored before the
/// current sample (the reference's `interfaces_dict[name]['statistics'][stat]`).
/// A later interface with the same name replaces an earlier one, as a Python dict does.
///
/// Kept for every device: a vector sorted by name, sized to its entries (a `HashMap`
/// took about twice the memory). Serialised as the map it replaced, so stored ledgers
/// still read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviousCounters {
    by_name: Vec<(Box<str>, Counters)>,
}

impl serde::Serialize for PreviousCounters {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Stored<'a> {
            by_name: BTreeMap<&'a str, Counters>,
        }
        let by_name = self.by_name.iter().map(|(n, c)| (&**n, *c)).collect();
        Stored { by_name }.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for PreviousCounters {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Stored {
            by_name: BTreeMap<String, Counters>,
        }
        let stored = Stored::deserialize(d)?;
        Ok(Self::from_pairs(stored.by_name.into_iter()))
    }
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

    /// From `(name, counters)` in document order: the last of a name wins.
    fn from_pairs(pairs: impl Iterator<Item = (String, Counters)>) -> Self {
        let mut by_name: Vec<(Box<str>, Counters)> =
            pairs.map(|(n, c)| (n.into_boxed_str(), c)).collect();
        // Stable: equal names keep their order, and the last one is kept below.
        by_name.sort_by(|a, b| a.0.cmp(&b.0));
        by_name.reverse();
        by_name.dedup_by(|later, earlier| later.0 == earlier.0);
        by_name.reverse();
        by_name.shrink_to_fit();
        PreviousCounters { by_name }
    }

    /// From a stored snapshot (the transformed JSON kept as `device_data`). Counters that
    /// are missing or not non-negative integers count as 0.
    pub fn from_snapshot(snapshot: &Value) -> Self {
        let pairs = snapshot
            .get("interfaces")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|iface| {
                let name = iface.get("name").and_then(Value::as_str)?;
                let stat = |key: &str| {
                    iface
                        .get("statistics")
                        .and_then(|s| s.get(key))
                        .and_then(as_u64)
                };
                let counters = Counters {
                    rx_bytes: stat("rx_bytes"),
                    tx_bytes: stat("tx_bytes"),
                };
                Some((name.to_owned(), counters))
            });
        Self::from_pairs(pairs)
    }

    /// From a typed previous document.
    pub fn from_document(doc: &DeviceMonitoring) -> Self {
        let pairs = doc.interfaces.iter().flatten().map(|iface| {
            let stats = iface.statistics.as_ref();
            let counters = Counters {
                rx_bytes: stats.and_then(|s| s.rx_bytes),
                tx_bytes: stats.and_then(|s| s.tx_bytes),
            };
            (iface.name.clone(), counters)
        });
        Self::from_pairs(pairs)
    }

    /// Each interface's name and byte counters, by name.
    pub fn interfaces(&self) -> impl Iterator<Item = (&str, Option<u64>, Option<u64>)> {
        self.by_name
            .iter()
            .map(|(n, c)| (&**n, c.rx_bytes, c.tx_bytes))
    }

    /// The previous value of a counter, 0 when unknown.
    pub fn get(&self, ifname: &str, direction: Direction) -> u64 {
        self.by_name
            .binary_search_by(|(n, _)| (**n).cmp(ifname))
            .ok()
            .and_then(|i| {
                let c = &self.by_name[i].1;
                match direction {
                    Direction::Rx => c.rx_bytes,
                    Direction::Tx => c.tx_bytes,
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// The layout stored before the sorted vector (ledgers written by earlier versions).
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Before {
        by_name: HashMap<String, Counters>,
    }

    fn snapshot(ifaces: &[(String, Option<u64>, Option<u64>)]) -> Value {
        let list: Vec<Value> = ifaces
            .iter()
            .map(|(n, rx, tx)| serde_json::json!({"name": n, "statistics": {"rx_bytes": rx, "tx_bytes": tx}}))
            .collect();
        serde_json::json!({ "interfaces": list })
    }

    fn ifaces() -> impl Strategy<Value = Vec<(String, Option<u64>, Option<u64>)>> {
        let name = prop_oneof![
            Just("eth0"),
            Just("eth1"),
            Just("wlan0"),
            Just("br-lan"),
            Just("")
        ];
        proptest::collection::vec(
            (
                name.prop_map(str::to_owned),
                any::<Option<u64>>(),
                any::<Option<u64>>(),
            ),
            0..8,
        )
    }

    proptest! {
        /// Lookups answer as the dict of the reference: the last interface of a name wins.
        #[test]
        fn lookups_follow_the_last_interface_of_each_name(list in ifaces()) {
            let prev = PreviousCounters::from_snapshot(&snapshot(&list));
            let mut model: HashMap<&str, (Option<u64>, Option<u64>)> = HashMap::new();
            for (n, rx, tx) in &list {
                model.insert(n, (*rx, *tx));
            }
            for name in ["eth0", "eth1", "wlan0", "br-lan", "", "absent"] {
                let (rx, tx) = model.get(name).copied().unwrap_or_default();
                prop_assert_eq!(prev.get(name, Direction::Rx), rx.unwrap_or(0));
                prop_assert_eq!(prev.get(name, Direction::Tx), tx.unwrap_or(0));
            }
            let mut want: Vec<_> = model.iter().map(|(n, (rx, tx))| (*n, *rx, *tx)).collect();
            want.sort_unstable();
            prop_assert_eq!(prev.interfaces().collect::<Vec<_>>(), want);
        }

        /// Stored counters read back, both ways between this layout and the earlier one.
        #[test]
        fn the_stored_form_is_the_earlier_map(list in ifaces()) {
            let prev = PreviousCounters::from_snapshot(&snapshot(&list));
            let bytes = postcard::to_allocvec(&prev).unwrap();
            prop_assert_eq!(&postcard::from_bytes::<PreviousCounters>(&bytes).unwrap(), &prev);
            let before: Before = postcard::from_bytes(&bytes).unwrap();
            prop_assert_eq!(before.by_name.len(), prev.interfaces().count());
            let again: PreviousCounters =
                postcard::from_bytes(&postcard::to_allocvec(&before).unwrap()).unwrap();
            prop_assert_eq!(again, prev);
        }
    }
}
