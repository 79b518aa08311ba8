//! Deterministic randomness: every "random" value of a simulated router is a hash of the
//! device seed and a few tags (what the value is, which client, which time slot), so the
//! same seed and time always give the same answer and no state has to be kept.

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit permutation.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hash of the seed and the tags, in a stable order.
pub fn hash(seed: u64, tags: &[u64]) -> u64 {
    tags.iter().fold(mix(seed ^ 0x9e37_79b9_7f4a_7c15), |h, t| {
        mix(h.wrapping_add(0x9e37_79b9_7f4a_7c15) ^ *t)
    })
}

/// A stable tag for a name (FNV-1a), so call sites can say `tag("wan")`.
pub const fn tag(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h = (h ^ bytes[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

/// Uniform in `[0, 1)`.
pub fn unit(seed: u64, tags: &[u64]) -> f64 {
    (hash(seed, tags) >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform in `[lo, hi)`.
pub fn range(seed: u64, tags: &[u64], lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(seed, tags)
}

/// An index below `n` (`n > 0`).
pub fn below(seed: u64, tags: &[u64], n: usize) -> usize {
    (hash(seed, tags) % n as u64) as usize
}

/// Smooth noise in `[-1, 1]`: random knots every `period` seconds, cosine-interpolated,
/// so drifting values (signal, memory) change gradually rather than jump.
pub fn smooth(seed: u64, what: u64, t: f64, period: f64) -> f64 {
    let x = t / period;
    let k = x.floor();
    let knot = |k: f64| 2.0 * unit(seed, &[what, k as i64 as u64]) - 1.0;
    let w = (1.0 - ((x - k) * std::f64::consts::PI).cos()) / 2.0;
    knot(k) * (1.0 - w) + knot(k + 1.0) * w
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn different_tags_give_different_values() {
        assert_ne!(hash(1, &[1, 2]), hash(1, &[2, 1]));
        assert_ne!(hash(1, &[]), hash(2, &[]));
        assert_ne!(tag("wan"), tag("lan"));
    }

    #[test]
    fn units_spread_over_the_interval() {
        let n = 10_000u64;
        let below_half = (0..n).filter(|i| unit(7, &[*i]) < 0.5).count();
        assert!((4_700..5_300).contains(&below_half), "{below_half}");
    }

    proptest! {
        #[test]
        fn ranges_and_noise_stay_in_bounds(seed: u64, t in 0.0f64..4e9, a in 0u64..1000) {
            let u = unit(seed, &[a]);
            prop_assert!((0.0..1.0).contains(&u));
            prop_assert!(below(seed, &[a], 7) < 7);
            let s = smooth(seed, a, t, 600.0);
            prop_assert!((-1.0..=1.0).contains(&s));
            // Continuity: one second later the noise has barely moved.
            prop_assert!((smooth(seed, a, t + 1.0, 600.0) - s).abs() < 0.01);
        }
    }
}
