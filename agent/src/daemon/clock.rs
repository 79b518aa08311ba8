//! Samples taken before the clock is right. Pure: the daemon feeds it the wall and
//! monotonic clocks and what it collected, and does what it answers.
//!
//! A router without a battery-backed clock boots with the wall clock at the firmware's
//! build time (OpenWrt's `sysfixtime`) or at 1970, and NTP steps it to the real time some
//! seconds or minutes later. A sample stamped before that step carries a time that is
//! wrong by the size of the step; sent as it is, it lands months away from where it
//! belongs (and the queue's age bound would drop it as ancient the moment the clock is
//! right). The rule:
//!
//! * A sample is **provisional** when the kernel says the clock is not synchronised
//!   (`ntp_synced: false`) and no step has been seen since the daemon started, or when its
//!   time is before [`FLOOR_US`] (no clock that reads 2024 is right).
//! * **A step** is a change of more than [`STEP_US`] in `wall − monotonic` between two
//!   observations: the wall clock was set, not slewed. Every provisional sample still in
//!   the queue is moved by the step (`collected_at += wall − monotonic after − before`):
//!   its place relative to the monotonic clock, which never jumps, is what was right.
//! * While provisional samples are queued, sending is **held** (the queue sends oldest
//!   first, so everything waits), for at most [`HOLD_MAX`] after the daemon started; a
//!   clock that never syncs must not silence the device. After that they are sent as they
//!   are, flagged by their `ntp_synced: false`.
//!
//! Not covered: provisional samples left in the queue by an earlier run of the daemon (it
//! died before the clock was set) keep their stamps, since the monotonic instant they were
//! taken at is not kept.

use std::time::Duration;

/// A wall-clock step smaller than this is drift being corrected, not a step.
pub const STEP_US: i64 = 2_000_000;
/// 2024-01-01T00:00:00Z: a clock before this has not been set.
pub const FLOOR_US: i64 = 1_704_067_200_000_000;
/// The longest sending is held for a clock to sync.
pub const HOLD_MAX: Duration = Duration::from_secs(15 * 60);
/// Held sending is looked at again this often (a step may have come meanwhile).
const HOLD_RECHECK: Duration = Duration::from_secs(1);

/// Samples to move in time: add `delta_us` to each of `seqs` still queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retime {
    pub seqs: Vec<u64>,
    pub delta_us: i64,
}

#[derive(Debug, Default)]
pub struct ClockGuard {
    /// `wall − monotonic` at the last observation.
    offset_us: Option<i64>,
    stepped: bool,
    /// Provisional samples collected by this run, oldest first.
    provisional: Vec<u64>,
    released: bool,
}

impl ClockGuard {
    /// Looks at the clocks; `Some` when the wall clock was stepped and queued samples must
    /// move. `mono_us` is the time since the daemon started.
    pub fn observe(&mut self, wall_us: i64, mono_us: i64) -> Option<Retime> {
        let offset = wall_us.saturating_sub(mono_us);
        let prev = self.offset_us.replace(offset)?;
        let delta_us = offset.saturating_sub(prev);
        if delta_us.abs() <= STEP_US {
            return None;
        }
        self.stepped = true;
        let seqs = std::mem::take(&mut self.provisional);
        (!seqs.is_empty()).then_some(Retime { seqs, delta_us })
    }

    /// A sample was stored as `seq`, stamped `at_us`, with the kernel's sync state then.
    pub fn collected(&mut self, seq: u64, at_us: i64, ntp_synced: Option<bool>) {
        let unsynced = ntp_synced == Some(false) && !self.stepped;
        if (unsynced || at_us < FLOOR_US) && !self.released {
            self.provisional.push(seq);
        }
    }

    /// How long to wait before sending, `None` to send now.
    pub fn hold(&mut self, mono: Duration) -> Option<Duration> {
        if self.provisional.is_empty() || self.released {
            return None;
        }
        if mono >= HOLD_MAX {
            self.released = true;
            self.provisional.clear();
            return None;
        }
        Some(HOLD_MAX.saturating_sub(mono).min(HOLD_RECHECK))
    }

