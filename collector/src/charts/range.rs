//! The time range and grouping of a chart request: the reference's `time`, `start`, `end`
//! and `timezone` parameters turned into a query range and bucket width, with its
//! validation messages. Pure: "now" is an argument.
//!
//! Rules (openwisp-monitoring `Chart._get_group_map`, `Chart._get_time` and the device
//! view), see docs/charts.md for the full table:
//! - `time=<N>d` (default `7d`): start = now − N days; for N > 3 the UTC date of now at
//!   midnight minus N days (N − 1 for `7d`, so the week includes today). No end: up to now.
//! - `start` + `end` (`YYYY-MM-DD HH:MM:SS`) replace `time` with `<days between>d`.
//! - Time strings are read in `timezone`, as InfluxDB reads the reference's literals with
//!   its `tz()` clause; buckets are aligned to the zone's offset at the start.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

const MINUTE_US: i64 = 60_000_000;
const DAY_US: i64 = 86_400_000_000;

/// The reference's default (`OPENWISP_MONITORING_DEFAULT_CHART_TIME`).
pub const DEFAULT_TIME: &str = "7d";

/// The request's parameters, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeParams<'a> {
    pub time: Option<&'a str>,
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    pub timezone: Option<&'a str>,
}

/// What the chart queries run over.
#[derive(Debug, Clone)]
pub struct ChartRange {
    /// `<N>d`: the preset or the days between `start` and `end`.
    pub days: u32,
    /// Inclusive start, µs since the epoch.
    pub start_us: i64,
    /// Exclusive end, µs since the epoch.
    pub end_us: i64,
    pub bucket_us: i64,
    /// Buckets start at multiples of `bucket_us` plus this (the zone's UTC offset).
    pub offset_us: i64,
    pub tz: TimeZone,
}

/// Why a request's range is refused; the message is the reference's (sic).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("Time range not supported")]
    TimeNotSupported,
    #[error("Unkown Time Zone")]
    UnknownTimeZone,
    #[error("start and end must be given together")]
    HalfCustomRange,
    #[error("Incorrect custom date format, should be YYYY-MM-DD H:M:S")]
    DateFormat,
    #[error("The date range shouldn't be greater than 365 days")]
    TooLong,
    #[error("start_date cannot be greater than end_date")]
    StartAfterEnd,
    #[error("start_date cannot be greater than today's date")]
    StartInFuture,
    #[error("end_date cannot be greater than today's date")]
    EndInFuture,
}

/// The bucket width for `<days>d` (`Chart.GROUP_MAP` and its custom extension).
pub fn group_minutes(days: u32) -> i64 {
    let n = i64::from(days);
    match days {
        3 => 20,
        7 => 60,
        // 5 * round(N / 3 * 20 / 5) = 5 * round(4N / 3); never a tie for whole N.
        4..=6 => 5 * ((8 * n + 3) / 6),
        // round(N / 7) hours; never a tie for whole N.
        8..=27 => (2 * n + 7) / 14 * 60,
        30..=210 => 24 * 60,
        211..=365 => 7 * 24 * 60,
        // 1, 2, and 28, 29 which fall through the reference's conditions (a quirk kept
        // for compatibility); 0 and > 365 are refused before.
        _ => 10,
    }
}

fn parse_days(time: &str) -> Result<u32, RangeError> {
    let n = time.strip_suffix('d').ok_or(RangeError::TimeNotSupported)?;
    // Python's int(): optional sign, digits; only 1..=365 make a range.
    match n.parse::<u32>() {
        Ok(days @ 1..=365) if n.bytes().all(|b| b.is_ascii_digit()) => Ok(days),
        Ok(days) if days > 365 => Err(RangeError::TooLong),
        _ => Err(RangeError::TimeNotSupported),
    }
}

fn to_us(ts: Timestamp) -> i64 {
    ts.as_microsecond()
}

fn local_to_us(dt: DateTime, tz: &TimeZone) -> Result<i64, RangeError> {
    dt.to_zoned(tz.clone())
        .map(|z| to_us(z.timestamp()))
        .map_err(|_| RangeError::DateFormat)
}

fn parse_local(text: &str) -> Result<DateTime, RangeError> {
    DateTime::strptime("%Y-%m-%d %H:%M:%S", text.trim()).map_err(|_| RangeError::DateFormat)
}

