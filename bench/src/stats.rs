//! What a load run measured: per-request latencies and outcomes, merged over connections,
//! summarised as percentiles (nearest rank) and counts.

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One connection's record; merge them at the end.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    /// Latency of every request that got a reply, in µs (send to end of reply body).
    latencies_us: Vec<u64>,
    /// Replies per HTTP status.
    statuses: BTreeMap<u16, u64>,
    /// Requests that got no reply (connection refused, reset, closed mid-request).
    errors: u64,
}

impl Recorder {
    pub fn reply(&mut self, status: u16, latency: Duration) {
        self.latencies_us
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        *self.statuses.entry(status).or_default() += 1;
    }

    pub fn error(&mut self) {
        self.errors += 1;
    }

    pub fn merge(&mut self, other: Recorder) {
        self.latencies_us.extend(other.latencies_us);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.errors += other.errors;
    }

    /// Replies with this status so far.
    pub fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    pub fn summary(mut self) -> Summary {
        self.latencies_us.sort_unstable();
        let ok = self.count(200);
        let too_many = self.count(429);
        let replies: u64 = self.statuses.values().sum();
        let at = |q: f64| percentile(&self.latencies_us, q).map_or(0.0, micros_to_ms);
        Summary {
            requests: replies + self.errors,
            ok_200: ok,
            too_many_429: too_many,
            other_status: replies - ok - too_many,
            statuses: self
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            errors: self.errors,
            latency_ms: Latency {
                p50: at(0.50),
                p90: at(0.90),
                p99: at(0.99),
                max: self.latencies_us.last().copied().map_or(0.0, micros_to_ms),
            },
        }
    }
}

#[allow(clippy::cast_precision_loss)] // latencies are far below 2^52 µs
fn micros_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `q` of
/// all values at or below it. `None` when there are no values.
pub fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// Counts and latencies of a whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Every request sent, answered or not (a 429 that is retried counts once per try).
    pub requests: u64,
    pub ok_200: u64,
    pub too_many_429: u64,
    /// Replies with any status other than 200 and 429.
    pub other_status: u64,
    /// Replies per status, as strings for JSON keys.
    pub statuses: BTreeMap<String, u64>,
    /// Requests without a reply.
    pub errors: u64,
    /// Over every reply, whatever its status.
    pub latency_ms: Latency,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nearest_rank_on_a_known_list() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&v, 1.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));
        assert_eq!(percentile(&[7], 0.99), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn summary_counts_statuses_and_errors() {
        let mut a = Recorder::default();
        a.reply(200, Duration::from_millis(2));
        a.reply(429, Duration::from_millis(1));
        let mut b = Recorder::default();
        b.reply(200, Duration::from_millis(4));
        b.reply(503, Duration::from_millis(3));
        b.error();
        a.merge(b);
        let s = a.summary();
        assert_eq!(
            (
                s.requests,
                s.ok_200,
                s.too_many_429,
                s.other_status,
                s.errors
            ),
            (5, 2, 1, 1, 1)
        );
        assert_eq!(s.statuses["503"], 1);
        assert!((s.latency_ms.p50 - 2.0).abs() < 1e-9, "{:?}", s.latency_ms);
        assert!((s.latency_ms.max - 4.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn percentile_matches_its_definition(mut v in proptest::collection::vec(0u64..1000, 1..200), q in 0.0f64..=1.0) {
            v.sort_unstable();
            let p = percentile(&v, q).expect("non-empty");
            #[allow(clippy::cast_precision_loss)]
            let share = |n: usize| n as f64 / v.len() as f64;
            let at_or_below = v.iter().filter(|x| **x <= p).count();
            let below = v.iter().filter(|x| **x < p).count();
            prop_assert!(share(at_or_below) >= q - 1e-12);
            prop_assert!(below == 0 || share(below) < q + 1e-12);
        }

        #[test]
        fn merging_keeps_every_request(statuses in proptest::collection::vec(prop_oneof![Just(200u16), Just(429), Just(400), Just(0)], 0..100), split in 0usize..100) {
            let split = split.min(statuses.len());
            let mut parts = [Recorder::default(), Recorder::default()];
            for (i, s) in statuses.iter().enumerate() {
                let r = &mut parts[usize::from(i >= split)];
                if *s == 0 { r.error() } else { r.reply(*s, Duration::from_micros(i as u64)) }
            }
            let [mut a, b] = parts;
            a.merge(b);
            let s = a.summary();
            prop_assert_eq!(s.requests, statuses.len() as u64);
            prop_assert_eq!(s.ok_200 + s.too_many_429 + s.other_status + s.errors, s.requests);
            prop_assert_eq!(s.too_many_429, statuses.iter().filter(|x| **x == 429).count() as u64);
        }
    }
}
