//! NTP sync state from the kernel's clock discipline: BusyBox `adjtimex` (read-only, no
//! options) prints adjtimex(2)'s `status` bits. Whatever NTP client runs (BusyBox ntpd of
//! OpenWrt's sysntpd, systemd-timesyncd, chrony, ntpd), it clears `STA_UNSYNC` once it
//! disciplines the clock, and the kernel sets it again when the estimated error grows past
//! 16 s without updates, so the bit is client-independent.

use super::ParseError;

/// The clock is not synchronised (adjtimex(2) `STA_UNSYNC`).
const STA_UNSYNC: i64 = 0x0040;
/// The clock hardware has failed (`STA_CLOCKERR`); the kernel then reports `TIME_ERROR` too.
const STA_CLOCKERR: i64 = 0x1000;

/// `true` when the kernel clock is synchronised, from the `status:` line of `adjtimex`.
pub fn parse_adjtimex(text: &str) -> Result<bool, ParseError> {
    let line = text
        .lines()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix("status:"))
        .ok_or_else(|| ParseError::new("no `status:` line"))?;
    let number = line.split_whitespace().next().unwrap_or("");
    let status: i64 = number
        .parse()
        .map_err(|_| ParseError::new(format!("status `{number}` is not a number")))?;
    Ok(status & (STA_UNSYNC | STA_CLOCKERR) == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(status: &str) -> String {
        format!(
            "    mode:         0\n-o  offset:       -1234 us\n-f  freq.adjust:  -338123 (65536 = 1ppm)\n    maxerror:     48500\n    esterror:     0\n    status:       {status}\n-p  timeconstant: 2\n    precision:    1 us\n    return value: 0 (clock synchronized)\n"
        )
    }

    #[test]
    fn pll_without_unsync_is_synchronised() {
        assert_eq!(parse_adjtimex(&output("8193 (PLL | NANO)")), Ok(true));
        assert_eq!(parse_adjtimex(&output("0 ()")), Ok(true));
    }

    #[test]
    fn unsync_or_clock_error_is_not() {
        assert_eq!(parse_adjtimex(&output("64 (UNSYNC)")), Ok(false));
        assert_eq!(
            parse_adjtimex(&output("8257 (PLL | UNSYNC | NANO)")),
            Ok(false)
        );
        assert_eq!(parse_adjtimex(&output("4097 (PLL | CLOCKERR)")), Ok(false));
    }

    #[test]
    fn truncated_or_foreign_output_is_an_error() {
        let full = output("64 (UNSYNC)");
        let cut = &full[..full.find("status:").unwrap()];
        assert!(parse_adjtimex(cut).is_err());
        assert!(parse_adjtimex(&output("")).is_err());
        assert!(parse_adjtimex(&output("0x40 (UNSYNC)")).is_err());
        assert!(parse_adjtimex("adjtimex: applet not found\n").is_err());
        assert!(parse_adjtimex("").is_err());
    }
}
