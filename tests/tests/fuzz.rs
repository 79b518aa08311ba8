//! Bounded fuzzing of every parser that takes input from outside: random and mutated
//! inputs must give an answer (a value or an error), never a panic, and what parses must
//! keep its invariants. Each target is a proptest property with the default configuration,
//! so `PROPTEST_CASES` sets the executions: 256 per target in `scripts/test`, as many as
//! wanted with `scripts/fuzz` (see `docs/reliability.md`).
//!
//! Targets: the NetJSON parser and validator, the native envelope (plain and signed), the
//! UCI parser (agent config and `uci export`), the OpenWISP `time` codec, the MQTT message
//! path (topic + payload → verdict) and the chart API's query parameters.

use edgemon_collector::charts::range::{RangeParams, resolve};
use edgemon_collector::mqtt::check::{Known, check};
use edgemon_collector::mqtt::topic;
use edgemon_shared::envelope::{Batch, Document, Sample};
use proptest::prelude::*;
use uuid::Uuid;

/// JSON text: mostly well-formed values shaped like NetJSON (with the keys the schema
/// knows), sometimes cut or with a byte flipped.
fn json_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("type".to_owned()),
        Just("general".to_owned()),
        Just("resources".to_owned()),
        Just("interfaces".to_owned()),
        Just("statistics".to_owned()),
        Just("wireless".to_owned()),
        Just("clients".to_owned()),
        Just("load".to_owned()),
        Just("name".to_owned()),
        Just("mac".to_owned()),
        "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        Just(serde_json::Value::from("DeviceMonitoring")),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    });
    (value, any::<u16>(), any::<u8>(), 0u8..4).prop_map(|(v, at, byte, how)| {
        let mut bytes = serde_json::json!({"type": "DeviceMonitoring", "x": v})
            .to_string()
            .into_bytes();
        let at = usize::from(at) % bytes.len();
        match how {
            0 => bytes.truncate(at),
            1 => bytes[at] = byte,
            _ => {}
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn mutate(mut bytes: Vec<u8>, flips: &[(u16, u8)], cut: Option<u16>) -> Vec<u8> {
    for &(at, b) in flips {
        if !bytes.is_empty() {
            let i = usize::from(at) % bytes.len();
            bytes[i] = b;
        }
    }
    if let Some(c) = cut {
        bytes.truncate(usize::from(c) % (bytes.len() + 1));
    }
    bytes
}

fn batch(seqs: &[u64], docs: &[String]) -> Batch {
    Batch {
        device: Uuid::from_u128(7),
        samples: seqs
            .iter()
            .zip(docs)
            .map(|(&seq, d)| Sample {
                seq,
                collected_at_us: i64::try_from(seq).unwrap_or(0),
                document: Document::from_json(d.clone())
                    .unwrap_or_else(|_| Document::from_json("{}").unwrap()),
            })
            .collect(),
    }
}

proptest! {
    // The default case count, so PROPTEST_CASES sets it; no regression files for an
    // integration test (regressions found are added as explicit tests).
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn netjson_parser_and_validator(text in json_text(), raw in prop::collection::vec(any::<u8>(), 0..64)) {
        for body in [text.as_bytes(), &raw[..]] {
            if let Ok(v) = edgemon_shared::validate::parse_and_validate(body) {
                // What validates, types.
                let value: serde_json::Value = serde_json::from_slice(body).unwrap();
                prop_assert!(edgemon_shared::validate::typed(&value).is_ok());
                let _ = v;
            }
        }
    }

    #[test]
    fn native_envelope(
        seqs in prop::collection::vec(any::<u64>(), 0..4),
        docs in prop::collection::vec(json_text(), 4),
        flips in prop::collection::vec((any::<u16>(), any::<u8>()), 0..3),
        cut in prop::option::of(any::<u16>()),
        key in any::<[u8; 32]>(),
    ) {
        let b = batch(&seqs, &docs);
        for encoded in [b.encode(), b.encode_signed(&key), b.to_json().into_bytes()] {
            let bytes = mutate(encoded.clone(), &flips, cut);
            let untouched = bytes == encoded;
            if let Ok(back) = Batch::decode(&bytes) && untouched {
                prop_assert_eq!(&back, &b);
            }
            // A mutated signed envelope never verifies as anything but the original.
            if let Ok(s) = edgemon_shared::envelope::Signed::decode(&bytes) && !untouched {
                prop_assert!(!s.verify(&key) || s.batch == b);
            }
            let _ = Batch::from_json(&bytes);
        }
    }

    #[test]
    fn uci_parser(
        lines in prop::collection::vec(
            prop_oneof![
                "config [a-z]{1,6}( '?[a-z]{0,6}'?)?",
                "\toption [a-z_]{1,10} '[^']{0,12}'",
                "\tlist [a-z_]{1,6} \"[^\"]{0,8}\"",
                ".{0,30}",
            ],
            0..12,
        ),
    ) {
        let text = lines.join("\n");
        let _ = edgemon_agent::collect::uci::parse(&text);
        let opts = edgemon_agent::config::sources::uci_options(&text, "fuzz");
        let _ = edgemon_agent::config::sources::openwisp_options(&text, "fuzz");
        // Whatever the file holds, building a config answers (a config or an error naming
        // the option).
        let _ = edgemon_agent::config::Config::from_options(&opts);
    }

    #[test]
    fn time_codec(
        text in prop_oneof![
            "[0-9]{1,2}-[0-9]{1,2}-[0-9]{1,5}_[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]{0,9})?",
            "[0-9_:.\\- ]{0,30}",
            ".{0,30}",
        ],
    ) {
        if let Ok(t) = edgemon_shared::time::parse_openwisp_time(&text) {
            let again = edgemon_shared::time::format_openwisp_time(t);
            prop_assert_eq!(edgemon_shared::time::parse_openwisp_time(&again).unwrap(), t);
        }
    }

    #[test]
    fn mqtt_message_path(
        topic_text in prop_oneof![
            "edgemon/v1/[a-z]{1,6}/[0-9a-f\\-]{0,40}/(samples|status|x)",
            ".{0,60}",
        ],
        seqs in prop::collection::vec(any::<u64>(), 0..3),
        docs in prop::collection::vec(json_text(), 3),
        flips in prop::collection::vec((any::<u16>(), any::<u8>()), 0..2),
        active in any::<bool>(),
    ) {
        let key = edgemon_shared::envelope::key_hash("device-key");
        let known = Known {
            id: Uuid::from_u128(7),
            org: Uuid::from_u128(1),
            org_slug: "acme".into(),
            key_hash: key,
            active,
        };
        let payload = mutate(batch(&seqs, &docs).encode_signed(&key), &flips, None);
        let t = topic::parse(&topic_text);
        for k in [None, Some(&known)] {
            let _ = check(t.as_ref(), &payload, k);
            let _ = check(t.as_ref(), b"online", k);
        }
    }

    #[test]
    fn chart_query_parameters(
        time in prop::option::of(prop_oneof!["[0-9]{1,4}d", ".{0,8}"]),
        start in prop::option::of(prop_oneof!["20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", ".{0,20}"]),
        end in prop::option::of(prop_oneof!["20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", ".{0,20}"]),
        timezone in prop::option::of(prop_oneof![Just("Europe/Rome".to_owned()), Just("UTC".to_owned()), ".{0,16}"]),
        now_us in 0i64..4_102_444_800_000_000,
    ) {
        let params = RangeParams {
            time: time.as_deref(),
            start: start.as_deref(),
            end: end.as_deref(),
            timezone: timezone.as_deref(),
        };
        if let Ok(r) = resolve(params, now_us, &jiff::tz::TimeZone::UTC) {
            prop_assert!(r.start_us <= r.end_us, "{:?}", r);
        }
    }
}
