use super::*;
use crate::mqtt::topic::parse;
use edgemon_shared::envelope::{Document, Sample, key_hash};

const A: Uuid = Uuid::from_u128(0xa);
const B: Uuid = Uuid::from_u128(0xb);

fn known(id: Uuid, key: &str) -> Known {
    Known {
        id,
        org: Uuid::from_u128(1),
        org_slug: "acme".into(),
        key_hash: key_hash(key),
        active: true,
    }
}

fn batch(device: Uuid) -> Batch {
    Batch {
        device,
        samples: vec![Sample {
            seq: 1,
            collected_at_us: 1,
            document: Document::from_json(r#"{"type":"DeviceMonitoring"}"#).unwrap(),
        }],
    }
}

fn topic(device: Uuid, leaf: &str) -> Option<Topic> {
    parse(&format!("edgemon/v1/acme/{device}/{leaf}"))
}

fn reason(v: &Verdict) -> Option<DeadReason> {
    match v {
        Verdict::Dead { reason, .. } => Some(*reason),
        _ => None,
    }
}

#[test]
fn a_batch_signed_by_its_device_is_ingested() {
    let payload = batch(A).encode_signed(&key_hash("key a"));
    let v = check(
        topic(A, "samples").as_ref(),
        &payload,
        Some(&known(A, "key a")),
    );
    assert!(
        matches!(v, Verdict::Batch { device, .. } if device == A),
        "{v:?}"
    );
}

#[test]
fn another_devices_key_cannot_forge_a_batch() {
    // B publishes on A's topic, naming A, signed with B's key.
    let forged = batch(A).encode_signed(&key_hash("key b"));
    let v = check(
        topic(A, "samples").as_ref(),
        &forged,
        Some(&known(A, "key a")),
    );
    assert_eq!(reason(&v), Some(DeadReason::Unauthenticated));
    // B's own valid batch replayed on A's topic.
    let replay = batch(B).encode_signed(&key_hash("key b"));
    let v = check(
        topic(A, "samples").as_ref(),
        &replay,
        Some(&known(A, "key a")),
    );
    assert_eq!(reason(&v), Some(DeadReason::Unauthenticated));
    // An unsigned (version 1) batch.
    let v = check(
        topic(A, "samples").as_ref(),
        &batch(A).encode(),
        Some(&known(A, "key a")),
    );
    assert_eq!(reason(&v), Some(DeadReason::Undecodable));
}

#[test]
fn other_dead_letters() {
    let k = known(A, "key a");
    let good = batch(A).encode_signed(&key_hash("key a"));
    assert_eq!(
        reason(&check(None, &good, Some(&k))),
        Some(DeadReason::BadTopic)
    );
    assert_eq!(
        reason(&check(topic(A, "samples").as_ref(), b"garbage", Some(&k))),
        Some(DeadReason::Undecodable)
    );
    assert_eq!(
        reason(&check(topic(A, "samples").as_ref(), &good, None)),
        Some(DeadReason::UnknownDevice)
    );
    let other_org = parse(&format!("edgemon/v1/globex/{A}/samples"));
    assert_eq!(
        reason(&check(other_org.as_ref(), &good, Some(&k))),
        Some(DeadReason::Unauthenticated)
    );
    let inactive = Known {
        active: false,
        ..k.clone()
    };
    assert_eq!(
        reason(&check(topic(A, "samples").as_ref(), &good, Some(&inactive))),
        Some(DeadReason::Inactive)
    );
    assert_eq!(
        reason(&check(topic(A, "status").as_ref(), b"maybe", Some(&k))),
        Some(DeadReason::Undecodable)
    );
}

#[test]
fn status_messages() {
    let k = known(A, "key a");
    assert!(matches!(
        check(topic(A, "status").as_ref(), b"offline", Some(&k)),
        Verdict::Status { online: false, device } if device == A
    ));
    assert!(matches!(
        check(topic(A, "status").as_ref(), b"online", Some(&k)),
        Verdict::Status { online: true, .. }
    ));
}
