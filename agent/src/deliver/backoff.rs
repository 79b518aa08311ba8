//! Exponential backoff with full jitter (the delay is uniform in `[0, min(cap, base·2ⁿ)]`),
//! so devices that failed together do not retry together. Pure: the caller passes the
//! random number.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    /// Consecutive failures so far.
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap: cap.max(base),
            failures: 0,
        }
    }

    /// The ceiling of the next delay: `min(cap, base·2^failures)`.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Records a failure and returns the delay before the next attempt, drawn from
    /// `random` (any `u64`, e.g. from `fastrand`) uniformly in `[0, ceiling]`.
    pub fn fail(&mut self, random: u64) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        jitter(ceiling, random)
    }

    pub fn succeed(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// A duration uniform in `[0, max]` from a random `u64` (millisecond resolution).
pub fn jitter(max: Duration, random: u64) -> Duration {
    let ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(random % ms.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ceiling_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
        let mut ceilings = Vec::new();
        for _ in 0..6 {
            ceilings.push(b.ceiling().as_secs());
            b.fail(0);
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 10, 10]);
        b.succeed();
        assert_eq!(b.ceiling(), Duration::from_secs(1));
    }

    #[test]
    fn jitter_covers_zero_to_max() {
        let max = Duration::from_secs(1);
        assert_eq!(jitter(max, 0), Duration::ZERO);
        assert_eq!(jitter(max, 1000), max);
        assert_eq!(jitter(max, 1001), Duration::ZERO);
        assert_eq!(jitter(Duration::ZERO, 12345), Duration::ZERO);
    }

    proptest! {
        #[test]
        fn delays_stay_within_the_ceiling(failures in 0usize..200, randoms in proptest::collection::vec(any::<u64>(), 1..50)) {
            let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(300));
            for _ in 0..failures { b.fail(0); }
            for r in randoms {
                let ceiling = b.ceiling();
                prop_assert!(ceiling <= Duration::from_secs(300));
                prop_assert!(b.fail(r) <= ceiling);
            }
        }
    }
}
