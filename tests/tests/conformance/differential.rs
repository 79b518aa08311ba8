//! Differential test against the reference's own validator: thousands of documents made by
//! mutating the reference payloads are judged by python-jsonschema with the reference
//! schema (`oracle.py`) and by edgemon; verdicts, paths and messages must agree.
//!
//! Needs `python3` with `jsonschema` 4.26 (`.ci/run` installs it); fails loudly without it.

use edgemon_shared::validate::validate;
use edgemon_tests::{fixtures, json_files};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

/// splitmix64: deterministic, dependency-free randomness for reproducible cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

/// Values that probe every keyword: wrong types, integral floats, IP edge cases, digit
/// strings of the IMEI/operator lengths, nested shapes of the signal sections.
fn pool() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(7),
        json!(1.5),
        json!(1.0),
        json!(-0.0),
        json!(1e20),
        json!(123_456_789_012_345_678_u64),
        json!(""),
        json!("x"),
        json!("123"),
        json!("1.2.3.4"),
        json!("::1"),
        json!("fe80::1%eth0"),
        json!("01.2.3.4"),
        json!("1::2::3"),
        json!("000000000000000"),
        json!("000000000000000\n"),
        json!("0000"),
        json!("1234567"),
        json!("a'b"),
        json!("e\u{0}\u{e9}\"'"),
        json!([]),
        json!({}),
        json!([1, 2, 3]),
        json!([1, 2, 3, 4, 5]),
        json!(["a", "b"]),
        json!([[1], [1]]),
        json!({"a": 1}),
        json!({"rssi": -50}),
        json!({"ecio": -3.5}),
        json!({"name": "eth0"}),
    ]
}

/// Every location in the document, as a path of keys/indices.
fn locations(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                here.push(json!(k));
                locations(child, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                here.push(json!(i));
                locations(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, seg| match seg {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[usize::try_from(i.as_u64().unwrap()).unwrap()],
        _ => unreachable!(),
    })
}

fn mutate(doc: &mut Value, rng: &mut Rng, pool: &[Value]) {
    let mut locs = Vec::new();
    locations(doc, &mut Vec::new(), &mut locs);
    let path = locs[rng.below(locs.len())].clone();
    let replacement = pool[rng.below(pool.len())].clone();
    match rng.below(5) {
        0 | 1 => *at(doc, &path) = replacement,
        2 => {
            if let Some((last, parent)) = path.split_last() {
                match (at(doc, parent), last) {
                    (Value::Object(map), Value::String(k)) => {
                        map.shift_remove(k);
                    }
                    (Value::Array(items), Value::Number(i)) => {
                        items.remove(usize::try_from(i.as_u64().unwrap()).unwrap());
                    }
                    _ => {}
                }
            }
        }
        3 => match at(doc, &path) {
            Value::Object(map) => {
                let key = ["zz_extra", "vendor", "rssi", "name", "mac"][rng.below(5)];
                map.insert(key.into(), replacement);
            }
            Value::Array(items) if !items.is_empty() => {
                let dup = items[rng.below(items.len())].clone();
                items.push(dup);
            }
            other => *other = replacement,
        },
        _ => {
            // Swap a value for one of another type taken from elsewhere in the document.
            let donor = locs[rng.below(locs.len())].clone();
            let value = at(doc, &donor).clone();
            if !path.starts_with(&donor) {
                *at(doc, &path) = value;
            }
        }
    }
}

#[test]
fn verdicts_match_python_jsonschema_on_mutated_reference_payloads() {
    let dir = fixtures().join("openwisp");
    let schema = dir.join("schema.json");
    let mut bases: Vec<Value> = json_files(&dir.join("payloads"))
        .into_iter()
        .chain(json_files(&dir.join("payloads/invalid")))
        .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
        .collect();
    bases.push(json!({"type": "DeviceMonitoring"}));
    bases.push(json!([]));
    bases.push(json!("DeviceMonitoring"));

    let cases_per_base: usize = std::env::var("EDGEMON_DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(120);
    let pool = pool();
    let mut rng = Rng(0x00ed_6e30);
    let mut cases = bases.clone();
    for base in &bases {
        for _ in 0..cases_per_base {
            let mut doc = base.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut doc, &mut rng, &pool);
            }
            cases.push(doc);
        }
    }

    let mut child = Command::new("python3")
        .arg(edgemon_tests::workspace_root().join("tests/tests/conformance/oracle.py"))
        .arg(&schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the differential conformance test");
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases.iter().map(|c| c.to_string() + "\n").collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "the python-jsonschema oracle failed (is jsonschema 4.26 installed?)"
    );
    let verdicts: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts.len(), cases.len());

    let mut mismatches = Vec::new();
    let mut invalid = 0;
    for (doc, verdict) in cases.iter().zip(&verdicts) {
        let ours = match validate(doc) {
            Ok(()) => json!({"valid": true}),
            Err(e) => {
                invalid += 1;
                json!({"valid": false, "path": e.path_string(), "message": e.message})
            }
        };
        if ours != *verdict {
            mismatches.push(format!(
                "doc: {doc}\n  reference: {verdict}\n  edgemon:   {ours}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} verdicts differ; first ones:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches[..mismatches.len().min(8)].join("\n")
    );
    // The mutations must exercise both outcomes, or the comparison proves little.
    assert!(
        invalid > cases.len() / 5 && invalid < cases.len() * 9 / 10,
        "{invalid} of {}",
        cases.len()
    );
}
