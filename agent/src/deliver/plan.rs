//! What to send and what the answer means: batch composition, the OpenWISP URL, and the
//! verdict on a server's response. Pure.

use edgemon_shared::envelope::Sample;
use std::fmt::Write;
use std::time::{Duration, SystemTime};

/// What the queue should do after a send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Stored by the server: delete.
    Ack,
    /// Refused as invalid (HTTP 400): delete, count, log the server's message.
    Reject(String),
    /// Keep and try again later (no earlier than `retry_after` if the server said so).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The request body was too large for the server (HTTP 413): send fewer samples at
    /// once; a single sample that is still too large is dropped and counted.
    TooLarge(String),
}

/// A native batch: the oldest samples plus the newest one, in sequence order.
///
/// Including the newest sample in every batch is how a backlog drains oldest first
/// without starving fresh data: each batch carries the current state of the device, so
/// the collector sees it now even when the server throttles the drain with 429s.
pub fn compose(oldest: Vec<Sample>, newest: Option<Sample>) -> Vec<Sample> {
    let mut batch = oldest;
    if let Some(n) = newest
        && !batch.iter().any(|s| s.seq == n.seq)
    {
        batch.push(n);
    }
    batch.sort_by_key(|s| s.seq);
    batch
}

/// `{url}/api/v1/monitoring/device/{uuid}/?key=…&time=…[&current=true]` for a sample.
pub fn openwisp_url(
    base: &str,
    uuid: &uuid::Uuid,
    key: &str,
    collected_at_us: i64,
    current: bool,
) -> String {
    let mut url = format!(
        "{base}/api/v1/monitoring/device/{uuid}/?key={}&time={}",
        percent_encode(key),
        openwisp_time(collected_at_us)
    );
    if current {
        url.push_str("&current=true");
    }
    url
}

/// The OpenWISP `time` value (`%d-%m-%Y_%H:%M:%S.%f`, UTC) of a collection instant.
pub fn openwisp_time(collected_at_us: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(collected_at_us) * 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    edgemon_shared::time::format_openwisp_time(t)
}

