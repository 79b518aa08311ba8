//! Durations in configuration files: `90s`, `30m`, `24h`, `7d`, `26280h`, or combinations
//! such as `1h30m` (InfluxDB's retention syntax, so `24h0m0s` works too).

use serde::{Deserialize, Deserializer};

/// A configured duration (whole seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(std::time::Duration);

impl Duration {
    pub const fn from_secs(s: u64) -> Self {
        Duration(std::time::Duration::from_secs(s))
    }
    pub const fn as_secs(self) -> u64 {
        self.0.as_secs()
    }
    pub const fn std(self) -> std::time::Duration {
        self.0
    }
}

/// Parse `1d2h3m4s`-style durations; at least one part, units s/m/h/d/w.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration (examples: \"90s\", \"30m\", \"24h\", \"7d\")");
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units_and_combinations() {
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("24h0m0s").unwrap().as_secs(), 86_400);
        assert_eq!(parse_duration("1d2h").unwrap().as_secs(), 93_600);
        assert_eq!(parse_duration("2w").unwrap().as_secs(), 1_209_600);
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in ["", "24", "h", "1x", "-1h", "1.5h", "99999999999999999999s"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    proptest! {
        #[test]
        fn hms_round_trips(h in 0u64..100_000, m in 0u64..60, s in 0u64..60) {
            let d = parse_duration(&format!("{h}h{m}m{s}s")).unwrap();
            prop_assert_eq!(d.as_secs(), h * 3600 + m * 60 + s);
        }
    }
}