/// The range of a chart request at `now_us`; `default_tz` when `timezone` is absent.
pub fn resolve(
    params: RangeParams<'_>,
    now_us: i64,
    default_tz: &TimeZone,
) -> Result<ChartRange, RangeError> {
    let preset = parse_days(params.time.unwrap_or(DEFAULT_TIME))?;
    let tz = match params.timezone {
        None => default_tz.clone(),
        Some(name) => TimeZone::get(name).map_err(|_| RangeError::UnknownTimeZone)?,
    };
    let now = Timestamp::from_microsecond(now_us).map_err(|_| RangeError::DateFormat)?;
    let (days, start_us, end_us) = match (params.start, params.end) {
        (None, None) => {
            let utc_now = now.to_zoned(TimeZone::UTC).datetime();
            let mut back = i64::from(preset);
            let base = if preset > 3 {
                utc_now.date().to_datetime(jiff::civil::Time::midnight())
            } else {
                // The reference formats the start to whole seconds.
                utc_now
                    .with()
                    .subsec_nanosecond(0)
                    .build()
                    .expect("dropping the fraction is valid")
            };
            if preset == 7 {
                back -= 1;
            }
            let start = base
                .checked_sub(back.days())
                .map_err(|_| RangeError::TimeNotSupported)?;
            (preset, local_to_us(start, &tz)?, now_us.saturating_add(1))
        }
        (Some(start), Some(end)) => {
            let start = local_to_us(parse_local(start)?, &tz)?;
            let end = local_to_us(parse_local(end)?, &tz)?;
            let span_days = (end - start).div_euclid(DAY_US);
            if span_days > 365 {
                return Err(RangeError::TooLong);
            }
            if start > end {
                return Err(RangeError::StartAfterEnd);
            }
            if start > now_us {
                return Err(RangeError::StartInFuture);
            }
            if end > now_us {
                return Err(RangeError::EndInFuture);
            }
            let days = u32::try_from(span_days.max(1)).expect("between 1 and 365");
            (days, start, end + 1)
        }
        _ => return Err(RangeError::HalfCustomRange),
    };
    let bucket_us = group_minutes(days) * MINUTE_US;
    let offset_s = tz
        .to_offset(Timestamp::from_microsecond(start_us).unwrap_or(now))
        .seconds();
    Ok(ChartRange {
        days,
        start_us,
        end_us,
        bucket_us,
        offset_us: i64::from(offset_s) * 1_000_000,
        tz,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(text: &str) -> i64 {
        to_us(text.parse::<Timestamp>().unwrap())
    }

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    fn at(time: Option<&str>, now: &str) -> Result<ChartRange, RangeError> {
        resolve(
            RangeParams {
                time,
                ..RangeParams::default()
            },
            us(now),
            &utc(),
        )
    }

    #[test]
    fn the_group_map_and_its_custom_extension() {
        let got: Vec<(u32, i64)> = [
            1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 27, 28, 29, 30, 31, 210, 211, 364, 365,
        ]
        .into_iter()
        .map(|d| (d, group_minutes(d)))
        .collect();
        let h = 60;
        assert_eq!(
            got,
            [
                (1, 10),
                (2, 10),
                (3, 20),
                (4, 25),
                (5, 35),
                (6, 40),
                (7, h),
                (8, h),
                (10, h),
                (11, 2 * h),
                (12, 2 * h),
                (27, 4 * h),
                (28, 10),
                (29, 10),
                (30, 24 * h),
                (31, 24 * h),
                (210, 24 * h),
                (211, 7 * 24 * h),
                (364, 7 * 24 * h),
                (365, 7 * 24 * h),
            ]
        );
    }

    #[test]
    fn short_presets_go_back_from_now_to_the_second() {
        let r = at(Some("1d"), "2026-11-24T10:11:12.5Z").unwrap();
        assert_eq!(r.start_us, us("2026-11-23T10:11:12Z"));
        assert_eq!(r.end_us, us("2026-11-24T10:11:12.5Z") + 1);
        assert_eq!(r.bucket_us, 10 * MINUTE_US);
        let r = at(Some("3d"), "2026-11-24T10:11:12Z").unwrap();
        assert_eq!(r.start_us, us("2026-11-21T10:11:12Z"));
        assert_eq!(r.bucket_us, 20 * MINUTE_US);
    }

    #[test]
    fn long_presets_start_at_midnight_and_the_week_includes_today() {
        let r = at(None, "2026-11-24T10:11:12Z").unwrap();
        assert_eq!(r.days, 7);
        assert_eq!(r.start_us, us("2026-11-18T00:00:00Z"));
        assert_eq!(r.bucket_us, 60 * MINUTE_US);
        let r = at(Some("30d"), "2026-11-24T10:11:12Z").unwrap();
        assert_eq!(r.start_us, us("2026-10-25T00:00:00Z"));
        let r = at(Some("365d"), "2026-11-24T10:11:12Z").unwrap();
        assert_eq!(r.start_us, us("2025-11-24T00:00:00Z"));
        assert_eq!(r.bucket_us, 7 * DAY_US);
    }

    #[test]
    fn bad_time_values_are_refused() {
        for bad in ["1w", "d", "xd", "1.5d", "-1d", "0d", "+3d", "7", ""] {
            assert_eq!(
                at(Some(bad), "2026-11-24T10:00:00Z").unwrap_err(),
                RangeError::TimeNotSupported,
                "{bad}"
            );
        }
        assert_eq!(
            at(Some("366d"), "2026-11-24T10:00:00Z").unwrap_err(),
            RangeError::TooLong
        );
    }

    #[test]
    fn the_timezone_reads_the_start_and_shifts_the_buckets() {
        let r = resolve(
            RangeParams {
                time: Some("30d"),
                timezone: Some("Asia/Kolkata"),
                ..RangeParams::default()
            },
            us("2026-11-24T10:00:00Z"),
            &utc(),
        )
        .unwrap();
        // Midnight of the UTC date, read as Kolkata time (+05:30).
        assert_eq!(r.start_us, us("2026-10-24T18:30:00Z"));
        assert_eq!(r.offset_us, 19_800_000_000);
        let bad = resolve(
            RangeParams {
                timezone: Some("Mars/Olympus"),
                ..RangeParams::default()
            },
            0,
            &utc(),
        );
        assert_eq!(bad.unwrap_err(), RangeError::UnknownTimeZone);
    }

    fn custom(start: &str, end: &str) -> Result<ChartRange, RangeError> {
        resolve(
            RangeParams {
                start: Some(start),
                end: Some(end),
                ..RangeParams::default()
            },
            us("2026-11-24T10:00:00Z"),
            &utc(),
        )
    }

    #[test]
    fn custom_ranges_and_their_errors_in_the_reference_order() {
        let r = custom("2026-11-01 00:00:00", "2026-11-13 12:00:00").unwrap();
        assert_eq!(r.days, 12);
        assert_eq!(r.bucket_us, 2 * 60 * MINUTE_US);
        assert_eq!(r.start_us, us("2026-11-01T00:00:00Z"));
        assert_eq!(r.end_us, us("2026-11-13T12:00:00Z") + 1);
        // Less than a day counts as 1d.
        assert_eq!(
            custom("2026-11-24 01:00:00", "2026-11-24 02:00:00")
                .unwrap()
                .days,
            1
        );
        let cases = [
            ("2026-11-01", "2026-11-02 00:00:00", RangeError::DateFormat),
            ("2026-11-01 00:00:00", "tomorrow", RangeError::DateFormat),
            (
                "2024-01-01 00:00:00",
                "2026-01-01 00:00:00",
                RangeError::TooLong,
            ),
            (
                "2026-11-02 00:00:00",
                "2026-11-01 00:00:00",
                RangeError::StartAfterEnd,
            ),
            (
                "2026-11-25 00:00:00",
                "2026-11-26 00:00:00",
                RangeError::StartInFuture,
            ),
            (
                "2026-11-20 00:00:00",
                "2026-11-26 00:00:00",
                RangeError::EndInFuture,
            ),
        ];
        for (start, end, want) in cases {
            assert_eq!(custom(start, end).unwrap_err(), want, "{start} {end}");
        }
        let half = resolve(
            RangeParams {
                start: Some("2026-11-01 00:00:00"),
                ..RangeParams::default()
            },
            us("2026-11-24T10:00:00Z"),
            &utc(),
        );
        assert_eq!(half.unwrap_err(), RangeError::HalfCustomRange);
    }
}
