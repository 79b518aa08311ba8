//! Line protocol (InfluxDB 1.x): points → the body of one `/write` request. Sans-IO.
//!
//! Escaping follows the 1.x rules: measurements escape `,` and space; tag keys, tag values
//! and field keys escape `,`, `=` and space; string field values are double-quoted with `"`
//! and `\` escaped. Tags with empty values are left out (InfluxDB stores none), integers
//! carry the `i` suffix, floats are written so that they parse back to the same `f64`.

use crate::tsdb::{FieldValue, Point};
use std::fmt::Write as _;

/// Why a point cannot be written as line protocol at all (the server would refuse it
/// with 400 whatever the moment: it is dead-lettered, never retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("point of `{0}` has no fields")]
    NoFields(String),
    #[error("point of `{measurement}`: field `{field}` is not a finite number")]
    NotFinite { measurement: String, field: String },
    #[error("a point has an empty measurement name")]
    EmptyMeasurement,
    #[error("point of `{0}`: an empty tag or field key")]
    EmptyKey(String),
}

/// Append one point (one line, ending in `\n`), timestamp in microseconds (the write uses
/// `precision=u`).
pub fn encode(out: &mut String, point: &Point) -> Result<(), LineError> {
    check(point)?;
    escape(out, &point.measurement, b", ");
    for (k, v) in &point.tags {
        if v.is_empty() {
            continue;
        }
        out.push(',');
        escape(out, k, KEY_SPECIAL);
        out.push('=');
        escape(out, v, KEY_SPECIAL);
    }
    let mut sep = ' ';
    for (k, v) in &point.fields {
        out.push(sep);
        sep = ',';
        escape(out, k, KEY_SPECIAL);
        out.push('=');
        match v {
            FieldValue::Float(f) => {
                // `{:?}` is Rust's shortest round-tripping form (`1.0`, `1e300`), which the
                // server's strconv.ParseFloat reads back exactly.
                let _ = write!(out, "{f:?}");
            }
            FieldValue::Int(i) => {
                let _ = write!(out, "{i}i");
            }
            FieldValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            FieldValue::Str(s) => {
                out.push('"');
                escape_with(out, s, |b| matches!(b, b'"' | b'\\').then_some(None));
                out.push('"');
            }
        }
    }
    let _ = writeln!(out, " {}", point.time_us);
    Ok(())
}

fn check(point: &Point) -> Result<(), LineError> {
    if point.measurement.is_empty() {
        return Err(LineError::EmptyMeasurement);
    }
    if point.fields.is_empty() {
        return Err(LineError::NoFields(point.measurement.clone()));
    }
    let empty_key = point.tags.keys().any(String::is_empty) || point.fields.contains_key("");
    if empty_key {
        return Err(LineError::EmptyKey(point.measurement.clone()));
    }
    for (k, v) in &point.fields {
        if matches!(v, FieldValue::Float(f) if !f.is_finite()) {
            return Err(LineError::NotFinite {
                measurement: point.measurement.clone(),
                field: k.clone(),
            });
        }
    }
    Ok(())
}

/// Backslash-escape `special` characters (a literal backslash stays as it is: 1.x only
/// unescapes the special characters); a newline cannot be escaped in line protocol, so
/// it is replaced by a space (names never carry one; string field values keep theirs).
fn escape(out: &mut String, s: &str, special: &[u8]) {
    escape_with(out, s, |b| {
        if b == b'\n' {
            Some(Some(' '))
        } else {
            special.contains(&b).then_some(None)
        }
    });
}

/// Tag keys, tag values and field keys escape these.
const KEY_SPECIAL: &[u8] = b",= ";

