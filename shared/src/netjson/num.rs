//! Lenient integer decoding.
//!
//! The reference validates with python-jsonschema, whose draft-07 `integer` type accepts any
//! number with a zero fractional part (`1500.0`, `1.2345678901234e+14`). The reference agent
//! really sends such values: lua-cjson prints counters at or above 1e14 in exponent notation.
//! A typed field must therefore accept an integral float, not only a JSON integer.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

struct IntVisitor<T>(std::marker::PhantomData<T>);

/// Integer types the model uses, with their conversions from the three JSON number shapes.
pub(crate) trait LenientInt: Sized + Copy {
    const EXPECTING: &'static str;
    fn from_u64(v: u64) -> Option<Self>;
    fn from_i64(v: i64) -> Option<Self>;
}

impl LenientInt for u64 {
    const EXPECTING: &'static str = "a non-negative integer below 2^64";
    fn from_u64(v: u64) -> Option<Self> {
        Some(v)
    }
    fn from_i64(v: i64) -> Option<Self> {
        u64::try_from(v).ok()
    }
}

impl LenientInt for i64 {
    const EXPECTING: &'static str = "an integer between -2^63 and 2^63";
    fn from_u64(v: u64) -> Option<Self> {
        i64::try_from(v).ok()
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(v)
    }
}

/// Converts an integral float exactly, or returns `None`.
fn integral_f64<T: LenientInt>(v: f64) -> Option<T> {
    if !v.is_finite() || v.fract() != 0.0 {
        return None;
    }
    // 2^64 and -2^63 are exactly representable; the comparisons keep the casts in range.
    if (0.0..18_446_744_073_709_551_616.0).contains(&v) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        return T::from_u64(v as u64);
    }
    if (-9_223_372_036_854_775_808.0..0.0).contains(&v) {
        #[allow(clippy::cast_possible_truncation)]
        return T::from_i64(v as i64);
    }
    None
}

impl<T: LenientInt> Visitor<'_> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_u64(v).ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_i64(v).ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        integral_f64(v).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
    }
}

/// Self-describing formats only: the model travels as JSON text (also inside the native
/// envelope), never as postcard, so `deserialize_any` is always available.
fn lenient<'de, D: Deserializer<'de>, T: LenientInt>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(IntVisitor(std::marker::PhantomData))
}

pub(crate) fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    lenient(d)
}

pub(crate) fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    lenient(d)
}

pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    lenient(d).map(Some)
}

pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    lenient(d).map(Some)
}

/// A list of integers (e.g. `rrm`), each decoded leniently.
pub(crate) fn opt_vec_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Item(#[serde(deserialize_with = "i64")] i64);
    let items: Vec<Item> = serde::Deserialize::deserialize(d)?;
    Ok(Some(items.into_iter().map(|Item(v)| v).collect()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct C {
        #[serde(default, deserialize_with = "super::opt_u64")]
        c: Option<u64>,
        #[serde(default, deserialize_with = "super::opt_i64")]
        s: Option<i64>,
    }

    fn c(json: &str) -> Result<C, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn accepts_integers_and_integral_floats() {
        assert_eq!(c(r#"{"c": 5}"#).unwrap().c, Some(5));
        assert_eq!(c(r#"{"c": 1500.0}"#).unwrap().c, Some(1500));
        assert_eq!(
            c(r#"{"c": 1.2345678901234e+14}"#).unwrap().c,
            Some(123_456_789_012_340)
        );
        assert_eq!(
            c(r#"{"c": 18446744073709551615}"#).unwrap().c,
            Some(u64::MAX)
        );
        assert_eq!(c(r#"{"s": -3.0}"#).unwrap().s, Some(-3));
        assert_eq!(c("{}").unwrap(), C { c: None, s: None });
    }

    #[test]
    fn rejects_what_does_not_fit() {
        for bad in [
            r#"{"c": -1}"#,
            r#"{"c": 1.5}"#,
            r#"{"c": 1e30}"#,
            r#"{"c": "1"}"#,
            r#"{"s": 9223372036854775808}"#,
            r#"{"c": true}"#,
        ] {
            assert!(c(bad).is_err(), "{bad} must be rejected");
        }
    }
}
