//! Which sequence numbers of one device are settled (stored, or given up): the sans-IO
//! core of exactly-once storage on the native path.
//!
//! The agent numbers its samples 1, 2, 3, … and always sends its *oldest* queued samples
//! (plus its newest one, so a throttled drain still shows the current state). Hence, when a
//! batch arrives whose oldest sample is `s`, the numbers below `s` that the collector has
//! not stored are normally gone (the agent dropped them): they are counted as **lost** at
//! once. They stay open, though: brokers and reconnections may reorder messages, so a
//! number counted lost that arrives later is still stored (and counted as **late**).
//!
//! ```text
//!  settled ≤ floor      stored ranges above the floor (holes between them stay open)
//! ├───────────────┤ … [a, b] … [c, d]
//! ```
//!
//! The floor rises over contiguous stored numbers. At most [`MAX_RANGES`] ranges are kept:
//! beyond, the lowest hole is given up (folded into the floor), so the set stays small
//! whatever the history. A number `≤ floor` or inside a range is a duplicate: storage is
//! at most once.

use serde::{Deserialize, Serialize};

/// At most this many ranges are kept above the floor; beyond it the lowest hole is declared
/// lost (a device would need this many interleaved out-of-order samples to get there).
pub const MAX_RANGES: usize = 64;

/// The settled sequence numbers of one device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenSet {
    /// Every number `1..=floor` is settled.
    floor: u64,
    /// Stored ranges above `floor + 1`, inclusive, sorted, disjoint and not adjacent.
    ranges: Vec<(u64, u64)>,
    /// Holes up to here have been counted as lost.
    counted_to: u64,
    /// Numbers counted as lost and not stored since (holes below a batch's oldest sample).
    lost: u64,
}

/// What to do with one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admission {
    /// Positions (in the batch) of the samples to store, in batch order.
    pub fresh: Vec<usize>,
    /// Samples already settled (or repeated inside the batch).
    pub duplicates: u64,
    /// Numbers newly counted as lost by this batch (holes below its oldest sample).
    pub lost: u64,
    /// Fresh samples that had been counted as lost (they arrived out of order).
    pub late: u64,
}

impl SeenSet {
    /// Whether `seq` is settled.
    pub fn contains(&self, seq: u64) -> bool {
        seq <= self.floor || self.ranges.iter().any(|&(a, b)| (a..=b).contains(&seq))
    }

    /// Numbers counted as lost and still missing.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Every number `1..=floor` is settled.
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// Stored ranges kept above the floor.
    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// How many numbers are settled.
    pub fn settled(&self) -> u64 {
        self.floor + self.ranges.iter().map(|(a, b)| b - a + 1).sum::<u64>()
    }

    /// Admit a batch (its samples' sequence numbers, in batch order) and mark everything it
    /// stores as settled. Number 0 is never valid (sequences start at 1) and counts as a
    /// duplicate.
    pub fn admit(&mut self, seqs: &[u64]) -> Admission {
        let mut out = Admission::default();
        if let Some(oldest) = seqs.iter().copied().filter(|&s| s > 0).min() {
            out.lost += self.count_holes_to(oldest - 1);
        }
        for (i, &seq) in seqs.iter().enumerate() {
            if seq == 0 || self.contains(seq) {
                out.duplicates += 1;
            } else {
                self.insert(seq);
                out.fresh.push(i);
                if seq <= self.counted_to {
                    out.late += 1;
                }
            }
        }
        while self.ranges.len() > MAX_RANGES {
            let (a, _) = self.ranges[0];
            out.lost += self.count_holes_to(a - 1);
            self.floor = a - 1;
            self.absorb_floor();
        }
        self.lost = self.lost + out.lost - out.late;
        out
    }

    /// Count the unsettled numbers in `(counted_to, to]` as lost.
    fn count_holes_to(&mut self, to: u64) -> u64 {
        let from = self.counted_to.max(self.floor) + 1;
        if to < from {
            return 0;
        }
        let stored: u64 = self
            .ranges
            .iter()
            .map(|&(a, b)| {
                let (lo, hi) = (a.max(from), b.min(to));
                if lo <= hi { hi - lo + 1 } else { 0 }
            })
            .sum();
        self.counted_to = to;
        to - from + 1 - stored
    }
    /// Merge a first range that touches the floor into it.
    fn absorb_floor(&mut self) {
        while let Some(&(a, b)) = self.ranges.first() {
            if a > self.floor + 1 {
                break;
            }
            self.floor = self.floor.max(b);
            self.ranges.remove(0);
        }
    }

    /// Add one number known to be unsettled.
    fn insert(&mut self, seq: u64) {
        if seq == self.floor + 1 {
            self.floor = seq;
            self.absorb_floor();
            return;
        }
        let i = self.ranges.partition_point(|&(_, b)| b < seq);
        let joins_prev = i > 0 && self.ranges[i - 1].1 + 1 == seq;
        let joins_next = i < self.ranges.len() && self.ranges[i].0 == seq + 1;
        match (joins_prev, joins_next) {
            (true, true) => {
                self.ranges[i - 1].1 = self.ranges[i].1;
                self.ranges.remove(i);
            }
            (true, false) => self.ranges[i - 1].1 = seq,
            (false, true) => self.ranges[i].0 = seq,
            (false, false) => self.ranges.insert(i, (seq, seq)),
        }
    }
}

#[cfg(test)]
mod tests;
