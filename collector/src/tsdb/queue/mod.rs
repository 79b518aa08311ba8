//! The durable write queue in front of a remote backend (InfluxDB).
//!
//! `write` commits the points to a local redb file ([`store`]) and returns: the caller
//! (the ingest worker) acknowledges samples only after that, so a sample acknowledged is
//! a sample on disk whatever the server does. One drain task ([`WriteQueue::run_drain`])
//! sends the oldest entries in batches of about `batch_points`; a batch leaves the queue
//! only once the backend accepted it. A failure is retried forever after a capped,
//! fully jittered exponential delay ([`backoff`]); a batch the server refuses as
//! malformed (`StoreError::Rejected`, HTTP 400) is split in halves until the refused
//! points are alone, and those go to the dead-letter table (rewriting accepted points is
//! harmless: InfluxDB keeps one point per series and timestamp). Entries are sent again
//! after a crash between the write and the removal: delivery is at least once, storage
//! exactly once.
//!
//! Reads go to the backend, except `latest`, which also looks at the newest queued
//! `short` point of each series, so the device snapshot and `data_collected` stay right
//! while InfluxDB is away (see docs/architecture.md, "InfluxDB backend and write queue").

pub mod backoff;
pub mod store;

pub use store::{DeadLetter, Entry, OpenError, QueueStore, Sent};

use super::{BoxFuture, Point, Query, Retention, Series, StoreError, TimeSeries, WithSummary};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// Batches being delivered at once: the next ones are read, encoded and sent while the
/// oldest is still being written or its removal committed (InfluxDB takes concurrent
/// writes; 4 measured a little faster than 2 in `edgemon-influx-bench`).
pub const IN_FLIGHT: usize = 4;

/// How the queue drains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Points sent in one drain batch, about (whole entries are taken).
    pub batch_points: usize,
    /// First retry delay ceiling; doubles per failed attempt.
    pub backoff_base: Duration,
    /// Most a retry waits.
    pub backoff_max: Duration,
    /// Points the queue holds at most; `write` fails beyond (ingest then backs off and
    /// eventually answers 429).
    pub max_points: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            batch_points: 5000,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(60),
            max_points: 20_000_000,
        }
    }
}

/// Figures for `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Points waiting.
    pub depth_points: AtomicU64,
    /// When the oldest waiting entry was queued (µs since the epoch; 0: empty).
    pub oldest_us: AtomicI64,
    /// Points the backend accepted.
    pub delivered_points: AtomicU64,
    /// Failed backend writes (each retried).
    pub write_failures: AtomicU64,
    /// Points moved to the dead-letter table.
    pub dead_letters: AtomicU64,
}

/// What one [`WriteQueue::drain_batch`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// A batch was delivered (or dead-lettered) and left the queue.
    Batch,
    /// Nothing is queued.
    Empty,
    /// Shutdown came first; the batch stays queued.
    Stopped,
}

/// A [`TimeSeries`] that queues writes durably and drains them into `backend`.
#[derive(Debug)]
pub struct WriteQueue {
    store: Arc<QueueStore>,
    backend: Arc<dyn TimeSeries>,
    settings: Settings,
    /// Woken by each `write` (the drain task sleeps on it when the queue is empty).
    wake: Notify,
    pub stats: Stats,
    clock: fn() -> i64,
}

fn system_now_us() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_micros()).unwrap_or(i64::MAX)
}

