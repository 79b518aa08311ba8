//! The worker: batches of jobs → derived points → one storage write per batch → (native
//! batches) one ledger commit → acknowledgements.

use super::ledger::{Ledger, LedgerError};
use super::native::{self, DeviceLedger, Outcome};
use super::{Job, NativeJob, Stats, Work};
use crate::derive::sessions::{self, OpenSession, SessionKey};
use crate::sessions::{SessionStore, Step};
use crate::tsdb::{FieldValue, Point, Retention, StoreError, TimeSeries};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Turns jobs into points; keeps each device's previous snapshot for counter deltas.
#[derive(Debug)]
pub struct Processor {
    tsdb: Arc<dyn TimeSeries>,
    /// Each device's previous counters (not whole snapshots: memory stays small).
    previous: HashMap<Uuid, Previous>,
    options: transform::Options,
    /// Evaluates what was stored (alerts, health); `None` when alerts are off.
    alerts: Option<Arc<crate::alerts::Alerts>>,
    /// WiFi clients and sessions, when kept.
    sessions: Option<Arc<SessionStore>>,
    /// Each device's open sessions as of the last sample derived (ahead of the store until
    /// the batch is written), keyed by a digest of their [`SessionKey`] (32 bytes a
    /// session; the keys' strings stay in the store).
    open_sessions: HashMap<Uuid, Vec<OpenSession<Uuid, u64>>>,
    /// The digest's key, random per process (the digests never leave memory).
    session_keys: std::hash::RandomState,
    /// Where native devices' states persist.
    ledger: Arc<Ledger>,
    /// Native devices' states as of the last batch derived (ahead of `ledger` until the
    /// batch is written).
    devices: HashMap<Uuid, DeviceLedger>,
    /// Devices whose session changes the post-storage stage could not commit: their open
    /// sessions are read back from the store before their next sample.
    reload_sessions: Arc<std::sync::Mutex<Vec<Uuid>>>,
    /// Each device's last client descriptions ([`sessions::clients_digest`]): unchanged
    /// clients are not written again (8 bytes a device).
    clients_seen: HashMap<Uuid, u64>,
}

use crate::derive::{self, DEVICE_DATA, DeviceInfo, PreviousCounters, transform};

/// The `device_data` field that records the sample time of the snapshot (µs), so that an
/// OpenWISP sample sent again after a crash (stored, but its 200 lost) is recognised.
pub const SAMPLE_TIME_FIELD: &str = "sample_us";

/// What a device's next OpenWISP sample is derived against.
#[derive(Debug, Clone, Default)]
struct Previous {
    counters: PreviousCounters,
    /// The time of the sample these counters come from (OpenWISP path; `None` after a
    /// native batch or for a snapshot stored before this field existed).
    sample_us: Option<i64>,
}

fn now_us() -> i64 {
    crate::registry::now_us()
}

impl Processor {
    pub fn new(
        tsdb: Arc<dyn TimeSeries>,
        ledger: Arc<Ledger>,
        options: transform::Options,
    ) -> Self {
        Processor {
            tsdb,
            previous: HashMap::new(),
            options,
            alerts: None,
            sessions: None,
            open_sessions: HashMap::new(),
            session_keys: std::hash::RandomState::new(),
            ledger,
            devices: HashMap::new(),
            reload_sessions: Arc::default(),
            clients_seen: HashMap::new(),
        }
    }