    /// Provisional samples waiting for the clock.
    pub fn provisional(&self) -> usize {
        self.provisional.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BUILD_TIME: i64 = 1_735_689_600_000_000; // 2025-01-01: sysfixtime's guess
    const REAL: i64 = 1_795_490_825_000_000; // 2026-11-24
    const S: i64 = 1_000_000;

    #[test]
    fn a_boot_before_ntp_holds_then_moves_the_early_samples() {
        let mut g = ClockGuard::default();
        assert_eq!(g.observe(BUILD_TIME, 0), None);
        g.collected(1, BUILD_TIME, Some(false));
        assert_eq!(g.observe(BUILD_TIME + 60 * S, 60 * S), None);
        g.collected(2, BUILD_TIME + 60 * S, Some(false));
        assert_eq!(g.hold(Duration::from_secs(60)), Some(HOLD_RECHECK));
        // NTP steps the clock at t=90 s.
        let r = g.observe(REAL + 90 * S, 90 * S).expect("a step");
        assert_eq!(
            r,
            Retime {
                seqs: vec![1, 2],
                delta_us: REAL - BUILD_TIME
            }
        );
        // Sample 1, taken at t=0, now sits at REAL: 90 s before the step's instant.
        assert_eq!(BUILD_TIME + r.delta_us, REAL);
        assert_eq!(g.hold(Duration::from_secs(90)), None);
        // The kernel may still say unsynced for a while: after a step that is not doubt.
        g.collected(3, REAL + 120 * S, Some(false));
        assert_eq!(g.provisional(), 0);
    }

    #[test]
    fn drift_is_not_a_step_and_synced_samples_are_not_held() {
        let mut g = ClockGuard::default();
        g.observe(REAL, 0);
        g.collected(1, REAL, Some(true));
        g.collected(2, REAL, None);
        assert_eq!(g.hold(Duration::ZERO), None);
        assert_eq!(g.observe(REAL + 10 * S + STEP_US, 10 * S), None);
        assert_eq!(g.observe(REAL + 20 * S + 2 * STEP_US, 20 * S), None);
    }

    #[test]
    fn a_clock_before_the_floor_is_provisional_whatever_the_kernel_says() {
        let mut g = ClockGuard::default();
        g.observe(0, 0);
        g.collected(1, 5 * S, None);
        assert_eq!(g.provisional(), 1);
        let r = g.observe(REAL, 10 * S).unwrap();
        assert_eq!(r.seqs, vec![1]);
        assert_eq!(r.delta_us, REAL - 10 * S);
    }

    #[test]
    fn a_clock_that_never_syncs_is_released_after_the_hold() {
        let mut g = ClockGuard::default();
        g.observe(BUILD_TIME, 0);
        g.collected(1, BUILD_TIME, Some(false));
        assert_eq!(
            g.hold(HOLD_MAX.saturating_sub(Duration::from_secs(2))),
            Some(HOLD_RECHECK)
        );
        let almost = Duration::from_millis(300);
        assert_eq!(g.hold(HOLD_MAX.saturating_sub(almost)), Some(almost));
        assert_eq!(g.hold(HOLD_MAX), None);
        g.collected(2, BUILD_TIME + 900 * S, Some(false));
        assert_eq!(g.hold(HOLD_MAX + Duration::from_secs(60)), None);
        // A late step no longer moves samples that went out as they were.
        assert_eq!(g.observe(REAL, 1000 * S), None);
    }

    fn jump() -> impl Strategy<Value = i64> {
        prop_oneof![Just(0i64), 3i64..86_400, -86_400i64..-3]
    }

    proptest! {
        /// Whatever the steps: a provisional sample ends on the clock as it was right
        /// after the next step, or is still waiting; any other sample keeps its stamp.
        #[test]
        fn retimed_samples_land_on_the_set_clock(
            steps in prop::collection::vec((0i64..600, jump()), 1..12),
            start in prop_oneof![0i64..S * 1000, FLOOR_US - 600 * S..REAL],
            synced in prop::collection::vec(prop::option::of(any::<bool>()), 12),
        ) {
            let mut g = ClockGuard::default();
            let (mut offset, mut mono) = (start, 0);
            g.observe(offset + mono, mono);
            // (monotonic instant, stamp now, stamp expected)
            let mut samples: Vec<(i64, i64, i64)> = Vec::new();
            let mut pending = Vec::new();
            let mut stepped = false;
            for (i, (gap_s, jump_s)) in steps.into_iter().enumerate() {
                mono += gap_s * S;
                let stamp = offset + mono;
                g.collected(i as u64, stamp, synced[i]);
                samples.push((mono, stamp, stamp));
                if (!stepped && synced[i] == Some(false)) || stamp < FLOOR_US {
                    pending.push(i);
                }
                offset += jump_s * S;
                if let Some(r) = g.observe(offset + mono, mono) {
                    for seq in r.seqs {
                        samples[usize::try_from(seq).unwrap()].1 += r.delta_us;
                    }
                }
                if jump_s != 0 {
                    stepped = true;
                    for p in pending.drain(..) {
                        samples[p].2 = samples[p].0 + offset;
                    }
                }
            }
            for (seq, (_, at, expected)) in samples.into_iter().enumerate() {
                prop_assert_eq!(at, expected, "seq {}", seq);
            }
            prop_assert_eq!(g.provisional.clone(), pending.iter().map(|&p| p as u64).collect::<Vec<_>>());
        }
    }
}