impl WriteQueue {
    /// Open the queue file at `path` in front of `backend`.
    pub fn open(
        path: &std::path::Path,
        backend: Arc<dyn TimeSeries>,
        settings: Settings,
    ) -> Result<Self, OpenError> {
        let store = QueueStore::open(path)?;
        let q = WriteQueue {
            store: Arc::new(store),
            backend,
            settings,
            wake: Notify::new(),
            stats: Stats::default(),
            clock: system_now_us,
        };
        q.refresh_depth().map_err(|e| OpenError {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(q)
    }

    /// The queue file (the CLI's dead-letter commands).
    pub fn store(&self) -> &Arc<QueueStore> {
        &self.store
    }

    pub fn backend(&self) -> &Arc<dyn TimeSeries> {
        &self.backend
    }

    fn refresh_depth(&self) -> Result<(), StoreError> {
        let (points, oldest) = self.store.depth()?;
        self.stats.depth_points.store(points, Ordering::Relaxed);
        self.stats
            .oldest_us
            .store(oldest.unwrap_or(0), Ordering::Relaxed);
        Ok(())
    }

    /// Age of the oldest waiting entry at `now_us`, in seconds (0 when empty).
    pub fn oldest_age_secs(&self, now_us: i64) -> u64 {
        match self.stats.oldest_us.load(Ordering::Relaxed) {
            0 => 0,
            t => u64::try_from(now_us.saturating_sub(t) / 1_000_000).unwrap_or(0),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&QueueStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::Unavailable(format!("write queue task failed: {e}")))?
    }

    /// Send queued points to the backend until `shutdown` resolves (what is still
    /// queued then stays on disk for the next start).
    pub async fn run_drain(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let idle = self.wake.notified();
            match self.drain(&mut shutdown, usize::MAX).await {
                Drained::Batch => {}
                Drained::Empty => tokio::select! {
                    () = &mut shutdown => return,
                    () = idle => {}
                },
                Drained::Stopped => return,
            }
        }
    }

    /// Deliver the oldest batch (waiting through failures) and remove it from the queue.
    pub async fn drain_batch(
        &self,
        shutdown: &mut std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    ) -> Drained {
        self.drain(shutdown, 1).await
    }

    /// Deliver up to `limit` batches, [`IN_FLIGHT`] at a time, until the queue has no
    /// more; they leave the queue in order. `Batch` when any was delivered, `Empty` when
    /// none was queued, `Stopped` at shutdown (what is not removed yet stays queued and is
    /// sent again later: harmless, InfluxDB keeps one point per series and time).
    async fn drain(
        &self,
        shutdown: &mut std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
        limit: usize,
    ) -> Drained {
        let max = self.settings.batch_points.max(1);
        let mut flying = futures_util::stream::FuturesOrdered::new();
        let (mut after, mut taken, mut delivered) = (None, 0, false);
        loop {
            while flying.len() < IN_FLIGHT && taken < limit {
                let Some(batch) = self.read_after(after, max, shutdown).await else {
                    return Drained::Stopped;
                };
                let Some((last, _)) = batch.last() else {
                    break;
                };
                after = Some(*last);
                taken += 1;
                let sent: Vec<Sent> = batch.iter().map(|(s, e)| Sent::new(*s, e)).collect();
                let points: Vec<Point> = batch.into_iter().flat_map(|(_, e)| e.points).collect();
                flying.push_back(async move {
                    let count = points.len() as u64;
                    let dead = self.deliver(points).await;
                    (sent, count, dead)
                });
            }
            let next = tokio::select! {
                () = shutdown.as_mut() => return Drained::Stopped,
                next = futures_util::StreamExt::next(&mut flying) => next,
            };
            let Some((sent, count, dead)) = next else {
                return if delivered {
                    Drained::Batch
                } else {
                    Drained::Empty
                };
            };
            self.settle(sent, count, dead).await;
            delivered = true;
        }
    }

    /// The oldest entries after `after`, retrying while the queue file cannot be read;
    /// `None` at shutdown. A read under way is finished, not abandoned: an abandoned
    /// blocking read would keep the file open (and locked) after the drain returned.
    async fn read_after(
        &self,
        after: Option<u64>,
        max: usize,
        shutdown: &mut std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    ) -> Option<Vec<(u64, Entry)>> {
        let mut attempt = 0;
        loop {
            match self.blocking(move |s| s.peek_after(after, max)).await {
                Ok(b) => return Some(b),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the write queue; retrying");
                    tokio::select! {
                        () = shutdown.as_mut() => return None,
                        () = tokio::time::sleep(self.delay(attempt)) => {}
                    }
                    attempt += 1;
                }
            }
        }
    }