    /// A native device's state: from memory, else the ledger, else a new one based on the
    /// device's last OpenWISP snapshot. Waits (with backoff) while neither can be read.
    async fn device_ledger(&mut self, device: Uuid) -> DeviceLedger {
        if let Some(l) = self.devices.get(&device) {
            return l.clone();
        }
        let mut delay = Duration::from_millis(100);
        loop {
            let found = match self.ledger.device(device) {
                Ok(Some(l)) => Ok(l),
                Ok(None) => self
                    .previous(device)
                    .await
                    .map(|p| DeviceLedger::new(p.counters))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match found {
                Ok(l) => return l,
                Err(e) => {
                    tracing::warn!(%device, error = %e, "cannot read the device's ingest ledger; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// The points of one native batch; the device's state moves on in memory.
    async fn native(&mut self, job: &mut NativeJob) -> (Vec<Point>, Outcome) {
        let mut state = self.device_ledger(job.device).await;
        let info = DeviceInfo {
            id: job.device,
            organization_id: job.org,
            location_id: None,
            floorplan_id: None,
        };
        let samples = std::mem::take(&mut job.samples);
        let (points, outcome) = native::apply(&mut state, &info, samples, self.options, now_us());
        self.previous.insert(
            job.device,
            Previous {
                counters: state.latest_counters(),
                sample_us: None,
            },
        );
        self.devices.insert(job.device, state);
        (points, outcome)
    }

    /// The states of these devices as derived so far (their ledger commit, once the
    /// group is stored, must not include later groups' samples).
    fn states(&self, devices: &[Uuid]) -> Vec<(Uuid, DeviceLedger)> {
        devices
            .iter()
            .filter_map(|d| self.devices.get(d).map(|s| (*d, s.clone())))
            .collect()
    }

    /// Drop the in-memory open sessions of devices whose changes were not committed.
    fn forget_failed_sessions(&mut self) {
        let failed = std::mem::take(
            &mut *self
                .reload_sessions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for d in failed {
            self.open_sessions.remove(&d);
            self.clients_seen.remove(&d);
        }
    }

    /// Keep WiFi clients and sessions in `sessions` (from OpenWISP-path samples).
    #[must_use]
    pub fn with_sessions(mut self, sessions: Option<Arc<SessionStore>>) -> Self {
        self.sessions = sessions;
        self
    }

    /// The session changes a snapshot makes for its device; updates the in-memory view.
    fn session_step(
        &mut self,
        device: Uuid,
        org: Uuid,
        snapshot: &serde_json::Value,
    ) -> Option<Step> {
        let store = self.sessions.as_ref()?;
        let keys = &self.session_keys;
        let digest = |k: &SessionKey| keys.hash_one(k);
        let open = match self.open_sessions.entry(device) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => match store.open_sessions(device) {
                Ok(open) => e.insert(
                    open.into_iter()
                        .map(|s| OpenSession {
                            id: s.id,
                            key: digest(&s.key),
                            start_us: s.start_us,
                        })
                        .collect(),
                ),
                Err(err) => {
                    tracing::warn!(%device, error = %err, "cannot read open WiFi sessions; skipped");
                    return None;
                }
            },
        };
        let now = now_us();
        let changes = sessions::update_by(open, snapshot, now, digest);
        let mut step = Step::new(device, org, &changes, now);
        open.retain(|s| !step.closed.iter().any(|(id, _)| *id == s.id));
        open.extend(step.opened.iter().map(|s| OpenSession {
            id: s.id,
            key: digest(&SessionKey {
                interface_name: s.interface_name.clone(),
                ssid: s.ssid.clone(),
                mac: s.mac.clone(),
            }),
            start_us: s.start_us,
        }));
        // Kept for every device: no slack left by the vector's doubling.
        open.shrink_to_fit();
        let clients = sessions::clients_digest(&changes.clients);
        if self.clients_seen.insert(device, clients) == Some(clients) {
            step.clients.clear();
        }
        let unchanged = step.opened.is_empty() && step.closed.is_empty() && step.clients.is_empty();
        (!unchanged).then_some(step)
    }

    /// Evaluate every stored batch with `alerts`.
    #[must_use]
    pub fn with_alerts(mut self, alerts: Option<Arc<crate::alerts::Alerts>>) -> Self {
        self.alerts = alerts;
        self
    }

    /// The device's previous snapshot: from memory, else from the store (after a restart).
    async fn previous(&mut self, device: Uuid) -> Result<Previous, StoreError> {
        if let Some(v) = self.previous.get(&device) {
            return Ok(v.clone());
        }
        let latest = self
            .tsdb
            .latest(
                Retention::Short,
                DEVICE_DATA.to_owned(),
                vec![("pk".to_owned(), device.hyphenated().to_string())],
            )
            .await?;
        let Some(latest) = latest else {
            return Ok(Previous::default());
        };
        let counters = match latest.fields.get("data") {
            Some(FieldValue::Str(s)) => serde_json::from_str::<serde_json::Value>(s)
                .ok()
                .map_or_else(PreviousCounters::none, |v| {
                    PreviousCounters::from_snapshot(&v)
                }),
            _ => PreviousCounters::none(),
        };
        let sample_us = match latest.fields.get(SAMPLE_TIME_FIELD) {
            Some(FieldValue::Int(t)) => Some(*t),
            _ => None,
        };
        Ok(Previous {
            counters,
            sample_us,
        })
    }

    /// The points for one job, and remember its snapshot as the device's previous one.
    /// Waits (with backoff) while the store cannot tell the previous snapshot: deltas
    /// computed without it would be wrong. A sample with the same time as the stored
    /// snapshot's is the same sample sent again (its answer was lost): it gives no points
    /// (derived against itself, its traffic deltas would overwrite the right ones with 0).
    async fn points(&mut self, job: &Job, stats: &Stats) -> (Vec<Point>, Option<Step>) {
        let mut delay = Duration::from_millis(100);
        let previous = loop {
            match self.previous(job.device).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::warn!(device = %job.device, error = %e, "cannot read the previous snapshot; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        };
        let info = DeviceInfo {
            id: job.device,
            organization_id: job.org,
            location_id: None,
            floorplan_id: None,
        };
        let sample = match edgemon_shared::validate::parse_validated(&job.body) {
            Ok(sample) => sample,
            Err(e) => {
                // The handler validated these bytes; reaching this is a bug, not bad input.
                tracing::error!(device = %job.device, error = %e, "queued sample no longer validates; dropped");
                return (Vec::new(), None);
            }
        };
        if previous.sample_us == Some(job.time_us) {
            stats.openwisp_duplicates.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(device = %job.device, time_us = job.time_us, "sample already stored; skipped");
            return (Vec::new(), None);
        }
        let derived =
            derive::derive_after(&info, &previous.counters, sample, job.time_us, self.options);
        self.previous.insert(
            job.device,
            Previous {
                counters: PreviousCounters::from_snapshot(&derived.snapshot),
                sample_us: Some(job.time_us),
            },
        );
        let step = self.session_step(job.device, job.org, &derived.snapshot);
        let mut points = derived.into_points(job.device, now_us());
        if let Some(snapshot) = points
            .iter_mut()
            .rev()
            .find(|p| p.measurement == DEVICE_DATA)
        {
            snapshot
                .fields
                .insert(SAMPLE_TIME_FIELD.to_owned(), FieldValue::Int(job.time_us));
        }
        (points, step)
    }
}

/// Work derived but not yet written.
#[derive(Default)]
struct Group {
    /// Samples in it.
    samples: u64,
    points: Vec<Point>,
    answers: Vec<(tokio::sync::oneshot::Sender<Outcome>, Outcome)>,
    touched: Vec<Uuid>,
    /// WiFi session changes, committed after the points.
    sessions: Vec<Step>,
    /// OpenWISP posts waiting for their points to be stored.
    stored: Vec<tokio::sync::oneshot::Sender<()>>,
}

/// A group whose write has started: the acknowledgement stage finishes it.
struct InFlight {
    /// The write (retried until it works); gives the points back for the post stage.
    write: tokio::task::JoinHandle<Arc<Vec<Point>>>,
    samples: u64,
    answers: Vec<(tokio::sync::oneshot::Sender<Outcome>, Outcome)>,
    /// The native devices' states as of this group, committed once it is stored.
    states: Vec<(Uuid, DeviceLedger)>,
    sessions: Vec<Step>,
    stored: Vec<tokio::sync::oneshot::Sender<()>>,
}

/// Groups written but not yet acknowledged, at most, beyond the one being derived: the
/// worker derives the next group while the store commits the previous ones (their
/// fsyncs overlap the derivation), and waits beyond it (backpressure).
const IN_FLIGHT: usize = 2;

pub(super) async fn run(
    mut processor: Processor,
    mut rx: mpsc::Receiver<Work>,
    batch_max: usize,
    stats: Arc<Stats>,
    queued_bytes: Arc<super::Budget>,
) {
    let (post_tx, post_rx) = mpsc::channel(POST_QUEUE);
    let post = tokio::spawn(post_storage(
        processor.alerts.clone(),
        processor.sessions.clone(),
        processor.reload_sessions.clone(),
        post_rx,
        stats.clone(),
    ));
    let (ack_tx, ack_rx) = mpsc::channel(IN_FLIGHT);
    let ack = tokio::spawn(acknowledge(
        processor.ledger.clone(),
        ack_rx,
        stats.clone(),
        post_tx,
    ));
    let mut batch = Vec::with_capacity(batch_max);
    loop {
        batch.clear();
        if rx.recv_many(&mut batch, batch_max).await == 0 {
            // Every sender is gone and the queue is empty: let the later stages finish
            // what they hold (the acknowledgements, then alerts and sessions).
            drop(ack_tx);
            for (stage, handle) in [("acknowledgement", ack), ("post-storage", post)] {
                if let Err(e) = handle.await {
                    tracing::error!(error = %e, "{stage} stage panicked");
                }
            }
            return;
        }
        processor.forget_failed_sessions();
        // A write holds at most about `batch_max` samples (a native batch is never split),
        // so large native batches do not make huge writes.
        let mut group = Group::default();
        let taken: usize = batch.iter().map(Work::bytes).sum();
        queued_bytes.release(taken);
        for work in batch.drain(..) {
            match work {
                Work::Sample(mut job) => {
                    group.samples += 1;
                    let (points, step) = processor.points(&job, &stats).await;
                    group.points.extend(points);
                    group.sessions.extend(step);
                    group.stored.extend(job.stored.take());
                }
                Work::Native(mut job) => {
                    let (p, outcome) = processor.native(&mut job).await;
                    group.samples += outcome.stored;
                    group.points.extend(p);
                    group.touched.push(job.device);
                    group.answers.push((job.done, outcome));
                }
            }
            if group.samples >= batch_max as u64 {
                flush(&processor, std::mem::take(&mut group), &stats, &ack_tx).await;
            }
        }
        if group.samples > 0 || !group.answers.is_empty() {
            flush(&processor, group, &stats, &ack_tx).await;
        }
    }
}

/// Groups stored but not yet evaluated (alerts) and whose sessions are not yet committed,
/// at most: beyond it the worker waits (backpressure).
const POST_QUEUE: usize = 4;

/// What the post-storage stage does with a stored group.
struct Stored {
    points: Arc<Vec<Point>>,
    sessions: Vec<Step>,
}

/// Start writing a group's points (retried until they are stored) and hand the rest to
/// the acknowledgement stage. Writes of consecutive groups may overlap and land in any
/// order: points are keyed by series and time, so the order does not change what is
/// stored; the acknowledgements keep the groups' order.
async fn flush(
    processor: &Processor,
    mut group: Group,
    stats: &Arc<Stats>,
    ack: &mpsc::Sender<InFlight>,
) {
    group.touched.sort_unstable();
    group.touched.dedup();
    let states = processor.states(&group.touched);
    let (tsdb, stats2) = (processor.tsdb.clone(), stats.clone());
    // Shared with the store, not copied: the post-storage stage reads them afterwards.
    let points = Arc::new(group.points);
    let write = tokio::spawn(async move {
        let count = points.len() as u64;
        let mut delay = Duration::from_millis(100);
        loop {
            match tsdb.write_shared(points.clone()).await {
                Ok(()) => break,
                Err(e) => {
                    stats2.write_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, points = count, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "time-series write failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
        points
    });
    let in_flight = InFlight {
        write,
        samples: group.samples,
        answers: group.answers,
        states,
        sessions: group.sessions,
        stored: group.stored,
    };
    if ack.send(in_flight).await.is_err() {
        tracing::error!("acknowledgement stage stopped; a group is not acknowledged");
    }
}

/// The acknowledgement stage, group by group in the worker's order: wait for the write,
/// answer the OpenWISP posts, commit the native devices' ledgers, answer the native
/// batches, then pass the points on to alerts and sessions (derived data: no answer waits
/// for them).
async fn acknowledge(
    ledger: Arc<Ledger>,
    mut rx: mpsc::Receiver<InFlight>,
    stats: Arc<Stats>,
    post: mpsc::Sender<Stored>,
) {
    while let Some(group) = rx.recv().await {
        let points = match group.write.await {
            Ok(points) => points,
            Err(e) => {
                // Only a panic in the store gets here: nothing of the group is answered.
                tracing::error!(error = %e, "time-series write task failed; a group is not acknowledged");
                continue;
            }
        };
        stats.stored.fetch_add(group.samples, Ordering::Relaxed);
        stats
            .points
            .fetch_add(points.len() as u64, Ordering::Relaxed);
        // The points are durable: the posts may be answered.
        for done in group.stored {
            let _ = done.send(());
        }
        if !group.states.is_empty() {
            commit_ledger(&ledger, group.states, &stats).await;
        }
        for (done, outcome) in group.answers {
            stats.native_batches.fetch_add(1, Ordering::Relaxed);
            stats
                .native_duplicates
                .fetch_add(outcome.duplicates, Ordering::Relaxed);
            stats.native_lost.fetch_add(outcome.lost, Ordering::Relaxed);
            stats.native_late.fetch_add(outcome.late, Ordering::Relaxed);
            stats
                .native_invalid
                .fetch_add(outcome.invalid.len() as u64, Ordering::Relaxed);
            // The sender may be gone (client disconnected): the batch is stored anyway.
            let _ = done.send(outcome);
        }
        let stored = Stored {
            points,
            sessions: group.sessions,
        };
        if post.send(stored).await.is_err() {
            tracing::error!("post-storage stage stopped; alerts and sessions of a group skipped");
        }
    }
}

/// Commit these native devices' states (retrying until it works: the batches wait).
async fn commit_ledger(ledger: &Arc<Ledger>, states: Vec<(Uuid, DeviceLedger)>, stats: &Stats) {
    let states = Arc::new(states);
    let mut delay = Duration::from_millis(100);
    loop {
        let (ledger, states2) = (ledger.clone(), states.clone());
        let r = tokio::task::spawn_blocking(move || ledger.commit(&states2))
            .await
            .unwrap_or_else(|e| Err(LedgerError::from_panic(&e)));
        match r {
            Ok(()) => return,
            Err(e) => {
                stats.ledger_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "ingest ledger commit failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Stored groups whose session changes one transaction commits, at most.
const SESSION_GROUPS: usize = 8;

/// The post-storage stage: alert evaluation group by group in storage order, then the WiFi
/// session changes of the groups evaluated, in one transaction.
async fn post_storage(
    alerts: Option<Arc<crate::alerts::Alerts>>,
    sessions: Option<Arc<SessionStore>>,
    reload: Arc<std::sync::Mutex<Vec<Uuid>>>,
    mut rx: mpsc::Receiver<Stored>,
    stats: Arc<Stats>,
) {
    while let Some(first) = rx.recv().await {
        // The session changes of every group already waiting are committed together:
        // under load one transaction (one write of the pages it touches, one fsync)
        // serves several groups; alone, a group is committed at once.
        let mut steps = Vec::new();
        let mut next = Some(first);
        let mut groups = 0;
        while let Some(stored) = next {
            if let Some(alerts) = &alerts {
                alerts.observe(&stored.points, now_us(), true, true).await;
            }
            steps.extend(stored.sessions);
            groups += 1;
            next = if groups < SESSION_GROUPS {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if let Some(store) = &sessions
            && let Err(devices) = commit_sessions(store.clone(), steps).await
        {
            stats.session_failures.fetch_add(1, Ordering::Relaxed);
            reload
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(devices);
        }
    }
}

/// Stores a batch's WiFi session changes in one transaction. A failure is logged and its
/// devices returned, so that their views are reloaded from the store: sessions are derived
/// data, so ingest does not wait for them.
async fn commit_sessions(store: Arc<SessionStore>, steps: Vec<Step>) -> Result<(), Vec<Uuid>> {
    if steps.is_empty() {
        return Ok(());
    }
    let devices: Vec<Uuid> = steps.iter().map(|s| s.device).collect();
    let r = tokio::task::spawn_blocking(move || store.commit(&steps))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    if let Err(e) = r {
        tracing::warn!(error = %e, "WiFi session changes not stored");
        return Err(devices);
    }
    Ok(())
}
