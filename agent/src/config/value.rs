//! Parsers for option values: durations, sizes, booleans. Pure, with the accepted forms in
//! their error messages.

use std::time::Duration;

/// `300`, `300s`, `5m`, `2h`, `1d` (the reference agent's interval forms), or `250ms`.
pub fn duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit_ms): (&str, u64) = if let Some(d) = t.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = t.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 60_000)
    } else if let Some(d) = t.strip_suffix('h') {
        (d, 3_600_000)
    } else if let Some(d) = t.strip_suffix('d') {
        (d, 86_400_000)
    } else {
        (t, 1000)
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_ms))
        .map(Duration::from_millis)
        .ok_or_else(|| {
            format!("`{text}` is not a duration (seconds, or a number with ms, s, m, h or d)")
        })
}

/// `2097152`, `512k`, `2M` (powers of 1024).
pub fn size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1024),
        Some((i, 'm' | 'M')) => (&t[..i], 1024 * 1024),
        Some((i, 'g' | 'G')) => (&t[..i], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| format!("`{text}` is not a size (bytes, or a number with k, M or G)"))
}

/// UCI's booleans: `1/0`, `true/false`, `yes/no`, `on/off`, `enabled/disabled`.
pub fn boolean(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "enabled" => Ok(true),
        "0" | "false" | "no" | "off" | "disabled" => Ok(false),
        _ => Err(format!(
            "`{text}` is not a boolean (1/0, true/false, yes/no, on/off)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations() {
        assert_eq!(duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration(" 10s "), Ok(Duration::from_secs(10)));
        for bad in ["", "m", "-5", "1.5m", "5 minutes", "99999999999999999999d"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(size("2097152"), Ok(2_097_152));
        assert_eq!(size("512k"), Ok(512 * 1024));
        assert_eq!(size("2M"), Ok(2 * 1024 * 1024));
        assert_eq!(size("1G"), Ok(1 << 30));
        for bad in ["", "M", "2MB", "-1", "1.5M"] {
            assert!(size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn booleans() {
        for t in ["1", "true", "Yes", "on", "enabled"] {
            assert_eq!(boolean(t), Ok(true));
        }
        for f in ["0", "false", "no", "OFF", "disabled"] {
            assert_eq!(boolean(f), Ok(false));
        }
        assert!(boolean("2").is_err());
    }

    proptest! {
        #[test]
        fn every_unit_scales(n in 0u64..1_000_000) {
            prop_assert_eq!(duration(&n.to_string()), Ok(Duration::from_secs(n)));
            prop_assert_eq!(duration(&format!("{n}m")), Ok(Duration::from_secs(n * 60)));
            prop_assert_eq!(size(&format!("{n}k")), Ok(n * 1024));
        }
    }
}
