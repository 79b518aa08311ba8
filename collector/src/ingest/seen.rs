//! Which sequence numbers of one device are settled (stored, or known lost): the sans-IO
//! core of exactly-once storage on the native path.
//!
//! The agent numbers its samples 1, 2, 3, … and always sends its *oldest* queued samples
//! (plus its newest one, so a throttled drain still shows the current state). Hence, when a
//! batch arrives whose oldest sample is `s`, every number below `s` that the collector has
//! not stored is gone for good: the agent dropped it (queue bounds) or never had it. Such
//! holes are counted as lost and folded into the `floor`, so the set stays a handful of
//! ranges whatever the history:
//!
//! ```text
//!  settled ≤ floor      holes / ranges above the floor (few: the newest samples seen early)
//! ├───────────────┤ … [a, b] … [c, d]
//! ```
//!
//! A number `≤ floor`, or inside a range, is a duplicate. A number that was declared lost
//! and arrives later anyway (not something the agent does) is treated as a duplicate too:
//! storage stays at most once.

use serde::{Deserialize, Serialize};

/// At most this many ranges are kept above the floor; beyond it the lowest hole is declared
/// lost (a device would need this many interleaved out-of-order samples to get there).
pub const MAX_RANGES: usize = 64;

/// The settled sequence numbers of one device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenSet {
    /// Every number `1..=floor` is settled.
    floor: u64,
    /// Settled ranges above `floor + 1`, inclusive, sorted, disjoint and not adjacent.
    ranges: Vec<(u64, u64)>,
    /// Numbers declared lost so far (holes below a later batch's oldest sample).
    lost: u64,
}

/// What to do with one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admission {
    /// Positions (in the batch) of the samples to store, in batch order.
    pub fresh: Vec<usize>,
    /// Samples already settled (or repeated inside the batch).
    pub duplicates: u64,
    /// Numbers newly declared lost by this batch.
    pub lost: u64,
}

impl SeenSet {
    /// Whether `seq` is settled.
    pub fn contains(&self, seq: u64) -> bool {
        seq <= self.floor || self.ranges.iter().any(|&(a, b)| (a..=b).contains(&seq))
    }

    /// Numbers declared lost so far.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Every number `1..=floor` is settled.
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// Ranges kept above the floor.
    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// Admit a batch (its samples' sequence numbers, in batch order) and mark everything it
    /// stores as settled. Number 0 is never valid (sequences start at 1) and counts as a
    /// duplicate.
    pub fn admit(&mut self, seqs: &[u64]) -> Admission {
        let mut out = Admission::default();
        if let Some(oldest) = seqs.iter().copied().filter(|&s| s > 0).min() {
            out.lost += self.raise_floor(oldest - 1);
        }
        for (i, &seq) in seqs.iter().enumerate() {
            if seq == 0 || self.contains(seq) {
                out.duplicates += 1;
            } else {
                self.insert(seq);
                out.fresh.push(i);
            }
        }
        while self.ranges.len() > MAX_RANGES {
            let (a, _) = self.ranges[0];
            out.lost += self.raise_floor(a - 1);
        }
        self.lost += out.lost;
        out
    }

    /// Settle everything up to `to`; returns how many numbers were holes (lost).
    fn raise_floor(&mut self, to: u64) -> u64 {
        if to <= self.floor {
            return 0;
        }
        let mut holes = to - self.floor;
        let mut keep = Vec::with_capacity(self.ranges.len());
        for &(a, b) in &self.ranges {
            if a > to {
                keep.push((a, b));
            } else {
                holes -= b.min(to) - a + 1;
                if b > to {
                    keep.push((to + 1, b));
                }
            }
        }
        self.floor = to;
        self.ranges = keep;
        self.absorb_floor();
        holes
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
