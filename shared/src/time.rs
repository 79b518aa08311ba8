//! The OpenWISP `time` query parameter: `%d-%m-%Y_%H:%M:%S.%f`, always UTC.
//!
//! Parsing follows Python's `datetime.strptime` with that format, which the reference
//! server uses: day, month, hour, minute and second take one or two digits (a day may
//! also be a space and one digit), the year exactly four, the fraction one to six digits
//! (`.5` is half a second), and the whole text must be consumed. The date must exist.
//! Formatting always writes two-digit fields and six fraction digits, as the reference
//! agent does (`25-11-2023_08:53:43.000000`).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// The `time` value is not in the reference's format. The server answers
/// `400 {"detail": "Incorrect time format"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("incorrect time format {input:?}: {reason} (expected DD-MM-YYYY_HH:MM:SS.ffffff in UTC)")]
pub struct TimeFormatError {
    /// What was received.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// What the reference puts in its response body for a bad `time`.
pub const INCORRECT_TIME_FORMAT: &str = "Incorrect time format";

/// Parses an OpenWISP `time` value as a UTC instant.
pub fn parse_openwisp_time(input: &str) -> Result<OffsetDateTime, TimeFormatError> {
    let err = |reason| TimeFormatError {
        input: input.to_owned(),
        reason,
    };
    let mut p = Cursor(input.as_bytes());
    let day = p.day().ok_or_else(|| err("bad day"))?;
    p.lit(b'-')
        .ok_or_else(|| err("expected '-' after the day"))?;
    let month = p.upto2(12, true).ok_or_else(|| err("bad month"))?;
    p.lit(b'-')
        .ok_or_else(|| err("expected '-' after the month"))?;
    let year = p.year().ok_or_else(|| err("bad year"))?;
    p.lit(b'_')
        .ok_or_else(|| err("expected '_' after the year"))?;
    let hour = p.upto2(23, false).ok_or_else(|| err("bad hour"))?;
    p.lit(b':')
        .ok_or_else(|| err("expected ':' after the hour"))?;
    let minute = p.upto2(59, false).ok_or_else(|| err("bad minute"))?;
    p.lit(b':')
        .ok_or_else(|| err("expected ':' after the minute"))?;
    let second = p.upto2(61, false).ok_or_else(|| err("bad second"))?;
    p.lit(b'.')
        .ok_or_else(|| err("expected '.' after the seconds"))?;
    let micros = p
        .fraction()
        .ok_or_else(|| err("bad fraction of a second"))?;
    if !p.0.is_empty() {
        return Err(err("unconverted data remains"));
    }
    if year == 0 {
        return Err(err("year 0 is out of range"));
    }
    let month = Month::try_from(month).map_err(|_| err("bad month"))?;
    let date = Date::from_calendar_date(i32::from(year), month, day)
        .map_err(|_| err("day is out of range for month"))?;
    // strptime accepts seconds 60 and 61, then datetime() rejects them.
    let time = Time::from_hms_micro(hour, minute, second, micros)
        .map_err(|_| err("second must be in 0..59"))?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Formats a UTC instant as an OpenWISP `time` value.
pub fn format_openwisp_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:02}-{:02}-{:04}_{:02}:{:02}:{:02}.{:06}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// A tiny matcher for strptime's per-field regular expressions (ASCII digits).
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn digit(&self, at: usize) -> Option<u8> {
        self.0
            .get(at)
            .filter(|b| b.is_ascii_digit())
            .map(|b| b - b'0')
    }

    fn lit(&mut self, c: u8) -> Option<()> {
        let (&first, rest) = self.0.split_first()?;
        (first == c).then(|| self.0 = rest)
    }

