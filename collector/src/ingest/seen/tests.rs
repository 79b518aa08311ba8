use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

#[test]
fn in_order_batches_are_all_fresh_and_compact_to_a_floor() {
    let mut s = SeenSet::default();
    let a = s.admit(&[1, 2, 3]);
    assert_eq!(a.fresh, vec![0, 1, 2]);
    assert_eq!((a.duplicates, a.lost), (0, 0));
    assert_eq!((s.floor(), s.ranges()), (3, &[][..]));
}

#[test]
fn a_resent_batch_is_all_duplicates() {
    let mut s = SeenSet::default();
    s.admit(&[1, 2, 3]);
    let a = s.admit(&[1, 2, 3]);
    assert!(a.fresh.is_empty());
    assert_eq!(a.duplicates, 3);
    let a = s.admit(&[2, 3, 4]);
    assert_eq!(a.fresh, vec![2]);
    assert_eq!(a.duplicates, 2);
}

#[test]
fn the_newest_sample_sent_early_does_not_hide_the_backlog() {
    // The agent's native batches: the oldest samples plus the newest one.
    let mut s = SeenSet::default();
    assert_eq!(s.admit(&[1, 2, 3, 50]).fresh.len(), 4);
    assert_eq!(s.ranges(), &[(50, 50)][..]);
    let a = s.admit(&[4, 5, 6, 51]);
    assert_eq!(a.fresh.len(), 4);
    assert_eq!(a.lost, 0, "4..=49 are still queued on the agent");
    assert_eq!(s.ranges(), &[(50, 51)][..]);
    let a = s.admit(&(7..=51).collect::<Vec<_>>());
    assert_eq!(a.fresh.len(), 43);
    assert_eq!(a.duplicates, 2);
    assert_eq!((s.floor(), s.ranges()), (51, &[][..]));
}

#[test]
fn holes_below_a_batch_are_lost_once() {
    let mut s = SeenSet::default();
    s.admit(&[1, 2]);
    let a = s.admit(&[10, 11]);
    assert_eq!(a.lost, 7, "3..=9 were dropped by the agent");
    assert_eq!(s.lost(), 7);
    let a = s.admit(&[5, 12]);
    assert_eq!((a.lost, a.late), (0, 1));
    assert_eq!(
        a.fresh,
        vec![0, 1],
        "a number counted lost that arrives is stored"
    );
    assert_eq!(s.lost(), 6);
    let a = s.admit(&[5, 13]);
    assert_eq!((a.fresh, a.duplicates, a.lost), (vec![1], 1, 0));
}

#[test]
fn a_reordered_batch_is_stored_late() {
    // A broker delivered batch [5..8] before [1..4].
    let mut s = SeenSet::default();
    assert_eq!(s.admit(&[5, 6, 7, 8]).lost, 4);
    let a = s.admit(&[1, 2, 3, 4]);
    assert_eq!((a.fresh.len(), a.late), (4, 4));
    assert_eq!((s.lost(), s.floor(), s.settled()), (0, 8, 8));
}

#[test]
fn zero_is_not_a_sequence_number() {
    let mut s = SeenSet::default();
    let a = s.admit(&[0, 1]);
    assert_eq!(a.fresh, vec![1]);
    assert_eq!(a.duplicates, 1);
    assert_eq!(a.lost, 0);
}

#[test]
fn repeats_inside_one_batch_are_stored_once() {
    let mut s = SeenSet::default();
    let a = s.admit(&[3, 3, 5, 3]);
    assert_eq!(a.fresh, vec![0, 2]);
    assert_eq!(a.duplicates, 2);
    assert_eq!(a.lost, 2);
}

#[test]
fn ranges_stay_bounded() {
    let mut s = SeenSet::default();
    s.admit(&[1]);
    for i in 0..(MAX_RANGES as u64 * 3) {
        s.admit(&[2, 1000 + 2 * i]);
        assert!(s.ranges().len() <= MAX_RANGES);
    }
    assert!(s.lost() > 0);
    assert!(s.contains(1000 + 2 * (MAX_RANGES as u64 * 3 - 1)));
}

/// The naive model: sets of stored and given-up numbers.
#[derive(Default)]
struct Model {
    stored: BTreeSet<u64>,
    given_up: BTreeSet<u64>,
    counted_to: u64,
}

impl Model {
    fn settled(&self, n: u64) -> bool {
        self.stored.contains(&n) || self.given_up.contains(&n)
    }

    fn count_to(&mut self, to: u64) -> u64 {
        let k = (self.counted_to + 1..=to)
            .filter(|&n| !self.settled(n))
            .count() as u64;
        self.counted_to = self.counted_to.max(to);
        k
    }

    /// Numbers counted and still not stored.
    fn lost(&self) -> u64 {
        (1..=self.counted_to)
            .filter(|n| !self.stored.contains(n))
            .count() as u64
    }

    /// Settled ranges above the contiguous prefix.
    fn ranges(&self) -> Vec<(u64, u64)> {
        let all: BTreeSet<u64> = self.stored.union(&self.given_up).copied().collect();
        let mut floor = 0;
        while all.contains(&(floor + 1)) {
            floor += 1;
        }
        let mut out: Vec<(u64, u64)> = Vec::new();
        for &n in all.range(floor + 2..) {
            match out.last_mut() {
                Some((_, b)) if *b + 1 == n => *b = n,
                _ => out.push((n, n)),
            }
        }
        out
    }

    fn admit(&mut self, seqs: &[u64]) -> Admission {
        let mut out = Admission::default();
        if let Some(oldest) = seqs.iter().copied().filter(|&s| s > 0).min() {
            out.lost += self.count_to(oldest - 1);
        }
        for (i, &n) in seqs.iter().enumerate() {
            if n == 0 || self.settled(n) {
                out.duplicates += 1;
            } else {
                self.stored.insert(n);
                out.fresh.push(i);
                if n <= self.counted_to {
                    out.late += 1;
                }
            }
        }
        loop {
            let r = self.ranges();
            if r.len() <= MAX_RANGES {
                break;
            }
            let below = r[0].0 - 1;
            out.lost += self.count_to(below);
            let holes: Vec<u64> = (1..=below).filter(|&n| !self.settled(n)).collect();
            self.given_up.extend(holes);
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_the_model_and_survives_persistence(
        batches in prop::collection::vec(prop::collection::vec(0u64..200, 0..12), 0..80),
        reload_every in 1usize..8,
    ) {
        let mut s = SeenSet::default();
        let mut m = Model::default();
        let mut stored_twice = BTreeSet::new();
        let mut ever = BTreeSet::new();
        for (k, b) in batches.iter().enumerate() {
            let got = s.admit(b);
            let want = m.admit(b);
            prop_assert_eq!(&got, &want);
            for &i in &got.fresh {
                if !ever.insert(b[i]) {
                    stored_twice.insert(b[i]);
                }
            }
            prop_assert_eq!(s.lost(), m.lost());
            prop_assert_eq!(s.settled(), (1..=250).filter(|&n| m.settled(n)).count() as u64);
            prop_assert_eq!(s.ranges(), &m.ranges()[..]);
            for n in 1..210 {
                prop_assert_eq!(s.contains(n), m.settled(n), "number {}", n);
            }
            if k % reload_every == 0 {
                let bytes = postcard::to_allocvec(&s).unwrap();
                s = postcard::from_bytes(&bytes).unwrap();
            }
        }
        prop_assert!(stored_twice.is_empty(), "stored twice: {stored_twice:?}");
    }
}
