//! Parsing a request body into a [`serde_json::Value`] with every object and array
//! allocated once at its final size.
//!
//! `serde_json::from_slice::<Value>` grows each object's `IndexMap` (entries and index) and
//! each array one insert at a time: for the ~4 KB NetJSON documents of ingest that was a
//! third of the parse in reallocations (perf: `realloc` 8 % and `IndexMap::insert_full`
//! 10 % of the collector's samples under the OpenWISP load, docs/benchmarks.md). Here the
//! members of every open container wait on one scratch stack shared by the whole parse and
//! are moved into a container of exactly their number once it closes.
//!
//! The result is the `Value` that `serde_json::from_slice` gives for the same bytes, and a
//! body it rejects is rejected with the same error (the same parser reads the bytes; only
//! the building of the tree differs): a later duplicate key replaces the earlier value in
//! the earlier key's place, as `Map::insert` (and Python's `json`) do. One deliberate
//! difference: a key spelled `$serde_json::private::RawValue` is an ordinary key here,
//! where `serde_json`'s own visitor (with its `raw_value` feature) takes it for its
//! private raw-value marker.

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Parses `body` as one JSON value (whitespace around it allowed, nothing else).
pub fn parse(body: &[u8]) -> Result<Value, serde_json::Error> {
    // The thread's scratch stack, grown by earlier documents, is lent to this parse (and
    // a fresh one to a parse nested in it, should one ever be).
    let mut scratch = SCRATCH.with(std::cell::Cell::take);
    let result = parse_with(body, &mut scratch);
    // What a huge document grew is not kept for the thread's life.
    if scratch.members.capacity() + scratch.elements.capacity() <= SCRATCH_KEPT {
        scratch.members.clear();
        scratch.elements.clear();
        SCRATCH.with(|cell| cell.set(scratch));
    }
    result
}

fn parse_with(body: &[u8], scratch: &mut Scratch) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = Seed { scratch }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Members and elements a thread's scratch keeps room for between parses, at most.
const SCRATCH_KEPT: usize = 4096;

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// The members of the containers still open, innermost last.
#[derive(Default)]
struct Scratch {
    members: Vec<(String, Value)>,
    elements: Vec<Value>,
}

struct Seed<'a> {
    scratch: &'a mut Scratch,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let base = self.scratch.elements.len();
        let result = loop {
            match seq.next_element_seed(Seed {
                scratch: &mut *self.scratch,
            }) {
                Ok(Some(v)) => self.scratch.elements.push(v),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        // `drain` of the exact range: the new Vec is allocated once at its size.
        let elements: Vec<Value> = self.scratch.elements.drain(base..).collect();
        result.map(|()| Value::Array(elements))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let base = self.scratch.members.len();
        let result = loop {
            let key = match map.next_key::<String>() {
                Ok(Some(k)) => k,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            match map.next_value_seed(Seed {
                scratch: &mut *self.scratch,
            }) {
                Ok(v) => self.scratch.members.push((key, v)),
                Err(e) => break Err(e),
            }
        };
        let object: Map<String, Value> = self.scratch.members.drain(base..).collect();
        result.map(|()| Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use proptest::prelude::*;
    use serde_json::Value;

    fn stock(body: &[u8]) -> Result<Value, String> {
        serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())
    }

    fn ours(body: &[u8]) -> Result<Value, String> {
        parse(body).map_err(|e| e.to_string())
    }

    /// Equal values, and the same key order in every object (`Value`'s `==` ignores it).
    fn same(body: &[u8]) {
        let (a, b) = (stock(body), ours(body));
        assert_eq!(a, b, "{}", String::from_utf8_lossy(body));
        if let (Ok(a), Ok(b)) = (a, b) {
            assert_eq!(a.to_string(), b.to_string());
        }
    }

    #[test]
    fn documents_parse_as_serde_json_parses_them() {
        for body in [
            &br#"{"type":"DeviceMonitoring","general":{"uptime":5},"interfaces":[]}"#[..],
            br"  [1, -2, 3.5, 1e3, 18446744073709551615, 18446744073709551616, -9223372036854775809]  ",
            br#"{"b":1,"a":{"c":[{"d":null},true,false,"x\u00e9\n"]},"e":{}}"#,
            br#"{"a":[[],[[]],{}]}"#,
            b"\"just a string\"",
            b"0",
        ] {
            same(body);
        }
    }

    #[test]
    fn a_later_duplicate_key_replaces_the_value_in_the_first_place() {
        let body = br#"{"a":1,"b":2,"a":{"x":[1]},"c":3}"#;
        same(body);
        assert_eq!(
            ours(body).unwrap().to_string(),
            r#"{"a":{"x":[1]},"b":2,"c":3}"#
        );
    }

    #[test]
    fn bad_bodies_get_serde_json_s_errors() {
        for body in [
            &b""[..],
            b"{",
            b"{\"a\":}",
            b"[1,]",
            b"{\"a\":1} x",
            b"{\"a\":1,}",
            b"[1 2]",
            b"{1:2}",
            b"\"\xff\"",
            b"nul",
            b"1e999",
            b"{\"a\":[{\"b\":[1,{\"c\":tru}]}]}",
        ] {
            let (a, b) = (stock(body), ours(body));
            assert!(a.is_err(), "{body:?}");
            assert_eq!(a, b, "{body:?}");
        }
        // The parser's recursion limit still holds.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(stock(deep.as_bytes()), ours(deep.as_bytes()));
        assert!(ours(deep.as_bytes()).is_err());
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-c\\\\\"é\u{1F600}]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                // Few distinct keys, so that objects of more members repeat some.
                prop::collection::vec(("[a-d]{1,2}", inner), 0..8)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    /// An object's members written out with a duplicate of one key, when it has members.
    fn with_duplicates(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                let mut parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), with_duplicates(v)))
                    .collect();
                if let Some((k, _)) = m.iter().next() {
                    parts.push(format!("{}:[0]", Value::from(k.as_str())));
                }
                format!("{{{}}}", parts.join(","))
            }
            Value::Array(a) => format!(
                "[{}]",
                a.iter().map(with_duplicates).collect::<Vec<_>>().join(",")
            ),
            other => other.to_string(),
        }
    }

    proptest! {
        #[test]
        fn any_json_parses_as_serde_json_parses_it(v in json()) {
            same(v.to_string().as_bytes());
            same(serde_json::to_string_pretty(&v).unwrap().as_bytes());
            same(with_duplicates(&v).as_bytes());
        }

        #[test]
        fn any_truncation_fails_as_serde_json_fails(v in json(), cut in any::<prop::sample::Index>()) {
            let text = v.to_string();
            let body = &text.as_bytes()[..cut.index(text.len() + 1)];
            prop_assert_eq!(stock(body), ours(body));
        }
    }
}