    /// One or two digits with a value in `[min, max]` (`min` is 1 when `nonzero`), taking
    /// two when two form a valid value, as strptime's alternations do. Backtracking to one
    /// digit cannot help: the next literal is never a digit.
    fn upto2(&mut self, max: u8, nonzero: bool) -> Option<u8> {
        let min = u8::from(nonzero);
        let first = self.digit(0)?;
        if let Some(second) = self.digit(1) {
            let v = first * 10 + second;
            if (min..=max).contains(&v) {
                self.0 = &self.0[2..];
                return Some(v);
            }
        }
        if first < min {
            return None;
        }
        self.0 = &self.0[1..];
        Some(first)
    }

    /// `%d`: `3[01]|[12]\d|0[1-9]|[1-9]| [1-9]`.
    fn day(&mut self) -> Option<u8> {
        if self.0.first() == Some(&b' ') {
            let d = self.digit(1).filter(|d| *d >= 1)?;
            self.0 = &self.0[2..];
            return Some(d);
        }
        self.upto2(31, true)
    }

    /// `%Y`: exactly four digits.
    fn year(&mut self) -> Option<u16> {
        let mut year = 0u16;
        for i in 0..4 {
            year = year * 10 + u16::from(self.digit(i)?);
        }
        self.0 = &self.0[4..];
        Some(year)
    }

    /// `%f`: one to six digits, right-padded with zeros to microseconds.
    fn fraction(&mut self) -> Option<u32> {
        let n = self
            .0
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n == 0 {
            return None;
        }
        let mut micros = 0u32;
        for i in 0..6 {
            micros = micros * 10 + u32::from(if i < n { self.digit(i)? } else { 0 });
        }
        self.0 = &self.0[n..];
        Some(micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_the_reference_agents_format() {
        assert_eq!(
            parse_openwisp_time("25-11-2023_08:53:43.000000").unwrap(),
            datetime!(2023-11-25 08:53:43 UTC)
        );
        assert_eq!(
            parse_openwisp_time("21-08-2026_14:05:09.123456").unwrap(),
            datetime!(2026-08-21 14:05:09.123456 UTC)
        );
    }

    #[test]
    fn accepts_what_strptime_accepts() {
        for (input, expected) in [
            ("1-2-2024_3:4:5.5", datetime!(2024-02-01 03:04:05.5 UTC)),
            (
                " 1-02-2024_03:04:05.000001",
                datetime!(2024-02-01 03:04:05.000001 UTC),
            ),
            (
                "29-02-2024_23:59:59.99",
                datetime!(2024-02-29 23:59:59.99 UTC),
            ),
            ("31-12-9999_00:00:00.0", datetime!(9999-12-31 00:00:00 UTC)),
        ] {
            assert_eq!(parse_openwisp_time(input).unwrap(), expected, "{input}");
        }
    }

    #[test]
    fn rejects_what_strptime_rejects() {
        for input in [
            "23-08-2021 06:25:45",
            "23-08-2021_06:25:45",
            "23-08-2021_06:25:45.",
            "23-08-2021_06:25:45.1234567",
            "23-08-21_06:25:45.0",
            "32-08-2021_06:25:45.0",
            "00-08-2021_06:25:45.0",
            "23-13-2021_06:25:45.0",
            "23-00-2021_06:25:45.0",
            "29-02-2023_06:25:45.0",
            "31-04-2023_06:25:45.0",
            "23-08-2021_24:25:45.0",
            "23-08-2021_06:60:45.0",
            "23-08-2021_06:25:60.0",
            "23-08-2021_06:25:61.0",
            "01-01-0000_00:00:00.0",
            "2021-08-23T06:25:45Z",
            "",
            "23-08-2021_06:25:45.0Z",
            "+1-08-2021_06:25:45.0",
        ] {
            let err = parse_openwisp_time(input).unwrap_err();
            assert_eq!(err.input, input);
        }
    }

    #[test]
    fn formats_as_the_reference_agent_does() {
        assert_eq!(
            format_openwisp_time(datetime!(2023-11-25 08:53:43 UTC)),
            "25-11-2023_08:53:43.000000"
        );
        assert_eq!(
            format_openwisp_time(datetime!(2024-02-01 03:04:05.000007 +02:00)),
            "01-02-2024_01:04:05.000007"
        );
    }
}
