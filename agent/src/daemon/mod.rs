//! `edgemon-agent run`: the loop that asks the [`Schedule`] what is due, collects into the
//! queue and ships from it. Blocking and single-threaded: one collection or one send at a
//! time, every network call bounded by the configured timeouts, so the loop never hangs.
//!
//! Stopping: SIGTERM/SIGINT make the loop return between steps (`stop.rs`: status written,
//! exit status 0); SIGKILL at any instant is safe too (every queue change is one durable
//! redb transaction); a sample being sent when the process dies is sent again after the
//! restart, and the server drops the duplicate by sequence number (native, MQTT) or
//! overwrites the identical points (OpenWISP: same time, same tags).

pub mod clock;
mod cycle;
pub mod status;
pub mod stop;

use crate::collect::collect;
use crate::config::{Config, Mode};
use crate::deliver::backoff::jitter;
use crate::deliver::http::{Http, HttpSetupError};
use crate::deliver::schedule::{Action, Schedule};
use crate::queue::{Queue, QueueError};
use crate::source::Source;
use edgemon_shared::envelope::Document;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Pause between the two `/proc/stat` reads of a collection.
pub const CPU_GAP: Duration = Duration::from_millis(250);

/// Why the daemon stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Http(#[from] HttpSetupError),
    #[error(transparent)]
    Identity(#[from] crate::register::IdentityError),
    #[cfg(feature = "mqtt")]
    #[error(transparent)]
    Mqtt(#[from] crate::deliver::mqtt::MqttSetupError),
    #[error("mode mqtt is not available in this build")]
    NoMqtt,
}

/// Wall-clock time in µs since the epoch (the collection timestamp of a sample).
pub fn wall_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Where samples go.
#[derive(Debug)]
pub(crate) enum Transport {
    OpenWisp(Http),
    /// `cap`: the most samples a batch may carry now; halved on 413, doubled back on each
    /// success up to `ceiling`: `batch_max`, or one less than the smallest batch the
    /// server refused as too large.
    Native {
        http: Http,
        cap: usize,
        ceiling: usize,
    },
    #[cfg(feature = "mqtt")]
    Mqtt(crate::deliver::mqtt::Mqtt),
}

/// Runs until SIGTERM/SIGINT (then returns `Ok`) or until the process is killed.
pub fn run(cfg: &Config, src: &dyn Source) -> Result<(), RunError> {
    stop::install();
    let Some(cfg) = crate::register::ensure(cfg, src)? else {
        log("info", "stopped before registering", &[]);
        return Ok(());
    };
    let cfg = &cfg;
    let mut transport = match cfg.mode {
        Mode::OpenWisp => Transport::OpenWisp(Http::new(cfg)?),
        Mode::Native => Transport::Native {
            http: Http::new(cfg)?,
            cap: cfg.batch_max.max(1),
            ceiling: cfg.batch_max.max(1),
        },
        #[cfg(feature = "mqtt")]
        Mode::Mqtt => Transport::Mqtt(crate::deliver::mqtt::Mqtt::new(cfg)?),
        #[cfg(not(feature = "mqtt"))]
        Mode::Mqtt => return Err(RunError::NoMqtt),
    };
    if let Some(dir) = cfg
        .queue_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut queue = Queue::open(&cfg.queue_path, cfg.limits())?;
    let start = Instant::now();
    let boot_delay = jitter(cfg.boot_delay_max, fastrand::u64(..));
    log(
        "info",
        "started",
        &[
            ("mode", format!("{:?}", cfg.mode)),
            ("queued", queue.status().depth.to_string()),
            ("boot_delay_ms", boot_delay.as_millis().to_string()),
        ],
    );
    let mut sched = Schedule::new(Duration::ZERO, cfg.interval, boot_delay, cfg.backoff_max);
    // Samples collected but never stored (the queue failed while writing them); counted as
    // dropped once the queue works again.
    let mut unstored = 0;
    let mut clock = clock::ClockGuard::default();
    let mut holding = false;
    loop {
        if stop::requested() {
            status::write(&cfg.status_file, &queue.status(), sched.failures());
            log(
                "info",
                "stopped",
                &[("queued", queue.status().depth.to_string())],
            );
            return Ok(());
        }
        let now = start.elapsed();
        let retimed = retime(&mut clock, &mut queue, now);
        let step = match sched.next(now, queue.status().depth) {
            _ if retimed.is_err() => retimed,
            Action::Collect => {
                let r = collect_one(&mut queue, src, &mut clock);
                unstored += u64::from(r.is_err());
                sched.collected(start.elapsed());
                r
            }
            Action::Send => match clock.hold(now) {
                Some(wait) => {
                    if !holding {
                        log(
                            "info",
                            "clock not synchronised: holding samples until it is set",
                            &[("samples", clock.provisional().to_string())],
                        );
                    }
                    holding = true;
                    stop::sleep(wait);
                    Ok(())
                }
                None => {
                    holding = false;
                    cycle::send(&mut transport, &mut queue, cfg).map(|outcome| {
                        sched.sent(start.elapsed(), outcome, fastrand::u64(..));
                    })
                }
            },
            Action::SleepUntil(t) => {
                stop::sleep(t.saturating_sub(now));
                Ok(())
            }
        };
        if let Err(e) = step {
            queue = recover(queue, cfg, &e);
            if e.is_disk_full() {
                make_room(&mut queue);
            }
            if unstored > 0 && queue.count_unstored(unstored) {
                unstored = 0;
            }
        }
        status::write(&cfg.status_file, &queue.status(), sched.failures());
    }
}

/// Moves the provisional samples if the wall clock was set since the last look.
fn retime(
    clock: &mut clock::ClockGuard,
    queue: &mut Queue,
    mono: Duration,
) -> Result<(), QueueError> {
    let mono_us = i64::try_from(mono.as_micros()).unwrap_or(i64::MAX);
    if let Some(r) = clock.observe(wall_us(), mono_us) {
        let n = queue.retime(&r.seqs, r.delta_us)?;
        log(
            "info",
            "the clock was set; moved the samples taken before",
            &[
                ("samples", n.to_string()),
                ("by_us", r.delta_us.to_string()),
            ],
        );
    }
    Ok(())
}

/// The disk holding the queue is full before the queue reached its byte bound: drop the
/// oldest quarter of it (counted) and keep the queue at most that size from now on (until
/// the daemon restarts), so a full disk costs the oldest samples, not the new ones. The
/// sample whose write hit the full disk is lost, and counted.
fn make_room(queue: &mut Queue) {
    queue.lower_max_bytes(queue.status().bytes * 3 / 4);
    match queue.drop_oldest_share(25) {
        Ok(n) => log(
            "warn",
            "queue disk full: dropped the oldest samples to make room",
            &[("dropped", n.to_string())],
        ),
        Err(e) => log(
            "error",
            "queue disk full and no room could be made",
            &[("error", e.to_string())],
        ),
    }
}

/// After a storage error: log it, close the queue and reopen it (redb rolls back to the
/// last commit), retrying every few seconds until the file opens again (a full disk may
/// need space freed first).
fn recover(queue: Queue, cfg: &Config, e: &QueueError) -> Queue {
    log(
        "error",
        "queue storage failed; reopening",
        &[("error", e.to_string())],
    );
    drop(queue);
    loop {
        match Queue::open(&cfg.queue_path, cfg.limits()) {
            Ok(q) => return q,
            Err(e) => {
                log(
                    "error",
                    "cannot reopen the queue",
                    &[("error", e.to_string())],
                );
                if stop::sleep(Duration::from_secs(5)) {
                    std::process::exit(0);
                }
            }
        }
    }
}

/// Takes one sample, stamps it with the backlog figures, stores it.
fn collect_one(
    queue: &mut Queue,
    src: &dyn Source,
    clock: &mut clock::ClockGuard,
) -> Result<(), QueueError> {
    let c = collect(src, CPU_GAP);
    for w in &c.warnings {
        log("warn", "source skipped", &[("problem", w.clone())]);
    }
    let at = wall_us();
    let st = queue.status();
    let mut doc = c.doc;
    if let Some(info) = doc.edgemon.as_mut() {
        info.backlog_samples = Some(st.depth);
        info.backlog_oldest_age_s = st.oldest_age_s(at);
        info.dropped_samples = Some(st.dropped);
    }
    let ntp_synced = doc.edgemon.as_ref().and_then(|i| i.ntp_synced);
    let r = queue.enqueue(at, Document::from(&doc), at)?;
    if r.stored {
        clock.collected(r.seq, at, ntp_synced);
    }
    if r.evicted > 0 || !r.stored {
        log(
            "warn",
            "queue full: dropped oldest samples",
            &[
                ("evicted", r.evicted.to_string()),
                ("stored", r.stored.to_string()),
            ],
        );
    }
    Ok(())
}

/// One log line on stderr (procd forwards it to syslog): level, message, key=value pairs.
pub fn log(level: &str, msg: &str, fields: &[(&str, String)]) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let mut line = format!("{level}: {msg}");
    for (k, v) in fields {
        line.push(' ');
        line.push_str(k);
        line.push('=');
        if v.contains(' ') {
            let _ = write!(line, "{v:?}");
        } else {
            line.push_str(v);
        }
    }
    let _ = writeln!(std::io::stderr(), "{line}");
}
