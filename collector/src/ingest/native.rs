//! One native batch → the points to write and the device's next ledger state. Pure: the
//! worker loads the state, calls [`apply`], writes the points, commits the state, and only
//! then acknowledges.
//!
//! Traffic deltas are computed against the *nearest lower stored* sample, whatever the
//! order of arrival: the agent sends its newest sample early (beside the oldest backlog),
//! so sample 500 may be stored before 100..499. Its delta is first computed against the
//! newest sample below it the collector has (99); when 499 arrives, 500's traffic is
//! written again against 499. Counters of recent samples are kept in the ledger for that.

use super::seen::SeenSet;
use crate::derive::metrics::traffic_from_counters;
use crate::derive::{self, DeviceInfo, PreviousCounters, transform};
use crate::tsdb::Point;
use edgemon_shared::envelope::Sample;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Counters of stored samples kept above the settled floor, at most (beyond, the oldest
/// are forgotten and a sample arriving below them is not recomputed).
pub const MAX_COUNTERS: usize = 1024;

/// One device's native-ingest state, persisted in `ingest.redb`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceLedger {
    /// Settled sequence numbers.
    pub seen: SeenSet,
    /// The newest sequence number stored (its snapshot is the device's `device_data`).
    pub newest: u64,
    /// Byte counters of recent stored samples by sequence number: the one at or just below
    /// the floor, and every stored one above it. Key 0 holds the base for the device's first
    /// native sample (its last OpenWISP snapshot, if any).
    pub counters: BTreeMap<u64, StoredCounters>,
}

/// What a later sample's traffic delta, or a recomputation of this one's, needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredCounters {
    pub time_us: i64,
    pub counters: PreviousCounters,
}

impl DeviceLedger {
    /// A device's first state: `base` is the snapshot stored before it (OpenWISP path).
    pub fn new(base: PreviousCounters) -> Self {
        let mut counters = BTreeMap::new();
        counters.insert(
            0,
            StoredCounters {
                time_us: 0,
                counters: base,
            },
        );
        DeviceLedger {
            counters,
            ..Default::default()
        }
    }

    /// The counters the next sample after everything stored would use.
    pub fn latest_counters(&self) -> PreviousCounters {
        self.counters
            .last_key_value()
            .map(|(_, c)| c.counters.clone())
            .unwrap_or_default()
    }

    fn prune(&mut self) {
        let tip = self
            .counters
            .range(..=self.seen.floor())
            .next_back()
            .map_or(0, |(k, _)| *k);
        self.counters = self.counters.split_off(&tip);
        while self.counters.len() > MAX_COUNTERS {
            let second = *self.counters.keys().nth(1).expect("more than one entry");
            self.counters.remove(&second);
        }
    }
}

/// What became of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Samples stored now.
    pub stored: u64,
    /// Samples already stored (or settled) before: ignored.
    pub duplicates: u64,
    /// Sequence numbers newly counted as lost (gaps below this batch's oldest sample).
    pub lost: u64,
    /// Samples stored now that had been counted as lost (they arrived out of order).
    pub late: u64,
    /// Samples whose document the reference schema refuses: not stored, never retried.
    pub invalid: Vec<Invalid>,
}

/// A refused document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invalid {
    pub seq: u64,
    pub error: String,
}

/// Apply one batch to a device's state. `now_us` stamps the `device_data` snapshot, which
/// is written only for a sample newer than every stored one.
pub fn apply(
    ledger: &mut DeviceLedger,
    device: &DeviceInfo,
    samples: Vec<Sample>,
    options: transform::Options,
    now_us: i64,
) -> (Vec<Point>, Outcome) {
    let seqs: Vec<u64> = samples.iter().map(|s| s.seq).collect();
    let admission = ledger.seen.admit(&seqs);
    let mut outcome = Outcome {
        duplicates: admission.duplicates,
        lost: admission.lost,
        late: admission.late,
        ..Outcome::default()
    };
    let mut samples: Vec<Option<Sample>> = samples.into_iter().map(Some).collect();
    let mut fresh: Vec<Sample> = admission
        .fresh
        .iter()
        .filter_map(|&i| samples[i].take())
        .collect();
    fresh.sort_by_key(|s| s.seq);
    let in_batch: BTreeSet<u64> = fresh.iter().map(|s| s.seq).collect();
    let mut points = Vec::new();
    for sample in fresh {
        let seq = sample.seq;
        let validated =
            match edgemon_shared::validate::parse_and_validate(sample.document.as_str().as_bytes())
            {
                Ok(v) => v,
                Err(e) => {
                    outcome.invalid.push(Invalid {
                        seq,
                        error: e.to_string(),
                    });
                    continue;
                }
            };
        let base = ledger
            .counters
            .range(..seq)
            .next_back()
            .map(|(_, c)| c.counters.clone())
            .unwrap_or_default();
        let derived =
            derive::derive_after(device, &base, validated, sample.collected_at_us, options);
        let current = PreviousCounters::from_snapshot(&derived.snapshot);
        if seq > ledger.newest {
            ledger.newest = seq;
            points.extend(derived.into_points(device.id, now_us));
        } else {
            points.extend(derived.metrics.into_iter().flat_map(|m| m.points));
        }
        if let Some((next, later)) = ledger.counters.range(seq + 1..).next()
            && !in_batch.contains(next)
        {
            points.extend(traffic_from_counters(
                device,
                &current,
                &later.counters,
                later.time_us,
            ));
        }
        ledger.counters.insert(
            seq,
            StoredCounters {
                time_us: sample.collected_at_us,
                counters: current,
            },
        );
        outcome.stored += 1;
    }
    ledger.prune();
    (points, outcome)
}

#[cfg(test)]
mod tests;
