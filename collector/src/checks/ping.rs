//! `ping`: ICMP echo from the collector (surge-ping), with the reference's fping options:
//! `count` requests `interval` apart, each waiting `timeout`, `bytes` of payload. Result:
//! `reachable` (1 unless every request was lost), `loss` (percent, integer division as
//! fping prints it), `rtt_min/avg/max` in milliseconds when reachable.

use super::{Check, CheckError, Output, Target, device_point};
use crate::alerts::Status;
use crate::registry::Device;
use crate::tsdb::{BoxFuture, FieldValue, Point};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use surge_ping::{Client, Config, ICMP, PingIdentifier, PingSequence};

/// The fping options (validated by the configuration: count 2..=20, interval 10..=1000 ms,
/// bytes 12..=65508, timeout 5..=1500 ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub count: u16,
    pub interval: Duration,
    pub bytes: usize,
    pub timeout: Duration,
    pub management_ip_only: bool,
}

impl From<&crate::config::checks::Ping> for Params {
    fn from(p: &crate::config::checks::Ping) -> Self {
        Params {
            count: u16::try_from(p.count).unwrap_or(u16::MAX),
            interval: Duration::from_millis(p.interval_ms),
            bytes: p.bytes,
            timeout: Duration::from_millis(p.timeout_ms),
            management_ip_only: p.management_ip_only,
        }
    }
}

/// The outcome of one round of requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub reachable: bool,
    pub loss: f64,
    /// (min, avg, max) in ms, when anything came back.
    pub rtt: Option<(f64, f64, f64)>,
}

/// Summarise the round trip of each request (`None`: lost). Sans-IO.
pub fn summarize(replies: &[Option<Duration>]) -> Summary {
    let sent = replies.len().max(1);
    let rtts: Vec<f64> = replies
        .iter()
        .flatten()
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    let lost = sent - rtts.len();
    #[allow(clippy::cast_precision_loss)]
    let loss = (lost * 100 / sent) as f64;
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let rtt = (!rtts.is_empty()).then(|| {
        let min = rtts.iter().copied().fold(f64::INFINITY, f64::min);
        let max = rtts.iter().copied().fold(0.0, f64::max);
        #[allow(clippy::cast_precision_loss)]
        let avg = rtts.iter().sum::<f64>() / rtts.len() as f64;
        (round(min), round(avg), round(max))
    });
    Summary {
        reachable: !rtts.is_empty(),
        loss,
        rtt,
    }
}

/// The address to ping: the management IP, else (unless `management_ip_only`) the last
/// IP the device connected from. Unparseable addresses count as none.
pub fn address(device: &Device, management_ip_only: bool) -> Option<IpAddr> {
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| s.trim().parse().ok());
    parse(&device.management_ip).or_else(|| {
        if management_ip_only {
            None
        } else {
            parse(&device.last_ip)
        }
    })
}

/// The `ping` point for a summary.
pub fn point(device: &Device, summary: &Summary, time_us: i64) -> Point {
    let mut p = device_point("ping", device, time_us)
        .field("reachable", FieldValue::Int(i64::from(summary.reachable)))
        .field("loss", FieldValue::Float(summary.loss));
    if let Some((min, avg, max)) = summary.rtt {
        p = p
            .field("rtt_min", FieldValue::Float(min))
            .field("rtt_avg", FieldValue::Float(avg))
            .field("rtt_max", FieldValue::Float(max));
    }
    p
}

pub struct Ping {
    params: Params,
    /// One socket per address family, shared by every check. In an `Arc` because
    /// dropping any clone of a surge-ping `Client` shuts the shared socket's receiver down.
    v4: tokio::sync::OnceCell<Arc<Client>>,
    v6: tokio::sync::OnceCell<Arc<Client>>,
    /// Echo identifiers, so concurrent checks' replies are told apart.
    ident: AtomicU16,
}

