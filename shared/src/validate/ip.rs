//! The `ipv4` and `ipv6` formats exactly as the reference checks them: Python's
//! `ipaddress.IPv4Address` / `IPv6Address` parsers, and no scope id (`fe80::1%eth0` is not
//! an `ipv6` for python-jsonschema).

/// `ipaddress.IPv4Address(s)` succeeds: four dot-separated decimal octets of at most three
/// ASCII digits, no leading zero, each at most 255.
pub(crate) fn is_ipv4(s: &str) -> bool {
    parse_ipv4(s).is_some()
}

fn parse_ipv4(s: &str) -> Option<u32> {
    let mut octets = s.split('.');
    let mut value = 0u32;
    for _ in 0..4 {
        let octet = octets.next()?;
        if octet.is_empty()
            || octet.len() > 3
            || !octet.bytes().all(|b| b.is_ascii_digit())
            || (octet.len() > 1 && octet.starts_with('0'))
        {
            return None;
        }
        let n: u32 = octet.parse().ok()?;
        if n > 255 {
            return None;
        }
        value = (value << 8) | n;
    }
    octets.next().is_none().then_some(value)
}

/// `ipaddress.IPv6Address(s)` succeeds and carries no scope id. Follows CPython's
/// `_ip_int_from_string` step by step.
pub(crate) fn is_ipv6(s: &str) -> bool {
    if s.contains('%') || s.contains('/') || s.is_empty() {
        return false;
    }
    let mut parts: Vec<&str> = s.split(':').collect();
    if parts.len() < 3 {
        return false;
    }
    // An IPv4 suffix stands for the last two hextets; their values do not matter here.
    if parts.last().is_some_and(|last| last.contains('.')) {
        if parse_ipv4(parts.pop().expect("checked above")).is_none() {
            return false;
        }
        parts.extend(["0", "0"]);
    }
    if parts.len() > 9 {
        return false;
    }
    let mut skip = None;
    for (i, part) in parts.iter().enumerate().take(parts.len() - 1).skip(1) {
        if part.is_empty() {
            if skip.is_some() {
                return false; // at most one "::"
            }
            skip = Some(i);
        }
    }
    #[allow(clippy::single_match_else)]
    let (hi, lo) = match skip {
        Some(index) => {
            let mut hi = index;
            let mut lo = parts.len() - index - 1;
            if parts[0].is_empty() {
                hi -= 1;
                if hi != 0 {
                    return false; // a leading ':' needs "::"
                }
            }
            if parts[parts.len() - 1].is_empty() {
                lo -= 1;
                if lo != 0 {
                    return false; // a trailing ':' needs "::"
                }
            }
            if hi + lo >= 8 {
                return false; // "::" must stand for at least one hextet
            }
            (hi, lo)
        }
        None => {
            if parts.len() != 8 || parts[0].is_empty() || parts[7].is_empty() {
                return false;
            }
            (8, 0)
        }
    };
    parts[..hi].iter().all(|p| is_hextet(p))
        && parts[parts.len() - lo..].iter().all(|p| is_hextet(p))
}

/// One to four hex digits (Python parses an empty hextet as an error).
fn is_hextet(part: &str) -> bool {
    !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_like_python() {
        for ok in ["0.0.0.0", "192.168.1.1", "255.255.255.255", "10.0.0.4"] {
            assert!(is_ipv4(ok), "{ok}");
        }
        for bad in [
            "",
            "123",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3.04",
            "1..2.3",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3.4/32",
            "1.2.3.1234",
            "a.b.c.d",
            "١.2.3.4",
            "+1.2.3.4",
        ] {
            assert!(!is_ipv4(bad), "{bad:?}");
        }
    }

    #[test]
    fn ipv6_like_python() {
        for ok in [
            "::",
            "::1",
            "1::",
            "fe80::9683:c4ff:fe02:c2bf",
            "2001:3238:dfe1:ec63::fefb",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1::8",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "::1.2.3.4",
            "ABCD:ef01::0",
        ] {
            assert!(is_ipv6(ok), "{ok}");
        }
        for bad in [
            "",
            ":",
            "1:2",
            ":::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7::8",
            "1::2::3",
            ":1::2",
            "1::2:",
            "12345::",
            "g::1",
            "fe80::1%eth0",
            "fe80::1%",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3",
            "::01.2.3.4",
            "1:2:3:4:5:6:7",
            ":1:2:3:4:5:6:7",
            "1.2.3.4",
            "123",
        ] {
            assert!(!is_ipv6(bad), "{bad:?}");
        }
    }
}
