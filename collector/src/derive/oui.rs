//! MAC vendor names from the IEEE MA-L (OUI) registry, as the reference answers them.
//!
//! The reference calls `netaddr.EUI(mac).oui.registration().org`: the organization that
//! the IEEE registered for the MAC's first three octets in the **MA-L** registry only
//! (netaddr's `OUI` does not consult MA-M, MA-S or IAB), `""` when the block is not
//! registered or the MAC is missing. The registry comes from the `oui-data` crate, which
//! embeds the IEEE CSV files at build time (see docs/architecture.md for the choice).

use oui_data::{OUI_ENTRIES, Registry};
use std::borrow::Cow;

/// The vendor of `mac` (any of netaddr's EUI-48/EUI-64 spellings), or `""`.
///
/// A string that is not a MAC address also gives `""`; the reference would fail the whole
/// sample there (netaddr raises), see docs/derivation.md.
pub fn vendor(mac: &str) -> Cow<'static, str> {
    let Some(prefix) = oui_prefix(mac) else {
        return Cow::Borrowed("");
    };
    let key = format!("{:02X}{:02X}{:02X}", prefix[0], prefix[1], prefix[2]);
    match OUI_ENTRIES.get(key.as_str()) {
        Some(entry) if matches!(entry.registry(), Registry::Mal) => {
            restore_spaces(entry.organization())
        }
        _ => Cow::Borrowed(""),
    }
}

/// `oui-data` stores each double space of a name as a newline (an artefact of its
/// generator); the IEEE file, and netaddr, keep the spaces. No IEEE name has a newline.
fn restore_spaces(org: &'static str) -> Cow<'static, str> {
    if org.contains('\n') {
        Cow::Owned(org.replace('\n', "  "))
    } else {
        Cow::Borrowed(org)
    }
}

/// The first three octets of an EUI-48 or EUI-64 in one of netaddr's spellings:
/// `44:d1:fa:12:34:56`, `44-D1-FA-12-34-56`, `44d1.fa12.3456`, `44d1fa123456`,
/// `44d1fa-123456`, and single-digit octets (`4:d1:fa:1:2:3`) with `:` or `-`.
pub fn oui_prefix(mac: &str) -> Option<[u8; 3]> {
    let mac = mac.trim();
    let octets: Vec<u8> = if let Some(sep) = [':', '-'].into_iter().find(|&s| mac.contains(s)) {
        let parts: Vec<&str> = mac.split(sep).collect();
        match parts.len() {
            6 | 8 => parts
                .iter()
                .map(|p| hex_octet(p))
                .collect::<Option<Vec<u8>>>()?,
            2 => hex_run(&parts.concat(), 12)?,
            _ => return None,
        }
    } else if mac.contains('.') {
        let parts: Vec<&str> = mac.split('.').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.len() != 4) {
            return None;
        }
        hex_run(&parts.concat(), 12)?
    } else {
        hex_run(mac, 12).or_else(|| hex_run(mac, 16))?
    };
    Some([octets[0], octets[1], octets[2]])
}

/// One octet written with one or two hex digits.
fn hex_octet(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 2 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(s, 16).ok()
}

/// Exactly `digits` hex digits, as octets.
fn hex_run(s: &str, digits: usize) -> Option<Vec<u8>> {
    if s.len() != digits || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    (0..digits)
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// [`vendor`] of an optional MAC: the reference's `""` for a missing or empty one.
pub fn vendor_of(mac: Option<&str>) -> Cow<'static, str> {
    mac.map_or(Cow::Borrowed(""), vendor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reference_example() {
        assert_eq!(
            vendor("44:D1:FA:4B:38:43"),
            "Shenzhen Yunlink Technology Co., Ltd"
        );
        assert_eq!(
            vendor("44:d1:fa:4b:38:43"),
            "Shenzhen Yunlink Technology Co., Ltd"
        );
    }

    #[test]
    fn every_netaddr_spelling() {
        for mac in [
            "44-d1-fa-4b-38-43",
            "44d1.fa4b.3843",
            "44d1fa4b3843",
            "44D1FA-4B3843",
            "44:d1:fa:4b:38:43:00:01",
            " 44:d1:fa:4b:38:43 ",
        ] {
            assert_eq!(vendor(mac), "Shenzhen Yunlink Technology Co., Ltd", "{mac}");
        }
        assert_eq!(oui_prefix("0:1:2:3:4:5"), Some([0, 1, 2]));
    }

    #[test]
    fn unregistered_missing_or_garbage_is_empty() {
        assert_eq!(vendor(""), "");
        assert_eq!(vendor_of(None), "");
        assert_eq!(vendor("not a mac"), "");
        assert_eq!(vendor("44:d1:fa"), "");
        assert_eq!(vendor("44:d1:fa:4b:38:4g"), "");
        assert_eq!(vendor("444:d1:fa:4b:38:43"), "");
        // Locally administered addresses (bit 1 of the first octet) are never assigned.
        assert_eq!(vendor("02:00:00:00:00:01"), "");
    }

    #[test]
    fn only_the_ma_l_registry_counts() {
        // 8C:1F:64 is the IEEE's own MA-L block, sub-divided in MA-S: netaddr's OUI
        // lookup names the block holder, not the MA-S assignee.
        assert_eq!(vendor("8C:1F:64:AF:A0:00"), "IEEE Registration Authority");
        // A CID (not MA-L) entry: netaddr does not know it.
        assert_eq!(vendor("EA:27:01:00:00:00"), "");
    }

    #[test]
    fn double_spaces_are_kept_as_the_ieee_wrote_them() {
        assert_eq!(
            vendor("C0:8F:20:00:00:00"),
            "Shenzhen Skyworth Digital  Technology  CO., Ltd"
        );
        assert_eq!(vendor("00:00:00:00:00:00"), "XEROX CORPORATION");
    }

    proptest! {
        #[test]
        fn spelling_does_not_change_the_answer(b in proptest::array::uniform6(any::<u8>())) {
            let colon = format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
            let bare = colon.replace(':', "").to_uppercase();
            let dash = colon.replace(':', "-");
            prop_assert_eq!(vendor(&colon), vendor(&bare));
            prop_assert_eq!(vendor(&colon), vendor(&dash));
            prop_assert_eq!(oui_prefix(&colon), Some([b[0], b[1], b[2]]));
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = vendor(&s);
        }
    }
}
