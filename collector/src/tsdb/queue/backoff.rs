//! Retry delays: capped exponential backoff with full jitter (a random delay between zero
//! and `min(cap, base · 2^attempt)`), so many collectors do not retry in step. Sans-IO: the
//! random number is an argument.

use std::time::Duration;

/// The delay before retry number `attempt` (0 for the first retry); `random` is any
/// uniformly distributed `u64`.
pub fn delay(attempt: u32, base: Duration, cap: Duration, random: u64) -> Duration {
    let ceiling = base
        .checked_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(cap)
        .min(cap);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random % (nanos + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: Duration = Duration::from_millis(100);
    const CAP: Duration = Duration::from_secs(60);

    #[test]
    fn the_ceiling_doubles_then_stays_at_the_cap() {
        assert_eq!(
            delay(0, BASE, CAP, u64::MAX),
            Duration::from_nanos(u64::MAX % 100_000_001)
        );
        assert_eq!(delay(3, BASE, CAP, 800_000_000), Duration::from_millis(800));
        assert_eq!(delay(3, BASE, CAP, 800_000_001), Duration::ZERO);
        assert_eq!(delay(40, BASE, CAP, 60_000_000_000), CAP);
        assert_eq!(delay(0, BASE, CAP, 0), Duration::ZERO);
    }

    proptest! {
        #[test]
        fn never_above_the_cap_nor_the_doubled_base(attempt in 0u32..200, r in any::<u64>()) {
            let d = delay(attempt, BASE, CAP, r);
            prop_assert!(d <= CAP);
            if attempt < 20 {
                prop_assert!(d <= BASE * (1 << attempt));
            }
        }
    }
}
