//! Per-organization rate limit of deliveries: a token bucket holding `per_hour` tokens,
//! refilled continuously. Sans-IO (times are arguments).

use std::collections::HashMap;
use uuid::Uuid;

const HOUR_US: i128 = 3_600_000_000;

#[derive(Debug)]
pub struct Limiter {
    /// Deliveries per organization per hour; 0 = unlimited.
    per_hour: u32,
    /// org → (tokens × one hour in µs, last refill µs): integers, so a token refilled in
    /// pieces is exactly one token.
    buckets: HashMap<Uuid, (i128, i64)>,
}

impl Limiter {
    pub fn new(per_hour: u32) -> Limiter {
        Limiter {
            per_hour,
            buckets: HashMap::new(),
        }
    }

    /// Take a token for `org` at `now_us`; `false` when it has none left.
    pub fn allow(&mut self, org: Uuid, now_us: i64) -> bool {
        if self.per_hour == 0 {
            return true;
        }
        let rate = i128::from(self.per_hour);
        let cap = rate * HOUR_US;
        let (tokens, last) = self.buckets.entry(org).or_insert((cap, now_us));
        let elapsed = i128::from(now_us.saturating_sub(*last).max(0));
        *tokens = (*tokens + elapsed * rate).min(cap);
        *last = now_us.max(*last);
        if *tokens >= HOUR_US {
            *tokens -= HOUR_US;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIN: i64 = 60_000_000;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let mut l = Limiter::new(6); // one per 10 minutes once the burst is spent
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!((0..6).all(|_| l.allow(a, 0)));
        assert!(!l.allow(a, 0));
        assert!(l.allow(b, 0), "organizations are separate");
        assert!(!l.allow(a, 9 * MIN));
        assert!(l.allow(a, 10 * MIN));
        assert!(!l.allow(a, 10 * MIN));
        assert!(Limiter::new(0).allow(a, 0), "0 is unlimited");
    }

    proptest! {
        /// Never more than `per_hour` + the hours elapsed × `per_hour` deliveries.
        #[test]
        fn never_more_than_the_budget(per_hour in 1_u32..50, gaps in prop::collection::vec(0_i64..20 * MIN, 1..300)) {
            let mut l = Limiter::new(per_hour);
            let org = Uuid::from_u128(1);
            let (mut t, mut allowed) = (0_i64, 0_u64);
            for g in gaps {
                t += g;
                allowed += u64::from(l.allow(org, t));
            }
            // per_hour × (1 + t / 1 h), exactly.
            let budget = i128::from(per_hour) * (HOUR_US + i128::from(t)) / HOUR_US;
            prop_assert!(i128::from(allowed) <= budget, "{allowed} > {budget}");
        }
    }
}
