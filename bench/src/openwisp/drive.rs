//! Drive the ingest: C tasks, one keep-alive connection each; task `w` owns devices
//! `w, w + C, w + 2C, …` and posts one sample per device per round, as a fleet whose
//! devices report in turn. A 429 makes that task (that "device") wait `Retry-After` and
//! resend the same sample, as the reference agent does.

use super::fleet::Registered;
use super::payload::document_bytes;
use crate::client::Connection;
use crate::stats::Recorder;
use bytes::Bytes;
use edgemon_shared::time::format_openwisp_time;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::time::Instant;

/// Waited before the next sample when a request got no reply at all.
const ERROR_PAUSE: Duration = Duration::from_millis(100);
/// Waited after a 429 without a readable `Retry-After`.
const DEFAULT_RETRY: Duration = Duration::from_secs(1);

/// When the load stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Every device sends this many samples (each accepted, unless the request fails).
    Rounds(u64),
    /// No new request after this instant; requests in flight complete.
    Deadline(Instant),
}

/// The simulated clock: round `r` of every device is stamped `start_s + r × interval_s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleClock {
    pub start_s: i64,
    pub interval_s: i64,
}

impl SampleClock {
    pub fn seconds(&self, round: u64) -> i64 {
        self.start_s + i64::try_from(round).unwrap_or(i64::MAX / 2) * self.interval_s
    }

    /// The `time` query parameter of round `round`.
    pub fn param(&self, round: u64) -> String {
        let t = OffsetDateTime::from_unix_timestamp(self.seconds(round))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        format_openwisp_time(t)
    }
}

/// The ingest URL of one sample.
pub fn sample_path(device: &Registered, time_param: &str) -> String {
    format!(
        "/api/v1/monitoring/device/{}/?key={}&time={time_param}",
        device.uuid, device.key
    )
}

/// The devices task `worker` of `concurrency` owns.
pub fn share(devices: &[Registered], worker: usize, concurrency: usize) -> Vec<Registered> {
    devices
        .iter()
        .skip(worker)
        .step_by(concurrency.max(1))
        .cloned()
        .collect()
}

/// What the tasks did together.
#[derive(Debug, Default)]
pub struct Outcome {
    pub recorder: Recorder,
    /// Rounds every task started (the smallest over tasks).
    pub rounds_started_min: u64,
    /// Request bodies sent and their total size (retries included).
    pub bodies: u64,
    pub body_bytes: u64,
}

/// Run the load until `stop`.
pub async fn drive(
    addr: SocketAddr,
    devices: Arc<Vec<Registered>>,
    concurrency: usize,
    stop: Stop,
    clock: SampleClock,
) -> Outcome {
    let concurrency = concurrency.clamp(1, devices.len().max(1));
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let mine = share(&devices, w, concurrency);
            tokio::spawn(connection_task(addr, mine, stop, clock))
        })
        .collect();
    let mut total = Outcome {
        rounds_started_min: u64::MAX,
        ..Outcome::default()
    };
    for task in tasks {
        match task.await {
            Ok(o) => {
                total.recorder.merge(o.recorder);
                total.rounds_started_min = total.rounds_started_min.min(o.rounds_started_min);
                total.bodies += o.bodies;
                total.body_bytes += o.body_bytes;
            }
            // a panicking task loses its record; count it as one failed request
            Err(_) => total.recorder.error(),
        }
    }
    if total.rounds_started_min == u64::MAX {
        total.rounds_started_min = 0;
    }
    total
}

fn past(stop: Stop) -> bool {
    matches!(stop, Stop::Deadline(d) if Instant::now() >= d)
}

async fn connection_task(
    addr: SocketAddr,
    devices: Vec<Registered>,
    stop: Stop,
    clock: SampleClock,
) -> Outcome {
    let mut out = Outcome::default();
    let mut conn: Option<Connection> = None;
    let mut round = 0;
    'rounds: loop {
        if matches!(stop, Stop::Rounds(r) if round >= r) || past(stop) {
            break;
        }
        out.rounds_started_min = round + 1;
        let time_param = clock.param(round);
        for device in &devices {
            let body = Bytes::from(document_bytes(device.index, round, clock.seconds(round)));
            let path = sample_path(device, &time_param);
            loop {
                if past(stop) {
                    break 'rounds;
                }
                let c = match conn.take() {
                    Some(c) => conn.insert(c),
                    None => match Connection::connect(addr).await {
                        Ok(c) => conn.insert(c),
                        Err(_) => {
                            out.recorder.error();
                            tokio::time::sleep(ERROR_PAUSE).await;
                            break;
                        }
                    },
                };
                out.bodies += 1;
                out.body_bytes += body.len() as u64;
                let sent = Instant::now();
                match c.post(&path, "application/json", body.clone()).await {
                    Ok(reply) => {
                        out.recorder.reply(reply.status, sent.elapsed());
                        if reply.status != 429 {
                            break;
                        }
                        let wake = Instant::now() + reply.retry_after.unwrap_or(DEFAULT_RETRY);
                        let wake = match stop {
                            Stop::Deadline(d) => wake.min(d),
                            Stop::Rounds(_) => wake,
                        };
                        tokio::time::sleep_until(wake).await;
                    }
                    Err(_) => {
                        out.recorder.error();
                        conn = None;
                        tokio::time::sleep(ERROR_PAUSE).await;
                        break;
                    }
                }
            }
        }
        round += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(n: u32) -> Vec<Registered> {
        (0..n)
            .map(|index| Registered {
                index,
                uuid: format!("{index:032x}"),
                key: format!("k{index}"),
            })
            .collect()
    }

    #[test]
    fn shares_cover_every_device_once() {
        let devices = fleet(10);
        for c in 1..=12 {
            let mut seen: Vec<u32> = (0..c)
                .flat_map(|w| share(&devices, w, c))
                .map(|d| d.index)
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..10).collect::<Vec<_>>(), "concurrency {c}");
        }
    }

    #[test]
    fn the_clock_steps_by_the_interval_in_openwisp_format() {
        let clock = SampleClock {
            start_s: 1_764_000_000,
            interval_s: 300,
        };
        assert_eq!(clock.seconds(2), 1_764_000_600);
        assert_eq!(clock.param(0), "24-11-2025_16:00:00.000000");
        assert_eq!(clock.param(2), "24-11-2025_16:10:00.000000");
        let parsed = edgemon_shared::time::parse_openwisp_time(&clock.param(1)).expect("parses");
        assert_eq!(parsed.unix_timestamp(), 1_764_000_300);
    }

    #[test]
    fn the_path_carries_uuid_key_and_time() {
        let d = &fleet(3)[2];
        assert_eq!(
            sample_path(d, "24-11-2025_16:00:00.000000"),
            "/api/v1/monitoring/device/00000000000000000000000000000002/?key=k2&time=24-11-2025_16:00:00.000000"
        );
    }
}
