//! Python's float arithmetic where it differs from the obvious Rust expression.
//!
//! The reference computes percentages with Python ints: `100 * used / size` multiplies
//! exactly and then divides with `int / int`, which Python rounds **once**, correctly, from
//! the exact quotient. `a as f64 / b as f64` rounds three times and differs once the
//! operands pass 2^53 (a disk of ~90 TB in percent). [`true_div`] is Python's division.

/// `round(x, 1)` as Python computes it: the decimal closest to the *exact* binary value
/// of `x`, ties (only exact binary halves such as 0.25) to even, read back as a float.
///
/// Rust's fixed-precision formatting rounds the exact value half-to-even too, so a
/// format/parse round trip is Python's algorithm (`float_round` via `_Py_dg_dtoa` mode 3).
pub fn round1(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.1}")
        .parse()
        .expect("a formatted finite float parses back")
}

/// Python's `a / b` for non-negative ints: the exact quotient rounded once to the nearest
/// float, ties to even. `None` when `b == 0` (Python raises `ZeroDivisionError`).
pub fn true_div(a: u128, b: u128) -> Option<f64> {
    const EXACT: u128 = 1 << 53;
    if b == 0 {
        return None;
    }
    if a < EXACT && b < EXACT {
        // Both convert exactly and IEEE division rounds once: already Python's answer.
        #[allow(clippy::cast_precision_loss)]
        return Some(a as f64 / b as f64);
    }
    // Scale so that the integer quotient has 55 or 56 bits: 53 kept, the rest rounded,
    // with the division's remainder as the sticky bit.
    let la = i32::try_from(128 - a.leading_zeros()).expect("bit length fits i32");
    let lb = i32::try_from(128 - b.leading_zeros()).expect("bit length fits i32");
    let shift = 55 - (la - lb);
    let (num, den) = if shift >= 0 {
        (a.checked_shl(shift.unsigned_abs())?, b)
    } else {
        (a, b.checked_shl(shift.unsigned_abs())?)
    };
    // checked_shl only refuses shifts >= 128; the bits must not fall off either.
    if (shift >= 0 && num >> shift.unsigned_abs() != a)
        || (shift < 0 && den >> shift.unsigned_abs() != b)
    {
        #[allow(clippy::cast_precision_loss)]
        return Some(a as f64 / b as f64);
    }
    let q = num / den;
    let sticky = num % den != 0;
    let bits = 128 - q.leading_zeros();
    let extra = bits - 53;
    let half = 1u128 << (extra - 1);
    let low = q & ((1u128 << extra) - 1);
    let mut mantissa = q >> extra;
    if low > half || (low == half && (sticky || mantissa & 1 == 1)) {
        mantissa += 1;
    }
    // mantissa <= 2^53 converts exactly; the power of two scales exactly (normal range).
    let exp = i32::try_from(extra).expect("small") - shift;
    #[allow(clippy::cast_precision_loss)]
    Some(mantissa as f64 * pow2(exp))
}

/// `2^exp` exactly, for the exponents a ratio of two u128 can need.
fn pow2(exp: i32) -> f64 {
    let biased = u64::try_from(exp + 1023).expect("exponent in the normal range");
    f64::from_bits(biased << 52)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round1_matches_python() {
        // Python 3: round(x, 1) for each x.
        for (x, want) in [
            (0.25, 0.2),
            (0.75, 0.8),
            (1.25, 1.2),
            (0.35, 0.3), // 0.35 is 0.34999… in binary
            (0.15, 0.1),
            (0.05, 0.1), // 0.05 is 0.05000000000000000277…
            (2.675, 2.7),
            (1.1, 1.1),
            (-0.25, -0.2),
            (1e300, 1e300),
            (866.7, 866.7),
        ] {
            assert_eq!(round1(x).to_bits(), f64::to_bits(want), "round({x}, 1)");
        }
        assert!(round1(-0.04).is_sign_negative(), "Python keeps -0.0");
    }

    #[test]
    fn true_div_small_operands_is_ieee_division() {
        assert_eq!(
            true_div(100 * (18_792 + 3_872), 258_016 + 16_112),
            Some(8.267_670_577_248_584)
        );
        assert_eq!(true_div(0, 5), Some(0.0));
        assert_eq!(true_div(5, 0), None);
    }

    #[test]
    fn true_div_rounds_once_for_large_operands() {
        // Python: (2**60 + 1) / 2**7 == 9007199254740992.0 (2^53): the +1 is below
        // half an ulp of the result, so it rounds down.
        assert_eq!(
            true_div((1 << 60) + 1, 1 << 7),
            Some(9_007_199_254_740_992.0)
        );
        // Python: (2**54 + 3) / 1 == 1.8014398509481988e+16 (3 is past the tie at 2).
        assert_eq!(true_div((1 << 54) + 3, 1), Some(18_014_398_509_481_988.0));
        // Python: (2**54 + 2) / 1 == 1.8014398509481984e+16 (spacing is 4 there: tie → even).
        assert_eq!(true_div((1 << 54) + 2, 1), Some(18_014_398_509_481_984.0));
        // Python: (2**54 + 1) / 1 == 18014398509481984.0 (tie → even).
        assert_eq!(true_div((1 << 54) + 1, 1), Some(18_014_398_509_481_984.0));
        // Python: 10**20 / 3 == 3.3333333333333332e+19.
        assert_eq!(true_div(10u128.pow(20), 3), Some(3.333_333_333_333_333e19));
        // Python: 100 * 123456789012345678 / 987654321098765432 == 12.49999988609375.
        assert_eq!(
            true_div(100 * 123_456_789_012_345_678, 987_654_321_098_765_432),
            Some(12.499_999_886_093_75)
        );
    }

    /// Whether the exact rational `a/b` lies within half an ulp of `f` (positive, normal),
    /// decided in integers: `(2m-1)·b·2^e <= 2a <= (2m+1)·b·2^e` for `f = m·2^e`.
    fn within_half_ulp(a: u128, b: u128, f: f64) -> bool {
        let bits = f.to_bits();
        let exp = i32::try_from((bits >> 52) & 0x7ff).unwrap() - 1075;
        let mant = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
        let (lo, hi, two_a) = ((2 * mant - 1) * b, (2 * mant + 1) * b, 2 * a);
        if exp >= 0 {
            let e = exp.unsigned_abs();
            lo << e <= two_a && two_a <= hi << e
        } else {
            let scaled = two_a << exp.unsigned_abs();
            lo <= scaled && scaled <= hi
        }
    }

    proptest! {
        /// Operands past 2^53 take the slow path; the result must be the float nearest
        /// to the exact quotient.
        #[test]
        fn true_div_is_correctly_rounded(a in (1u128 << 53)..(1 << 60), b in 1u128..(1 << 20)) {
            let f = true_div(a, b).unwrap();
            prop_assert!(within_half_ulp(a, b, f), "{a}/{b} gave {f}");
        }

        #[test]
        fn true_div_agrees_with_ieee_when_exact_inputs(a in 0u128..(1 << 53), b in 1u128..(1 << 53)) {
            #[allow(clippy::cast_precision_loss)]
            let want = a as f64 / b as f64;
            prop_assert_eq!(true_div(a, b), Some(want));
        }

        #[test]
        fn round1_is_idempotent_and_close(x in -1e9f64..1e9) {
            let r = round1(x);
            prop_assert_eq!(round1(r).to_bits(), r.to_bits());
            prop_assert!((r - x).abs() <= 0.050_000_001);
        }
    }
}