/// `{url}/api/v1/edgemon/ingest/`: the native endpoint (see `docs/native-ingest.md`).
pub fn native_url(base: &str) -> String {
    format!("{base}/api/v1/edgemon/ingest/")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The OpenWISP server's answers: 2xx stored; 400 means the document (or time) is invalid
/// and will never be accepted, and so is a sample too large for the server (413: it is
/// sent alone, so a retry cannot help); 403 (key), 404 (device unknown or deactivated,
/// perhaps not registered yet), 5xx and anything else are worth retrying.
pub fn openwisp_verdict(status: u16, body: &str) -> Verdict {
    match status {
        200..=299 => Verdict::Ack,
        400 => Verdict::Reject(format!("HTTP 400: {}", body.trim())),
        413 => Verdict::Reject(format!("HTTP 413 (sample too large): {}", short(body))),
        _ => Verdict::Retry {
            reason: format!("HTTP {status}: {}", short(body)),
            retry_after: None,
        },
    }
}

/// The native endpoint's answers: as OpenWISP's, plus `Retry-After` on any retryable
/// status, which the 429 throttling relies on, and 413 asks for smaller batches.
pub fn native_verdict(
    status: u16,
    retry_after: Option<&str>,
    body: &str,
    now: SystemTime,
) -> Verdict {
    match status {
        200..=299 => Verdict::Ack,
        400 => Verdict::Reject(format!("HTTP 400: {}", body.trim())),
        413 => Verdict::TooLarge(format!("HTTP 413: {}", short(body))),
        _ => Verdict::Retry {
            reason: format!("HTTP {status}: {}", short(body)),
            retry_after: retry_after.and_then(|v| parse_retry_after(v, now)),
        },
    }
}

/// A `Retry-After` value (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date, which counts
/// from `now` (a date already past means "now"). `None` when it is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is still "a very long time".
        return Some(Duration::from_secs(v.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The start of a response body for a log line.
fn short(body: &str) -> &str {
    let b = body.trim();
    match b.char_indices().nth(200) {
        Some((i, _)) => &b[..i],
        None => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgemon_shared::envelope::Document;
    use proptest::prelude::*;

    fn s(seq: u64) -> Sample {
        Sample {
            seq,
            collected_at_us: 0,
            document: Document::from_json("{}").unwrap(),
        }
    }

    #[test]
    fn the_newest_rides_with_the_oldest() {
        let seqs = |b: Vec<Sample>| b.iter().map(|s| s.seq).collect::<Vec<_>>();
        assert_eq!(seqs(compose(vec![s(3), s(4)], Some(s(90)))), [3, 4, 90]);
        assert_eq!(seqs(compose(vec![s(3), s(4)], Some(s(4)))), [3, 4]);
        assert_eq!(seqs(compose(vec![], None)), Vec::<u64>::new());
    }

    #[test]
    fn openwisp_url_is_the_reference_agents() {
        let uuid = uuid::Uuid::parse_str("5d5a3ebc-4ac9-4f11-8a0b-a84e0c6b4d8e").unwrap();
        // 2026-11-24 03:27:05.123456 UTC
        let at = 1_795_490_825_123_456;
        assert_eq!(
            openwisp_url("http://h:8000", &uuid, "a b&c", at, true),
            "http://h:8000/api/v1/monitoring/device/5d5a3ebc-4ac9-4f11-8a0b-a84e0c6b4d8e/\
             ?key=a%20b%26c&time=24-11-2026_03:27:05.123456&current=true"
        );
        assert!(!openwisp_url("http://h", &uuid, "k", at, false).contains("current"));
    }

    #[test]
    fn verdicts() {
        assert_eq!(openwisp_verdict(200, ""), Verdict::Ack);
        assert_eq!(openwisp_verdict(204, ""), Verdict::Ack);
        assert_eq!(
            openwisp_verdict(400, "{\"detail\": \"Incorrect time format\"}\n"),
            Verdict::Reject("HTTP 400: {\"detail\": \"Incorrect time format\"}".into())
        );
        for code in [403, 404, 500, 502, 503, 429] {
            assert!(
                matches!(
                    openwisp_verdict(code, "x"),
                    Verdict::Retry {
                        retry_after: None,
                        ..
                    }
                ),
                "{code}"
            );
        }
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 2015-10-21 07:26:40 UTC
        assert_eq!(
            native_verdict(429, Some(" 17 "), "slow down", now),
            Verdict::Retry {
                reason: "HTTP 429: slow down".into(),
                retry_after: Some(Duration::from_secs(17))
            }
        );
        assert_eq!(
            native_verdict(503, Some("Wed, 21 Oct 2015 07:28:00 GMT"), "", now),
            Verdict::Retry {
                reason: "HTTP 503: ".into(),
                retry_after: Some(Duration::from_secs(80))
            }
        );
        assert!(matches!(
            native_verdict(503, Some("soon"), "", now),
            Verdict::Retry {
                retry_after: None,
                ..
            }
        ));
        assert!(matches!(
            native_verdict(400, None, "bad envelope", now),
            Verdict::Reject(_)
        ));
        assert_eq!(
            native_verdict(413, None, "too big", now),
            Verdict::TooLarge("HTTP 413: too big".into())
        );
        assert!(matches!(openwisp_verdict(413, ""), Verdict::Reject(_)));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06 08:49:37 UTC
        let p = |v| parse_retry_after(v, now);
        assert_eq!(p("120"), Some(Duration::from_secs(120)));
        assert_eq!(p("0"), Some(Duration::ZERO));
        // The three date forms RFC 9110 asks recipients to accept.
        assert_eq!(
            p("Sun, 06 Nov 1994 08:50:07 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            p("Sunday, 06-Nov-94 08:51:37 GMT"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(p("Sun Nov  6 08:49:47 1994"), Some(Duration::from_secs(10)));
        // Already past: retry now.
        assert_eq!(p("Sun, 06 Nov 1994 08:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(
            p("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in ["", "-5", "1.5", "tomorrow", "Sun, 06 Nov 1994 25:00:00 GMT"] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn keys_survive_percent_encoding(key in ".{0,40}") {
            let enc = percent_encode(&key);
            prop_assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
            let mut decoded = Vec::new();
            let bytes = enc.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    decoded.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                } else {
                    decoded.push(bytes[i]);
                    i += 1;
                }
            }
            prop_assert_eq!(String::from_utf8(decoded).unwrap(), key);
        }

        #[test]
        fn openwisp_time_round_trips(at in 0i64..4_102_444_800_000_000) {
            let text = openwisp_time(at);
            let back = edgemon_shared::time::parse_openwisp_time(&text).unwrap();
            prop_assert_eq!(back.unix_timestamp_nanos() / 1000, i128::from(at));
        }
    }
}
