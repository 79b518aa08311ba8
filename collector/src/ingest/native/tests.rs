use super::*;
use crate::tsdb::FieldValue;
use edgemon_shared::envelope::Document;
use proptest::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

fn device() -> DeviceInfo {
    DeviceInfo {
        id: Uuid::from_u128(7),
        organization_id: Uuid::from_u128(9),
        location_id: None,
        floorplan_id: None,
    }
}

/// Sample `seq` of a router whose eth0 counters are `rx`/`tx`.
fn sample(seq: u64, rx: u64, tx: u64) -> Sample {
    Sample {
        seq,
        collected_at_us: 1_700_000_000_000_000 + i64::try_from(seq).unwrap() * 60_000_000,
        document: Document::from_json(format!(
            r#"{{"type":"DeviceMonitoring","interfaces":[{{"name":"eth0","statistics":{{"rx_bytes":{rx},"tx_bytes":{tx}}}}}]}}"#
        ))
        .unwrap(),
    }
}

type Stored = BTreeMap<(String, i64), BTreeMap<String, FieldValue>>;

/// What the store holds after these writes: same series and time merge, later fields win.
fn merge(into: &mut Stored, points: Vec<Point>) {
    for p in points {
        let key = (
            format!("{} {:?} {:?}", p.measurement, p.retention, p.tags),
            p.time_us,
        );
        into.entry(key).or_default().extend(p.fields);
    }
}

fn traffic(stored: &Stored) -> BTreeMap<i64, (FieldValue, FieldValue)> {
    stored
        .iter()
        .filter(|((k, _), _)| k.starts_with("traffic "))
        .map(|((_, t), f)| (*t, (f["rx_bytes"].clone(), f["tx_bytes"].clone())))
        .collect()
}

/// Counters of sample `seq` in the property tests: growing, with a reset at 40.
fn counters(seq: u64) -> (u64, u64) {
    if seq < 40 {
        (seq * 1000 + seq * seq, seq * 10)
    } else {
        (seq - 39, 2 * (seq - 39))
    }
}

fn in_order(seqs: impl IntoIterator<Item = u64>) -> Stored {
    let mut ledger = DeviceLedger::new(PreviousCounters::none());
    let mut stored = Stored::new();
    for seq in seqs {
        let (rx, tx) = counters(seq);
        let (points, _) = apply(
            &mut ledger,
            &device(),
            vec![sample(seq, rx, tx)],
            transform::Options::default(),
            1,
        );
        merge(&mut stored, points);
    }
    stored
}

#[test]
fn in_order_deltas_match_the_openwisp_derivation() {
    let mut ledger = DeviceLedger::new(PreviousCounters::none());
    let (points, outcome) = apply(
        &mut ledger,
        &device(),
        vec![sample(1, 100, 10), sample(2, 250, 30), sample(3, 50, 5)],
        transform::Options::default(),
        42,
    );
    assert_eq!(outcome.stored, 3);
    let mut stored = Stored::new();
    merge(&mut stored, points);
    let t = traffic(&stored);
    let v: Vec<_> = t.values().cloned().collect();
    assert_eq!(
        v,
        vec![
            (FieldValue::Int(100), FieldValue::Int(10)),
            (FieldValue::Int(150), FieldValue::Int(20)),
            (FieldValue::Int(50), FieldValue::Int(5)), // counter reset: the whole value
        ]
    );
    let snapshots: Vec<_> = stored
        .keys()
        .filter(|(k, _)| k.starts_with("device_data"))
        .collect();
    assert_eq!(snapshots.len(), 1, "one device_data point, at now");
    assert_eq!(snapshots[0].1, 42);
}

#[test]
fn a_sample_stored_early_is_recomputed_when_its_predecessor_arrives() {
    let mut ledger = DeviceLedger::new(PreviousCounters::none());
    let mut stored = Stored::new();
    let opts = transform::Options::default();
    let (p, _) = apply(
        &mut ledger,
        &device(),
        vec![sample(1, 100, 0), sample(4, 400, 0)],
        opts,
        1,
    );
    merge(&mut stored, p);
    let t4 = sample(4, 0, 0).collected_at_us;
    assert_eq!(
        traffic(&stored)[&t4].0,
        FieldValue::Int(300),
        "against 1 for now"
    );
    let (p, o) = apply(
        &mut ledger,
        &device(),
        vec![sample(2, 200, 0), sample(3, 330, 0)],
        opts,
        2,
    );
    assert_eq!((o.stored, o.lost), (2, 0));
    merge(&mut stored, p);
    assert_eq!(
        traffic(&stored)[&t4].0,
        FieldValue::Int(70),
        "against 3 now"
    );
    let mut want = Stored::new();
    let mut l = DeviceLedger::new(PreviousCounters::none());
    for (s, rx) in [(1, 100), (2, 200), (3, 330), (4, 400)] {
        merge(
            &mut want,
            apply(&mut l, &device(), vec![sample(s, rx, 0)], opts, 2).0,
        );
    }
    assert_eq!(traffic(&stored), traffic(&want));
}

