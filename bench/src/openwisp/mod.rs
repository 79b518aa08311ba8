//! OpenWISP-mode HTTP ingest under load: a fresh collector, a registered fleet, C
//! keep-alive connections posting NetJSON, and what it cost the collector.

pub mod drive;
pub mod fleet;
pub mod payload;

use crate::collector::Collector;
use crate::procfs::{self, Usage};
use crate::stats::Summary;
use anyhow::Context as _;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The registration secret of the run's organization (a throw-away collector).
const SHARED_SECRET: &str = "loadgen-shared-secret";

/// How long to load the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// Every device sends this many samples.
    Rounds(u64),
    /// Send for this long.
    Duration(Duration),
}

/// One run's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `edgemon-collector` binary.
    pub collector: PathBuf,
    pub devices: u32,
    /// Keep-alive connections (tasks) posting at once.
    pub concurrency: u32,
    pub length: Length,
    /// Simulated seconds between two samples of one device.
    pub interval_s: i64,
}

/// The collector's resource use during the load phase.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CollectorUse {
    /// Peak RSS since the collector started (registration included), KiB.
    pub peak_rss_kib: u64,
    /// RSS right after the load phase, KiB.
    pub rss_after_load_kib: u64,
    /// CPU seconds (user + system) spent during the load phase.
    pub cpu_s: f64,
    /// `cpu_s` / load wall time: cores kept busy.
    pub cpu_cores: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub devices: u32,
    pub concurrency: u32,
    /// Rounds every connection started (the slowest connection's count).
    pub rounds_started_min: u64,
    pub registration_s: f64,
    /// Wall time of the load phase (first request to last reply).
    pub load_s: f64,
    /// Samples answered 200 (queued for storage) per second of the load phase.
    pub samples_per_s: f64,
    /// Samples answered 200 per second of load phase plus drain: the collector had
    /// derived and stored every one of them when it exited.
    pub stored_samples_per_s: f64,
    pub requests: Summary,
    pub payload_bytes_mean: u64,
    pub collector: CollectorUse,
    /// The load generator's own CPU seconds in the load phase (it shares the machine).
    pub loadgen_cpu_s: f64,
    /// SIGTERM to exit: stop accepting, drain the ingest queue, close the stores.
    pub drain_s: f64,
}

#[allow(clippy::cast_precision_loss)]
fn per_s(count: u64, wall: Duration) -> f64 {
    count as f64 / wall.as_secs_f64().max(1e-9)
}

#[allow(clippy::cast_precision_loss)]
fn cpu_s(before: Usage, after: Usage) -> f64 {
    after.cpu_ms.saturating_sub(before.cpu_ms) as f64 / 1000.0
}

/// Run the whole benchmark once.
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    anyhow::ensure!(opts.devices > 0, "--devices must be at least 1");
    let dir = tempfile::Builder::new()
        .prefix("edgemon-loadgen-")
        .tempdir()
        .context("cannot create a data directory")?;
    let mut collector = Collector::new(&opts.collector, &dir.path().join("data"));
    collector
        .cli(&[
            "org",
            "add",
            "Loadgen",
            "--slug",
            "loadgen",
            "--shared-secret",
            SHARED_SECRET,
        ])
        .await?;
    let addr = collector.start().await?;
    let pid = collector
        .pid()
        .context("the collector exited right after starting")?
        .to_string();

    let registering = Instant::now();
    let fleet = fleet::register(addr, SHARED_SECRET, opts.devices, opts.concurrency).await?;
    let registration = registering.elapsed();

    let collector_before = procfs::usage(&pid)?;
    let self_before = procfs::usage("self")?;
    let clock = drive::SampleClock {
        start_s: time::OffsetDateTime::now_utc().unix_timestamp(),
        interval_s: opts.interval_s,
    };
    let started = Instant::now();
    let stop = match opts.length {
        Length::Rounds(r) => drive::Stop::Rounds(r),
        Length::Duration(d) => drive::Stop::Deadline(tokio::time::Instant::now() + d),
    };
    let outcome = drive::drive(
        addr,
        Arc::new(fleet),
        opts.concurrency as usize,
        stop,
        clock,
    )
    .await;
    let load = started.elapsed();
    let collector_after = procfs::usage(&pid)?;
    let self_after = procfs::usage("self")?;

    let drain = collector.terminate().await?;
    let requests = outcome.recorder.summary();
    let collector_cpu = cpu_s(collector_before, collector_after);
    Ok(Report {
        devices: opts.devices,
        concurrency: opts.concurrency,
        rounds_started_min: outcome.rounds_started_min,
        registration_s: registration.as_secs_f64(),
        load_s: load.as_secs_f64(),
        samples_per_s: per_s(requests.ok_200, load),
        stored_samples_per_s: per_s(requests.ok_200, load + drain),
        payload_bytes_mean: outcome.body_bytes / outcome.bodies.max(1),
        collector: CollectorUse {
            peak_rss_kib: collector_after.peak_rss_kib,
            rss_after_load_kib: collector_after.rss_kib,
            cpu_s: collector_cpu,
            cpu_cores: collector_cpu / load.as_secs_f64().max(1e-9),
        },
        loadgen_cpu_s: cpu_s(self_before, self_after),
        drain_s: drain.as_secs_f64(),
        requests,
    })
}

impl Report {
    /// The human-readable form.
    pub fn text(&self) -> String {
        let r = &self.requests;
        let l = &r.latency_ms;
        let c = &self.collector;
        format!(
            "devices {} over {} connections, {} rounds started by every connection\n\
             registration      {:.2} s ({:.0} devices/s)\n\
             load              {:.2} s, {} requests, mean body {} B\n\
             accepted          {:.0} samples/s (200 = queued); {:.0} samples/s stored (load + drain)\n\
             statuses          200: {}  429: {}  other: {}  no reply: {}\n\
             latency           p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms\n\
             collector         peak RSS {} KiB (after load {} KiB), CPU {:.2} s = {:.2} cores\n\
             loadgen           CPU {:.2} s\n\
             drain (SIGTERM)   {:.3} s\n",
            self.devices,
            self.concurrency,
            self.rounds_started_min,
            self.registration_s,
            f64::from(self.devices) / self.registration_s.max(1e-9),
            self.load_s,
            r.requests,
            self.payload_bytes_mean,
            self.samples_per_s,
            self.stored_samples_per_s,
            r.ok_200,
            r.too_many_429,
            r.other_status,
            r.errors,
            l.p50,
            l.p90,
            l.p99,
            l.max,
            c.peak_rss_kib,
            c.rss_after_load_kib,
            c.cpu_s,
            c.cpu_cores,
            self.loadgen_cpu_s,
            self.drain_s,
        )
    }
}
