//! Devices whose clocks are off, and where their samples go. Pure rules plus a small
//! in-memory record.
//!
//! The rule (documented in `docs/reliability.md`):
//! * A device's clock offset is measured on its **newest** sample only: the OpenWISP
//!   sample sent with `current=true`, or the newest sample of a native batch (the agent
//!   puts its newest sample in every batch). Older samples are a backlog and say nothing
//!   about the clock.
//! * The device is **flagged** while that offset is more than [`AHEAD_US`] ahead of the
//!   collector's clock or more than [`BEHIND_US`] behind it (a newest sample an hour old is
//!   a clock that was never set: the agent collects every interval). The flag is cleared
//!   by the next newest sample within the tolerances; `/metrics` counts flagged devices
//!   and each change is logged.
//! * **Placement**: a sample stamped more than [`AHEAD_US`] in the future is stored at its
//!   arrival time (a point from the future would be the "latest" value for hours and
//!   sit beyond every chart's range); any other sample is stored at its own time, since
//!   a time in the past may be a legitimate backlog.

use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// More than this ahead of the collector is a clock that is wrong (5 minutes).
pub const AHEAD_US: i64 = 5 * 60 * 1_000_000;
/// A newest sample more than this old is a clock that is behind (1 hour).
pub const BEHIND_US: i64 = 60 * 60 * 1_000_000;

/// Where a sample stamped `at_us` that arrived at `now_us` is stored.
pub fn place(at_us: i64, now_us: i64) -> i64 {
    if at_us > now_us.saturating_add(AHEAD_US) {
        now_us
    } else {
        at_us
    }
}

/// The offset (µs, positive = ahead) a device's newest sample shows, when it is beyond
/// the tolerances.
pub fn offset(newest_at_us: i64, now_us: i64) -> Option<i64> {
    let d = newest_at_us.saturating_sub(now_us);
    (!(-BEHIND_US..=AHEAD_US).contains(&d)).then_some(d)
}

/// The devices flagged now, with their last measured offset.
#[derive(Debug, Default)]
pub struct Skews(Mutex<HashMap<Uuid, i64>>);

/// A change of a device's flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Flagged { offset_us: i64 },
    Cleared,
}

impl Skews {
    /// Records what a device's newest sample showed; `Some` when its flag changed.
    pub fn observe(&self, device: Uuid, newest_at_us: i64, now_us: i64) -> Option<Change> {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match offset(newest_at_us, now_us) {
            Some(offset_us) => map
                .insert(device, offset_us)
                .is_none()
                .then_some(Change::Flagged { offset_us }),
            None => map.remove(&device).map(|_| Change::Cleared),
        }
    }

    /// How many devices are flagged.
    pub fn count(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// The device's offset in µs while it is flagged.
    pub fn offset_us(&self, device: Uuid) -> Option<i64> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&device)
            .copied()
    }
}

/// A native batch of `device` that arrived at `now_us` (HTTP or MQTT): its newest sample
/// updates the device's flag, and samples from the future are moved to `now_us`.
pub fn settle_batch(
    skews: &Skews,
    device: Uuid,
    samples: &mut [edgemon_shared::envelope::Sample],
    now_us: i64,
) {
    if let Some(newest) = samples.iter().max_by_key(|s| s.seq)
        && let Some(change) = skews.observe(device, newest.collected_at_us, now_us)
    {
        log(device, change);
    }
    for s in samples {
        s.collected_at_us = place(s.collected_at_us, now_us);
    }
}

/// Logs a flag change.
pub fn log(device: Uuid, change: Change) {
    match change {
        Change::Flagged { offset_us } if offset_us > 0 => tracing::warn!(
            %device,
            offset_s = offset_us / 1_000_000,
            "device clock is ahead; samples from the future are stored at their arrival time"
        ),
        Change::Flagged { offset_us } => tracing::warn!(
            %device,
            offset_s = offset_us / 1_000_000,
            "device clock is behind (its newest sample is over an hour old); samples are stored at their own time"
        ),
        Change::Cleared => tracing::info!(%device, "device clock is right again"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_795_490_825_000_000;
    const MIN: i64 = 60 * 1_000_000;

    #[test]
    fn future_samples_land_at_arrival_past_ones_stay() {
        assert_eq!(place(NOW + 4 * MIN, NOW), NOW + 4 * MIN);
        assert_eq!(place(NOW + 6 * MIN, NOW), NOW);
        assert_eq!(place(NOW - 600 * MIN, NOW), NOW - 600 * MIN);
    }

    #[test]
    fn flags_follow_the_newest_sample() {
        let s = Skews::default();
        let d = Uuid::from_u128(1);
        assert_eq!(
            s.observe(d, NOW - 30 * MIN, NOW),
            None,
            "a slow but sane clock"
        );
        assert_eq!(
            s.observe(d, NOW + 180 * MIN, NOW),
            Some(Change::Flagged {
                offset_us: 180 * MIN
            })
        );
        assert_eq!(s.observe(d, NOW + 181 * MIN, NOW), None, "already flagged");
        assert_eq!(s.offset_us(d), Some(181 * MIN));
        assert_eq!(s.count(), 1);
        assert_eq!(s.observe(d, NOW, NOW), Some(Change::Cleared));
        assert_eq!(s.count(), 0);
        assert!(matches!(
            s.observe(d, NOW - 61 * MIN, NOW),
            Some(Change::Flagged { .. })
        ));
    }

    proptest! {
        #[test]
        fn placement_never_lands_in_the_far_future(at in any::<i64>(), now in 0i64..i64::MAX / 2) {
            let p = place(at, now);
            prop_assert!(p <= now.saturating_add(AHEAD_US));
            prop_assert!(p == at || p == now);
        }
    }
}