#[test]
fn a_replayed_batch_after_a_lost_ledger_commit_writes_the_same_points() {
    // Crash between the time-series commit and the ledger commit: the batch comes again
    // and meets the ledger as it was before it.
    let mut ledger = DeviceLedger::new(PreviousCounters::none());
    let opts = transform::Options::default();
    apply(&mut ledger, &device(), vec![sample(1, 100, 1)], opts, 1);
    let before = ledger.clone();
    let batch = vec![sample(2, 150, 2), sample(3, 170, 3), sample(9, 900, 9)];
    let (first, _) = apply(&mut ledger, &device(), batch.clone(), opts, 5);
    let mut replayed_ledger = before;
    let (again, outcome) = apply(&mut replayed_ledger, &device(), batch.clone(), opts, 5);
    assert_eq!(first, again);
    assert_eq!(outcome.stored, 3);
    assert_eq!(replayed_ledger, ledger);
    // ... while a replay after the commit stores nothing.
    let (none, outcome) = apply(&mut ledger, &device(), batch, opts, 6);
    assert!(none.is_empty());
    assert_eq!(outcome.duplicates, 3);
}

#[test]
fn invalid_documents_are_reported_and_settled() {
    let mut ledger = DeviceLedger::new(PreviousCounters::none());
    let bad = Sample {
        seq: 2,
        collected_at_us: 5,
        document: Document::from_json(r#"{"type":"Nope"}"#).unwrap(),
    };
    let (_, o) = apply(
        &mut ledger,
        &device(),
        vec![sample(1, 1, 1), bad.clone(), sample(3, 3, 3)],
        transform::Options::default(),
        1,
    );
    assert_eq!(o.stored, 2);
    assert_eq!(o.invalid.len(), 1);
    assert_eq!(o.invalid[0].seq, 2);
    assert!(
        o.invalid[0].error.contains("type"),
        "{}",
        o.invalid[0].error
    );
    let (_, o) = apply(
        &mut ledger,
        &device(),
        vec![bad],
        transform::Options::default(),
        1,
    );
    assert_eq!((o.stored, o.duplicates), (0, 1));
}

#[test]
fn the_first_native_sample_counts_from_the_previous_openwisp_snapshot() {
    let base = PreviousCounters::from_snapshot(&serde_json::json!({
        "interfaces": [{"name": "eth0", "statistics": {"rx_bytes": 60, "tx_bytes": 6}}]
    }));
    let mut ledger = DeviceLedger::new(base);
    let (p, _) = apply(
        &mut ledger,
        &device(),
        vec![sample(1, 100, 10)],
        transform::Options::default(),
        1,
    );
    let mut stored = Stored::new();
    merge(&mut stored, p);
    assert_eq!(
        traffic(&stored).into_values().collect::<Vec<_>>(),
        vec![(FieldValue::Int(40), FieldValue::Int(4))]
    );
}

/// How the agent forms batches: its oldest queued samples plus its newest.
fn agent_batches(total: u64, batch_max: usize, per_tick: u64, resend: &[bool]) -> Vec<Vec<u64>> {
    let mut queue: Vec<u64> = Vec::new();
    let mut next = 1;
    let mut out = Vec::new();
    let mut tick = 0;
    while next <= total || !queue.is_empty() {
        for _ in 0..per_tick {
            if next <= total {
                queue.push(next);
                next += 1;
            }
        }
        let mut batch: Vec<u64> = queue.iter().take(batch_max - 1).copied().collect();
        if let Some(&newest) = queue.last()
            && !batch.contains(&newest)
        {
            batch.push(newest);
        }
        out.push(batch.clone());
        if resend.get(tick).copied().unwrap_or(false) {
            out.push(batch.clone()); // the acknowledgement was lost
        }
        queue.retain(|s| !batch.contains(s));
        tick += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever the batching, the duplicates, the reordering and the crash replays, the store ends up
    /// holding what in-order, one-by-one ingestion writes.
    #[test]
    fn any_delivery_stores_what_in_order_ingestion_stores(
        total in 1u64..70,
        batch_max in 2usize..12,
        per_tick in 1u64..6,
        resend in prop::collection::vec(any::<bool>(), 0..40),
        crash in prop::collection::vec(any::<bool>(), 0..40),
        swaps in prop::collection::vec((0usize..100, 0usize..100), 0..6),
    ) {
        let opts = transform::Options::default();
        let mut ledger = DeviceLedger::new(PreviousCounters::none());
        let mut stored = Stored::new();
        let mut batches = agent_batches(total, batch_max, per_tick, &resend);
        // a broker may deliver some batches out of order
        let n = batches.len();
        for (a, b) in swaps {
            batches.swap(a % n, b % n);
        }
        for (i, batch) in batches.into_iter().enumerate() {
            let samples: Vec<Sample> = batch.iter().map(|&s| { let (rx, tx) = counters(s); sample(s, rx, tx) }).collect();
            if crash.get(i).copied().unwrap_or(false) {
                // stored, but the ledger commit is lost: the batch is redelivered.
                let mut lost = ledger.clone();
                merge(&mut stored, apply(&mut lost, &device(), samples.clone(), opts, 1).0);
            }
            let (points, _) = apply(&mut ledger, &device(), samples, opts, 1);
            merge(&mut stored, points);
        }
        prop_assert_eq!(traffic(&stored), traffic(&in_order(1..=total)));
        prop_assert_eq!(ledger.seen.floor(), total);
        prop_assert_eq!(ledger.seen.lost(), 0);
    }
}
