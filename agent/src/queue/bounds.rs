//! The queue's limits and the pure decision of what to drop to respect them.
//!
//! No storage here: [`evictions`] looks at the queued samples (oldest first), the size of
//! the sample about to be written and the current time, and answers which samples must go.
//! The redb shell applies the answer in the same transaction as the write.

use std::time::Duration;

/// How much the queue may hold. Defaults are sized for a router with 8–16 MB of flash,
/// where the overlay has a few MB free: 1 MiB of encoded samples is about 300 samples of
/// 3.3 KB (a day at the reference agent's 5-minute interval, 5 h at 1 minute). The redb
/// file is about 2.2 times the encoded size when full (copy-on-write pages; measured by
/// `file_size_stays_bounded_under_churn`), so the default queue takes at most about
/// 2.3 MB of flash or tmpfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total encoded size of the queued samples, in bytes.
    pub max_bytes: u64,
    /// Samples collected longer ago than this are dropped.
    pub max_age: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// What the queue knows about one stored sample without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub seq: u64,
    /// Collection time, µs since the Unix epoch.
    pub at_us: i64,
    /// Encoded size in bytes.
    pub len: u64,
}

/// The outcome of [`evictions`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eviction {
    /// Sequence numbers to drop, oldest first.
    pub drop: Vec<u64>,
    /// Whether the incoming sample fits at all (a sample larger than `max_bytes` does not,
    /// and is dropped itself rather than emptying the queue for nothing).
    pub admit: bool,
}

/// The cut-off below which a sample is too old, in µs since the epoch.
pub fn oldest_allowed_us(now_us: i64, limits: &Limits) -> i64 {
    let age = i64::try_from(limits.max_age.as_micros()).unwrap_or(i64::MAX);
    now_us.saturating_sub(age)
}

/// Which queued samples (given oldest first, with their total size) must be dropped before
/// a sample of `incoming` bytes is added at `now_us`: every sample older than `max_age`,
/// then the oldest ones until the newcomer fits in `max_bytes`. `incoming = 0` asks only
/// for the age rule plus the byte rule as it stands (used when no sample is being added).
pub fn evictions<'a>(
    queued: impl IntoIterator<Item = &'a Meta>,
    total_bytes: u64,
    incoming: u64,
    now_us: i64,
    limits: &Limits,
) -> Eviction {
    let cutoff = oldest_allowed_us(now_us, limits);
    let admit = incoming <= limits.max_bytes;
    let budget = if admit {
        limits.max_bytes - incoming
    } else {
        limits.max_bytes
    };
    let mut remaining = total_bytes;
    let mut drop = Vec::new();
    for m in queued {
        if m.at_us >= cutoff && remaining <= budget {
            break;
        }
        drop.push(m.seq);
        remaining = remaining.saturating_sub(m.len);
    }
    Eviction { drop, admit }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIN: i64 = 60_000_000;

    fn limits(max_bytes: u64, max_age_min: u64) -> Limits {
        Limits {
            max_bytes,
            max_age: Duration::from_secs(max_age_min * 60),
        }
    }

    fn metas(sizes: &[(i64, u64)]) -> Vec<Meta> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &(at_min, len))| Meta {
                seq: i as u64 + 1,
                at_us: at_min * MIN,
                len,
            })
            .collect()
    }

    #[test]
    fn nothing_to_drop_when_it_fits_and_is_young() {
        let q = metas(&[(0, 10), (1, 10)]);
        let e = evictions(&q, 20, 10, 2 * MIN, &limits(30, 60));
        assert_eq!(
            e,
            Eviction {
                drop: vec![],
                admit: true
            }
        );
    }

    #[test]
    fn oldest_go_first_until_the_newcomer_fits() {
        let q = metas(&[(0, 10), (1, 10), (2, 10)]);
        let e = evictions(&q, 30, 15, 3 * MIN, &limits(30, 60));
        assert_eq!(e.drop, vec![1, 2]);
        assert!(e.admit);
    }

    #[test]
    fn too_old_samples_go_even_with_room() {
        let q = metas(&[(0, 1), (5, 1), (20, 1)]);
        // max age 10 min at minute 15: minute 0 is too old, 5 is exactly at the limit.
        let e = evictions(&q, 3, 1, 15 * MIN, &limits(1000, 10));
        assert_eq!(e.drop, vec![1]);
    }

    #[test]
    fn a_sample_larger_than_the_queue_is_refused_without_emptying_it() {
        let q = metas(&[(0, 10)]);
        let e = evictions(&q, 10, 100, MIN, &limits(50, 60));
        assert_eq!(
            e,
            Eviction {
                drop: vec![],
                admit: false
            }
        );
    }

    #[test]
    fn exact_fit_is_admitted() {
        let q = metas(&[(0, 10), (1, 10)]);
        let e = evictions(&q, 20, 10, MIN, &limits(30, 60));
        assert!(e.drop.is_empty() && e.admit);
    }

    proptest! {
        #[test]
        fn after_eviction_the_queue_respects_both_limits(
            sizes in proptest::collection::vec((0i64..100, 1u64..50), 0..40),
            incoming in 0u64..80,
            now_min in 0i64..200,
            max_bytes in 1u64..300,
            max_age_min in 1u64..100,
        ) {
            let mut sizes = sizes;
            sizes.sort_by_key(|s| s.0);
            let q = metas(&sizes);
            let total: u64 = q.iter().map(|m| m.len).sum();
            let l = limits(max_bytes, max_age_min);
            let e = evictions(&q, total, incoming, now_min * MIN, &l);
            // Drops are a prefix: oldest first, never a hole.
            let expected: Vec<u64> = q.iter().take(e.drop.len()).map(|m| m.seq).collect();
            prop_assert_eq!(&e.drop, &expected);
            let kept = &q[e.drop.len()..];
            let kept_bytes: u64 = kept.iter().map(|m| m.len).sum();
            prop_assert_eq!(e.admit, incoming <= max_bytes);
            let room = if e.admit { max_bytes - incoming } else { max_bytes };
            prop_assert!(kept_bytes <= room);
            let cutoff = oldest_allowed_us(now_min * MIN, &l);
            prop_assert!(kept.iter().all(|m| m.at_us >= cutoff));
            // Minimal: keeping the last dropped one would break a limit.
            if let Some(last) = q[..e.drop.len()].last() {
                prop_assert!(last.at_us < cutoff || kept_bytes + last.len > room);
            }
        }
    }
}
