//! The reference's `clean_timeseries_data_key`: how an interface name becomes the `ifname`
//! tag (`br-lan` → `br_lan`, `eth0.2` → `eth0_2`).
//!
//! `key.replace('.', '_')`, then Django's `slugify(value, allow_unicode=False)`:
//! NFKD, drop what is not ASCII, lowercase, drop characters that are not `[\w\s-]`,
//! collapse runs of `[-\s]` into `-`, strip `-` and `_` at both ends; then `-` → `_`.

use unicode_normalization::UnicodeNormalization;

/// The normalised form of an interface name used as the `ifname` tag and in chart titles.
pub fn clean_timeseries_data_key(key: &str) -> String {
    let ascii: String = key
        .replace('.', "_")
        .nfkd()
        .filter(char::is_ascii)
        .map(|c| c.to_ascii_lowercase())
        .filter(|&c| is_word(c) || is_space(c) || c == '-')
        .collect();
    let mut collapsed = String::with_capacity(ascii.len());
    let mut in_run = false;
    for c in ascii.chars() {
        if c == '-' || is_space(c) {
            if !in_run {
                collapsed.push('-');
            }
            in_run = true;
        } else {
            collapsed.push(c);
            in_run = false;
        }
    }
    collapsed
        .trim_matches(|c| c == '-' || c == '_')
        .replace('-', "_")
}

/// Python's `\w` on an ASCII character.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Python's `\s` on an ASCII character (`str.isspace`): includes the four information
/// separators 0x1C–0x1F, which Rust's `is_ascii_whitespace` does not, and 0x0B.
fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1f'
    )
}

#[cfg(test)]
mod tests {
    use super::clean_timeseries_data_key as clean;
    use proptest::prelude::*;

    #[test]
    fn reference_examples() {
        assert_eq!(clean("br-lan"), "br_lan");
        assert_eq!(clean("eth0.2"), "eth0_2");
        assert_eq!(clean("mesh0-mng"), "mesh0_mng");
        assert_eq!(clean("wlan0"), "wlan0");
    }

    // Expected values computed with Python 3 and Django's slugify.
    #[test]
    fn django_rules() {
        assert_eq!(clean("WLAN 0"), "wlan_0");
        assert_eq!(clean("  lan  "), "lan");
        assert_eq!(clean("a -- b"), "a_b");
        assert_eq!(clean("a_-b"), "a__b");
        assert_eq!(clean("_x_"), "x");
        assert_eq!(clean(".x."), "x");
        assert_eq!(clean("-._x"), "x");
        assert_eq!(clean("tun@home!"), "tunhome");
        assert_eq!(clean("a\x1fb"), "a_b");
        assert_eq!(clean("a\u{a0}b"), "a_b"); // NBSP decomposes to a space under NFKD
        assert_eq!(clean(""), "");
        assert_eq!(clean("@@"), "");
    }

    #[test]
    fn unicode_is_decomposed_then_dropped() {
        assert_eq!(clean("wlän0"), "wlan0");
        assert_eq!(clean("ｗｌａｎ０"), "wlan0"); // full-width forms
        assert_eq!(clean("ﬁber"), "fiber"); // ligature
        assert_eq!(clean("straße"), "strae"); // ß has no decomposition
        assert_eq!(clean("网口1"), "1");
        assert_eq!(clean("x²"), "x2");
    }

    proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,24}") {
            let once = clean(&s);
            prop_assert_eq!(clean(&once), once.clone());
        }

        #[test]
        fn output_alphabet(s in "\\PC{0,24}") {
            let out = clean(&s);
            prop_assert!(out.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            prop_assert!(!out.starts_with('_') && !out.ends_with('_'));
        }

        #[test]
        fn plain_names_only_change_separators(s in "[a-z0-9]{1,6}([.-][a-z0-9]{1,6}){0,3}") {
            prop_assert_eq!(clean(&s), s.replace(['.', '-'], "_"));
        }
    }
}