impl std::fmt::Debug for Ping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ping")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Ping {
    pub fn new(params: Params) -> Result<Ping, CheckError> {
        let mut seed = [0_u8; 2];
        getrandom::fill(&mut seed).map_err(|e| CheckError::Socket(e.to_string()))?;
        Ok(Ping {
            params,
            v4: tokio::sync::OnceCell::new(),
            v6: tokio::sync::OnceCell::new(),
            ident: AtomicU16::new(u16::from_le_bytes(seed)),
        })
    }

    async fn client(&self, ip: IpAddr) -> Result<&Arc<Client>, CheckError> {
        let (cell, kind) = match ip {
            IpAddr::V4(_) => (&self.v4, ICMP::V4),
            IpAddr::V6(_) => (&self.v6, ICMP::V6),
        };
        cell.get_or_try_init(|| async {
            Client::new(&Config::builder().kind(kind).build())
                .map(Arc::new)
                .map_err(|e| CheckError::Socket(e.to_string()))
        })
        .await
    }

    /// One round of `count` requests; the round trip of each, `None` when lost.
    pub async fn round(&self, ip: IpAddr) -> Result<Vec<Option<Duration>>, CheckError> {
        let client = self.client(ip).await?;
        let ident = PingIdentifier(self.ident.fetch_add(1, Ordering::Relaxed));
        let payload = vec![0_u8; self.params.bytes];
        let mut set = tokio::task::JoinSet::new();
        for seq in 0..self.params.count {
            let client = client.clone();
            let payload = payload.clone();
            let delay = self.params.interval * u32::from(seq);
            let timeout = self.params.timeout;
            set.spawn(async move {
                tokio::time::sleep(delay).await;
                let mut pinger = client.pinger(ip, ident).await;
                pinger.timeout(timeout);
                pinger
                    .ping(PingSequence(seq), &payload)
                    .await
                    .ok()
                    .map(|(_, rtt)| rtt)
            });
        }
        let mut out = Vec::with_capacity(usize::from(self.params.count));
        while let Some(r) = set.join_next().await {
            out.push(r.unwrap_or(None));
        }
        Ok(out)
    }
}

impl Check for Ping {
    fn name(&self) -> &'static str {
        "ping"
    }

    fn metric(&self) -> &'static str {
        "ping"
    }

    fn run<'a>(
        &'a self,
        target: &'a Target,
        now_us: i64,
    ) -> BoxFuture<'a, Result<Option<Output>, CheckError>> {
        Box::pin(async move {
            let summary = match address(&target.device, self.params.management_ip_only) {
                Some(ip) => summarize(&self.round(ip).await?),
                // No address: nothing is known about a device never seen; otherwise it is
                // unreachable (the reference).
                None if target.status == Status::Unknown => return Ok(None),
                None => Summary {
                    reachable: false,
                    loss: 100.0,
                    rtt: None,
                },
            };
            Ok(Some(Output {
                points: vec![point(&target.device, &summary, now_us)],
                send_alert: true,
            }))
        })
    }
}

/// A device with no addresses, for tests of checks.
#[cfg(test)]
pub(crate) fn tests_device() -> Device {
    Device {
        id: uuid::Uuid::from_u128(1),
        org: uuid::Uuid::from_u128(2),
        name: "d".into(),
        mac: String::new(),
        key_hash: [0; 32],
        model: String::new(),
        os: String::new(),
        system: String::new(),
        hardware_id: String::new(),
        last_ip: None,
        management_ip: None,
        location: None,
        active: true,
        created_us: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // a reply, as `round` reports it
    fn ms(v: u64) -> Option<Duration> {
        Some(Duration::from_micros(v * 1000))
    }

    #[test]
    fn summaries_as_fping_reports_them() {
        let s = summarize(&[ms(1), ms(3), None, ms(2), None]);
        assert!(s.reachable);
        assert!((s.loss - 40.0).abs() < f64::EPSILON);
        assert_eq!(s.rtt, Some((1.0, 2.0, 3.0)));
        let s = summarize(&[None, None, None]);
        assert!(!s.reachable);
        assert!((s.loss - 100.0).abs() < f64::EPSILON);
        assert_eq!(s.rtt, None);
        // fping divides integers: 1 of 3 lost is 33%.
        assert!((summarize(&[ms(1), None, ms(1)]).loss - 33.0).abs() < f64::EPSILON);
    }

    fn device(management: Option<&str>, last: Option<&str>) -> Device {
        let mut d = tests_device();
        d.last_ip = last.map(str::to_owned);
        d.management_ip = management.map(str::to_owned);
        d
    }

    #[test]
    fn management_ip_then_last_ip_when_allowed() {
        let both = device(Some("10.0.0.1"), Some("192.0.2.7"));
        assert_eq!(address(&both, true), Some("10.0.0.1".parse().unwrap()));
        let last = device(None, Some("192.0.2.7"));
        assert_eq!(address(&last, true), None);
        assert_eq!(address(&last, false), Some("192.0.2.7".parse().unwrap()));
        assert_eq!(address(&device(Some("nonsense"), None), false), None);
        assert_eq!(address(&device(None, None), false), None);
        assert_eq!(
            address(&device(Some("fd00::1"), None), true),
            Some("fd00::1".parse().unwrap())
        );
    }

    #[test]
    fn points_carry_rtts_only_when_reachable() {
        let d = device(None, None);
        let p = point(&d, &summarize(&[ms(2), ms(4)]), 5);
        assert_eq!(p.measurement, "ping");
        assert_eq!(p.fields["reachable"], FieldValue::Int(1));
        assert_eq!(p.fields["rtt_avg"], FieldValue::Float(3.0));
        let p = point(&d, &summarize(&[None, None]), 5);
        assert_eq!(p.fields["reachable"], FieldValue::Int(0));
        assert!(!p.fields.contains_key("rtt_min"));
        assert_eq!(p.tags["object_id"], d.id.to_string());
    }
}