    /// A delivered batch leaves the queue (retrying: until then it would be sent again).
    async fn settle(&self, sent: Vec<Sent>, count: u64, dead: Vec<DeadLetter>) {
        self.stats
            .delivered_points
            .fetch_add(count - dead.len() as u64, Ordering::Relaxed);
        self.stats
            .dead_letters
            .fetch_add(dead.len() as u64, Ordering::Relaxed);
        for d in &dead {
            tracing::warn!(measurement = %d.point.measurement, time_us = d.point.time_us, error = %d.error, "point refused by the time-series backend; kept as a dead letter");
        }
        let (sent, dead) = (Arc::new(sent), Arc::new(dead));
        let mut attempt = 0;
        loop {
            let (s, d) = (sent.clone(), dead.clone());
            match self.blocking(move |st| st.settle(&s, &d)).await {
                Ok(()) => break,
                Err(e) => {
                    // Delivered but still queued: sent again later, which is harmless.
                    tracing::warn!(error = %e, "cannot remove delivered points from the write queue; retrying");
                    let wait = self.delay(attempt);
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
            }
        }
        if let Err(e) = self.refresh_depth() {
            tracing::warn!(error = %e, "cannot read the write queue's depth");
        }
    }

    fn delay(&self, attempt: u32) -> Duration {
        backoff::delay(
            attempt,
            self.settings.backoff_base,
            self.settings.backoff_max,
            fastrand::u64(..),
        )
    }

    /// Write `points` until the backend has each one or refused it; the refused ones as
    /// dead letters. Waits through failures (the caller drops it at shutdown).
    async fn deliver(&self, points: Vec<Point>) -> Vec<DeadLetter> {
        let mut dead = Vec::new();
        let mut work = vec![points];
        let mut attempt = 0u32;
        while let Some(chunk) = work.pop() {
            match self.backend.write_slice(&chunk).await {
                Ok(()) => attempt = 0,
                Err(StoreError::Rejected(error)) if chunk.len() == 1 => {
                    let point = chunk.into_iter().next().expect("one point");
                    dead.push(DeadLetter {
                        time_us: (self.clock)(),
                        error,
                        point,
                    });
                }
                Err(StoreError::Rejected(_)) => {
                    let mut first = chunk;
                    let second = first.split_off(first.len() / 2);
                    work.push(second);
                    work.push(first);
                }
                Err(e) => {
                    self.stats.write_failures.fetch_add(1, Ordering::Relaxed);
                    let wait = self.delay(attempt);
                    attempt = attempt.saturating_add(1);
                    tracing::warn!(error = %e, points = chunk.len(), retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "time-series backend write failed; retrying");
                    work.push(chunk);
                    tokio::time::sleep(wait).await;
                }
            }
        }
        dead
    }
}

impl TimeSeries for WriteQueue {
    fn write(&self, points: Vec<Point>) -> BoxFuture<'_, Result<(), StoreError>> {
        self.write_shared(Arc::new(points))
    }

    /// The queue only serialises the points: shared, not copied.
    fn write_shared(&self, points: Arc<Vec<Point>>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            if points.is_empty() {
                return Ok(());
            }
            let (now, max) = ((self.clock)(), self.settings.max_points);
            let n = points.len() as u64;
            self.blocking(move |s| s.append(&points, now, max)).await?;
            self.stats.depth_points.fetch_add(n, Ordering::Relaxed);
            let _ =
                self.stats
                    .oldest_us
                    .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
            self.wake.notify_one();
            Ok(())
        })
    }

    fn query(&self, query: Query) -> BoxFuture<'_, Result<Vec<Series>, StoreError>> {
        self.backend.query(query)
    }

    fn query_with_summary(&self, query: Query) -> BoxFuture<'_, Result<WithSummary, StoreError>> {
        self.backend.query_with_summary(query)
    }

    /// The newer of the backend's and the queue's newest point; the queue's alone when
    /// the backend cannot answer (InfluxDB down) but the queue has one.
    fn latest(
        &self,
        retention: Retention,
        measurement: String,
        tags: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<Option<Point>, StoreError>> {
        Box::pin(async move {
            let (m, t) = (measurement.clone(), tags.clone());
            let queued = self.blocking(move |s| s.latest(retention, &m, &t)).await?;
            let stored = self.backend.latest(retention, measurement, tags).await;
            match (stored, queued) {
                (Ok(a), Some(b)) => Ok(Some(match a {
                    Some(a) if a.time_us > b.time_us => a,
                    _ => b,
                })),
                (Ok(a), None) => Ok(a),
                (Err(_), Some(b)) => Ok(Some(b)),
                (Err(e), None) => Err(e),
            }
        })
    }

    /// Queued points of the series go first, so none reaches the backend after the drop.
    fn delete_series(
        &self,
        measurement: String,
        tags: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let (m, t) = (measurement.clone(), tags.clone());
            self.blocking(move |s| s.delete_matching(&m, &t)).await?;
            self.refresh_depth()?;
            self.backend.delete_series(measurement, tags).await
        })
    }
}

#[cfg(test)]
mod tests;
