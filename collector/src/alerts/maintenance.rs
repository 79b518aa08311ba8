//! Maintenance windows: while one covers a device (directly or through its organization),
//! its notifications are stored marked `muted` and not delivered; health keeps being
//! tracked. One-off (`start` + `duration`) or recurring (`every`). Sans-IO.

use crate::config::Duration;
use serde::Deserialize;
use uuid::Uuid;

/// `[[alerts.maintenance]]` in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// An organization (id or slug); give this or `device`.
    pub org: Option<String>,
    /// A device id.
    pub device: Option<Uuid>,
    /// When the (first) window opens, RFC 3339 (`2026-11-28T02:00:00Z`).
    pub start: String,
    /// How long it stays open.
    pub duration: Duration,
    /// Recurrence period (`1d`, `7d`); none for a one-off window.
    pub every: Option<Duration>,
}

/// What a window covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An organization, by id or slug.
    Org(String),
    Device(Uuid),
}

/// A parsed window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub scope: Scope,
    pub start_us: i64,
    pub duration_us: i64,
    pub every_us: Option<i64>,
}

/// The longest `duration` or `every`, in seconds (ten years): longer is surely a typo,
/// and any span up to it fits in microseconds.
pub const MAX_SPAN_S: u64 = 3650 * 86_400;

/// Seconds as microseconds; the caller has checked `s <= MAX_SPAN_S`.
pub fn span_us(s: u64) -> i64 {
    i64::try_from(s.min(MAX_SPAN_S)).expect("ten years fit") * 1_000_000
}

impl WindowSpec {
    /// The window, or what is wrong with it (the caller adds the option's path).
    pub fn parse(&self) -> Result<Window, String> {
        let scope = match (&self.org, self.device) {
            (Some(o), None) => Scope::Org(o.clone()),
            (None, Some(d)) => Scope::Device(d),
            _ => return Err("give exactly one of `org` and `device`".into()),
        };
        let start = time::OffsetDateTime::parse(
            &self.start,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|e| format!("`start` {:?} is not an RFC 3339 time: {e}", self.start))?;
        let start_us = i64::try_from(start.unix_timestamp_nanos() / 1000)
            .map_err(|_| format!("`start` {:?} is out of range", self.start))?;
        if self.duration.as_secs() == 0 {
            return Err("`duration` must be at least 1s".into());
        }
        if self
            .duration
            .as_secs()
            .max(self.every.map_or(0, Duration::as_secs))
            > MAX_SPAN_S
        {
            return Err("`duration` and `every` must be at most 3650d (ten years)".into());
        }
        if let Some(every) = self.every
            && every < self.duration
        {
            return Err("`every` must not be shorter than `duration`".into());
        }
        Ok(Window {
            scope,
            start_us,
            duration_us: span_us(self.duration.as_secs()),
            every_us: self.every.map(|e| span_us(e.as_secs())),
        })
    }
}

impl Window {
    /// Whether the window is open at `now_us`.
    pub fn open(&self, now_us: i64) -> bool {
        if now_us < self.start_us {
            return false;
        }
        let since = now_us - self.start_us;
        match self.every_us {
            Some(period) => since % period < self.duration_us,
            None => since < self.duration_us,
        }
    }

    fn covers(&self, device: Uuid, org: Uuid, org_slug: &str) -> bool {
        match &self.scope {
            Scope::Device(d) => *d == device,
            Scope::Org(o) => o == org_slug || Uuid::parse_str(o).is_ok_and(|id| id == org),
        }
    }
}

/// Whether any window mutes `device` of organization `org` (slug `org_slug`) at `now_us`.
pub fn muted(windows: &[Window], device: Uuid, org: Uuid, org_slug: &str, now_us: i64) -> bool {
    windows
        .iter()
        .any(|w| w.covers(device, org, org_slug) && w.open(now_us))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000;

    fn spec(org: Option<&str>, device: Option<Uuid>, every: Option<u64>) -> WindowSpec {
        WindowSpec {
            org: org.map(str::to_owned),
            device,
            start: "2026-11-28T02:00:00Z".into(),
            duration: Duration::from_secs(7200),
            every: every.map(Duration::from_secs),
        }
    }

    fn start() -> i64 {
        1_795_831_200_000_000 // 2026-11-28T02:00:00Z
    }

    #[test]
    fn one_off_windows_open_once() {
        let w = spec(Some("acme"), None, None).parse().unwrap();
        assert_eq!(w.start_us, start());
        assert!(!w.open(start() - 1));
        assert!(w.open(start()));
        assert!(w.open(start() + 2 * H - 1));
        assert!(!w.open(start() + 2 * H));
        assert!(!w.open(start() + 24 * H));
    }

    #[test]
    fn recurring_windows_open_every_period() {
        let w = spec(Some("acme"), None, Some(86_400)).parse().unwrap();
        for day in 0..3 {
            let t = start() + day * 24 * H;
            assert!(w.open(t) && w.open(t + H) && !w.open(t + 2 * H) && !w.open(t - 1));
        }
    }

    #[test]
    fn scope_by_device_org_id_or_slug() {
        let (device, other, org) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(9));
        let by_device = spec(None, Some(device), None).parse().unwrap();
        let by_slug = spec(Some("acme"), None, None).parse().unwrap();
        let by_id = spec(Some(&org.to_string()), None, None).parse().unwrap();
        let t = start() + H;
        assert!(muted(std::slice::from_ref(&by_device), device, org, "x", t));
        assert!(!muted(&[by_device], other, org, "x", t));
        assert!(muted(std::slice::from_ref(&by_slug), other, org, "acme", t));
        assert!(!muted(&[by_slug], other, org, "other", t));
        assert!(muted(std::slice::from_ref(&by_id), other, org, "x", t));
        assert!(!muted(&[by_id], other, Uuid::from_u128(8), "x", t));
        assert!(!muted(&[], device, org, "acme", t));
    }

    #[test]
    fn invalid_windows_say_why() {
        let err = |s: WindowSpec| s.parse().unwrap_err();
        assert!(err(spec(None, None, None)).contains("exactly one"));
        assert!(err(spec(Some("a"), Some(Uuid::nil()), None)).contains("exactly one"));
        assert!(err(spec(Some("a"), None, Some(3600))).contains("`every`"));
        let mut s = spec(Some("a"), None, None);
        s.start = "tomorrow".into();
        assert!(err(s).contains("RFC 3339"));
        let mut s = spec(Some("a"), None, None);
        s.duration = Duration::from_secs(0);
        assert!(err(s).contains("`duration`"));
        // Long enough to overflow microseconds: refused, not wrapped.
        let mut s = spec(Some("a"), None, Some(u64::MAX / 1000));
        s.duration = Duration::from_secs(3600);
        assert!(err(s).contains("ten years"));
        let mut s = spec(Some("a"), None, None);
        s.duration = Duration::from_secs(MAX_SPAN_S + 1);
        assert!(err(s).contains("ten years"));
    }
}