/// Copies `s` to `out` in runs, treating each byte `what` picks out: `Some(None)` is
/// written after a backslash, `Some(Some(c))` replaced by `c`. Only ASCII bytes are
/// picked out, which never occur inside a multi-byte UTF-8 character, so every run is
/// whole characters.
fn escape_with(out: &mut String, s: &str, what: impl Fn(u8) -> Option<Option<char>>) {
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let Some(treat) = what(b) else { continue };
        out.push_str(&s[run..i]);
        match treat {
            Some(c) => out.push(c),
            None => {
                out.push('\\');
                out.push(char::from(b));
            }
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsdb::Retention;

    fn line(p: &Point) -> String {
        let mut s = String::new();
        encode(&mut s, p).unwrap();
        s
    }

    #[test]
    fn a_reference_traffic_point() {
        let p = Point::new("traffic", 1_700_000_000_123_456)
            .tag("content_type", "config.device")
            .tag("ifname", "br_lan")
            .tag("object_id", "0c8d4e1a-0000-4000-8000-000000000001")
            .field("rx_bytes", FieldValue::Int(10))
            .field("tx_bytes", FieldValue::Int(-3));
        assert_eq!(
            line(&p),
            "traffic,content_type=config.device,ifname=br_lan,object_id=0c8d4e1a-0000-4000-8000-000000000001 rx_bytes=10i,tx_bytes=-3i 1700000000123456\n"
        );
    }

    #[test]
    fn types_and_escapes() {
        let p = Point::new("my m,x", 5)
            .retention(Retention::Short)
            .tag("k=1", "a b,c")
            .tag("empty", "")
            .field("f", FieldValue::Float(1.0))
            .field("g", FieldValue::Float(0.1))
            .field("h", FieldValue::Float(1e300))
            .field("b", FieldValue::Bool(true))
            .field("s", FieldValue::Str("say \"hi\" \\ ok,=".into()));
        assert_eq!(
            line(&p),
            "my\\ m\\,x,k\\=1=a\\ b\\,c b=true,f=1.0,g=0.1,h=1e300,s=\"say \\\"hi\\\" \\\\ ok,=\" 5\n"
        );
    }

    #[test]
    fn points_the_server_would_refuse_are_errors() {
        assert_eq!(
            encode(&mut String::new(), &Point::new("m", 1)),
            Err(LineError::NoFields("m".into()))
        );
        let nan = Point::new("m", 1).field("x", FieldValue::Float(f64::NAN));
        assert!(matches!(
            encode(&mut String::new(), &nan),
            Err(LineError::NotFinite { .. })
        ));
        let empty = Point::new("", 1).field("x", FieldValue::Int(1));
        assert_eq!(
            encode(&mut String::new(), &empty),
            Err(LineError::EmptyMeasurement)
        );
    }

    proptest::proptest! {
        /// Every encodable point is exactly one line with its timestamp at the end, and a
        /// float written is read back as the same value.
        #[test]
        fn one_line_per_point(
            // No `f` in names: " f=" then occurs first where the float field starts.
            m in "[a-eg-z ,=\n]{1,8}", tag in "[a-eg-z ,=\n]{0,8}", s in "\\PC{0,12}",
            f in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL, t in proptest::num::i64::ANY,
        ) {
            let p = Point::new(m, t).tag("t", tag).field("f", FieldValue::Float(f))
                .field("s", FieldValue::Str(s.replace('\n', " ")));
            let l = line(&p);
            proptest::prop_assert_eq!(l.matches('\n').count(), 1);
            let ends_with_time = l.ends_with(&format!(" {t}\n"));
            proptest::prop_assert!(ends_with_time);
            let written = l.split(" f=").nth(1).and_then(|r| r.split(',').next()).unwrap();
            proptest::prop_assert_eq!(written.parse::<f64>().unwrap().to_bits(), f.to_bits());
        }

        /// Escaping in runs writes what escaping character by character writes, for any
        /// text (multi-byte characters included).
        #[test]
        fn escaping_in_runs_is_escaping_each_character(s in "(\\PC|[ ,=\"\\\\\n])*") {
            let mut by_char = String::new();
            for c in s.chars() {
                match c {
                    '\n' => by_char.push(' '),
                    ',' | '=' | ' ' => { by_char.push('\\'); by_char.push(c); }
                    _ => by_char.push(c),
                }
            }
            let mut runs = String::new();
            escape(&mut runs, &s, KEY_SPECIAL);
            proptest::prop_assert_eq!(runs, by_char);
            let mut quoted = String::new();
            for c in s.chars() {
                if c == '"' || c == '\\' { quoted.push('\\'); }
                quoted.push(c);
            }
            let p = Point::new("m", 1).field("s", FieldValue::Str(s.clone()));
            proptest::prop_assert_eq!(line(&p), format!("m s=\"{quoted}\" 1\n"));
        }
    }
}
