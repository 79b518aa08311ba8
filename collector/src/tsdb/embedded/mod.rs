//! The embedded time-series store: [`TimeSeries`] on one redb file.
//!
//! Data flow: `write` → bounded queue → the writer thread ([`writer`]) groups queued
//! requests into one transaction ([`ingest`]) and answers each after the commit; queries
//! and `latest` run in read transactions on tokio's blocking pool ([`read`]) and evaluate
//! with the sans-IO [`aggregate`] core; the retention sweep and series deletion
//! ([`retention`]) run on the writer thread in bounded chunks between write groups. The
//! table layout is in [`layout`] and in docs/architecture.md ("Embedded time-series store").

pub(crate) mod aggregate;
mod config;
mod ingest;
mod layout;
mod read;
mod retention;
mod rollup;
#[cfg(test)]
#[path = "rollup_tests.rs"]
mod rollup_tests;
mod writer;

pub use aggregate::MAX_BUCKETS;
pub use config::{Clock, EmbeddedConfig, ManualClock, SystemClock};
pub use retention::SweepReport;

use super::{BoxFuture, Point, Query, Retention, Series, StoreError, TimeSeries, WithSummary};
use layout::db_err;
use redb::{Database, ReadableTable};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use tokio::sync::{mpsc, oneshot};
use writer::{Command, Writer};

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open time-series database {path}: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: redb::DatabaseError,
    },
    #[error("cannot prepare time-series database {path}: {message}")]
    Prepare { path: PathBuf, message: String },
    #[error("cannot start the time-series writer thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// The embedded store. Cheap to share behind an `Arc`; dropping it lets the writer finish
/// the queued requests and stop ([`EmbeddedStore::close`] also waits for that).
pub struct EmbeddedStore {
    /// Shared with the writer thread and with readers on the blocking pool.
    db: Arc<Database>,
    /// The writer thread's queue; bounded, so callers wait when ingest outruns the disk.
    commands: mpsc::Sender<Command>,
    /// Retention durations for queries (the writer has its own copy).
    config: EmbeddedConfig,
    clock: Arc<dyn Clock>,
    /// Joined by `close`.
    thread: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
    stats: Arc<Stats>,
}

/// A page of [`EmbeddedStore::export_page`]: the points, the cursor of the last row read
/// (`None` at the end), and the rows read (expired ones included).
pub type ExportPage = (Vec<Point>, Option<(u64, i64)>, u64);

/// Counters the writer keeps (exported as metrics; tests check group commit with them).
#[derive(Debug, Default)]
pub struct Stats {
    /// Write transactions committed (one per group of requests).
    pub write_commits: AtomicU64,
    /// Write requests answered after a commit.
    pub write_requests: AtomicU64,
    /// Points stored (before merging duplicates; without points dropped as expired).
    pub points_written: AtomicU64,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("path", &self.path)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Open (or create) the database at `path` and start its writer thread. Needs no
    /// runtime; the async methods need a tokio runtime.
    pub fn open(
        path: impl AsRef<Path>,
        config: EmbeddedConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let db = Database::builder()
            .set_cache_size(config.cache_mib.saturating_mul(1 << 20))
            .create(&path)
            .map_err(|source| OpenError::Database {
                path: path.clone(),
                source,
            })?;
        let prepare = |message: StoreError| OpenError::Prepare {
            path: path.clone(),
            message: message.to_string(),
        };
        let (catalog, garbage) = prepare_tables(&db).map_err(prepare)?;
        let db = Arc::new(db);
        let (commands, rx) = mpsc::channel(config.queue_capacity.max(1));
        let stats = Arc::new(Stats::default());
        let writer = Writer {
            db: db.clone(),
            config: config.clone(),
            clock: clock.clone(),
            catalog,
            garbage,
            stats: stats.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("tsdb-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(OpenError::Thread)?;
        Ok(EmbeddedStore {
            db,
            commands,
            config,
            clock,
            thread: Some(thread),
            path,
            stats,
        })
    }

    /// Stop accepting work, let the writer commit what is queued, and wait for it.
    pub async fn close(self) {
        let EmbeddedStore {
            commands,
            thread,
            db,
            ..
        } = self;
        drop(commands);
        drop(db);
        if let Some(handle) = thread {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }

    /// Delete expired points now, as of `now_us` (the periodic task passes the clock's time;
    /// tests pass any time). Resolves when the whole sweep has committed.
    pub async fn sweep(&self, now_us: i64) -> Result<SweepReport, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Sweep { now_us, reply }).await?;
        rx.await.map_err(|_| stopped())?
    }

    /// Sweep every `sweep_interval_secs` until `shutdown` resolves.
    pub async fn run_retention(&self, shutdown: impl std::future::Future<Output = ()>) {
        let mut tick = tokio::time::interval(self.config.sweep_interval());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = tick.tick() => {
                    if let Err(error) = self.sweep(self.clock.now_us()).await {
                        tracing::warn!(%error, "retention sweep failed");
                    }
                }
            }
        }
    }

    /// Points stored, expired or not (the total for `copy-timeseries`' progress).
    pub fn point_rows(&self) -> Result<u64, StoreError> {
        use redb::{ReadableDatabase, ReadableTableMetadata};
        let txn = self.db.begin_read().map_err(db_err)?;
        txn.open_table(layout::POINTS)
            .map_err(db_err)?
            .len()
            .map_err(db_err)
    }

    /// Up to `limit` stored points after `cursor` (series id, time) in series order, the
    /// cursor of the last row read (`None` at the end), and how many rows were read.
    /// Expired points are skipped. For `copy-timeseries`; blocking.
    pub fn export_page(
        &self,
        cursor: Option<(u64, i64)>,
        limit: usize,
    ) -> Result<ExportPage, StoreError> {
        use redb::ReadableDatabase;
        use std::ops::Bound;
        let txn = self.db.begin_read().map_err(db_err)?;
        let points = txn.open_table(layout::POINTS).map_err(db_err)?;
        let meta = txn.open_table(layout::SERIES_META).map_err(db_err)?;
        let start = cursor.map_or(Bound::Unbounded, Bound::Excluded);
        let range = points
            .range::<(u64, i64)>((start, Bound::Unbounded))
            .map_err(db_err)?;
        let (mut out, mut last, mut rows) = (Vec::new(), None, 0u64);
        let mut key: Option<(u64, layout::SeriesKey)> = None;
        for row in range.take(limit) {
            let (k, v) = row.map_err(db_err)?;
            let (id, time_us) = k.value();
            last = Some((id, time_us));
            rows += 1;
            if key.as_ref().is_none_or(|(have, _)| *have != id) {
                let Some(bytes) = meta.get(id).map_err(db_err)? else {
                    continue; // unlinked by delete_series, being purged
                };
                key = Some((id, layout::SeriesKey::decode(bytes.value())?));
            }
            let series = &key.as_ref().expect("just set").1;
            if time_us < self.cutoff(series.retention) {
                continue;
            }
            out.push(Point {
                retention: series.retention,
                measurement: series.measurement.clone(),
                tags: series.tags.clone(),
                fields: layout::decode_fields(v.value())?,
                time_us,
            });
        }
        Ok((out, last, rows))
    }

    /// The writer's counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Bytes the database file occupies (benchmarks, metrics).
    pub fn file_size(&self) -> std::io::Result<u64> {
        std::fs::metadata(&self.path).map(|m| m.len())
    }

    async fn send(&self, command: Command) -> Result<(), StoreError> {
        self.commands.send(command).await.map_err(|_| stopped())
    }

    fn cutoff(&self, retention: Retention) -> i64 {
        self.config.cutoff_us(retention, self.clock.now_us())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!("embedded store: query task failed: {e}"))
            })?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("embedded store: the writer thread has stopped".into())
}

/// Create missing tables; load the field types, the next series id and pending garbage.
fn prepare_tables(
    db: &Database,
) -> Result<(ingest::Catalog, std::collections::VecDeque<u64>), StoreError> {
    let txn = db.begin_write().map_err(db_err)?;
    let mut catalog = ingest::Catalog::default();
    {
        txn.open_table(layout::SERIES).map_err(db_err)?;
        txn.open_table(layout::SERIES_META).map_err(db_err)?;
        txn.open_table(layout::POINTS).map_err(db_err)?;
        txn.open_multimap_table(layout::TAG_INDEX).map_err(db_err)?;
        txn.open_multimap_table(layout::MEASUREMENT_INDEX)
            .map_err(db_err)?;
        let types = txn.open_table(layout::FIELD_TYPES).map_err(db_err)?;
        for row in types.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let (rc, measurement, field) = k.value();
            catalog.field_types[usize::from(rc.min(1))]
                .entry(measurement.to_owned())
                .or_default()
                .insert(field.to_owned(), v.value());
        }
        let meta = txn.open_table(layout::META).map_err(db_err)?;
        catalog.next_series_id = meta
            .get(layout::NEXT_SERIES_ID)
            .map_err(db_err)?
            .map_or(0, |v| v.value());
        rollup::Tables::open(&txn)?;
    }
    catalog.rollup_below = rollup::load_below(&txn)?;
    let garbage = retention::pending_garbage(&txn)?;
    txn.commit().map_err(db_err)?;
    Ok((catalog, garbage))
}

impl TimeSeries for EmbeddedStore {
    fn write(&self, points: Vec<Point>) -> BoxFuture<'_, Result<(), StoreError>> {
        self.write_shared(Arc::new(points))
    }

    /// The writer thread only reads the points: shared, not copied.
    fn write_shared(&self, points: Arc<Vec<Point>>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            if points.is_empty() {
                return Ok(());
            }
            let (reply, rx) = oneshot::channel();
            self.send(Command::Write { points, reply }).await?;
            rx.await.map_err(|_| stopped())?
        })
    }

    fn query(&self, query: Query) -> BoxFuture<'_, Result<Vec<Series>, StoreError>> {
        Box::pin(async move {
            let cutoff = self.cutoff(query.retention);
            self.blocking(move |db| read::query(db, &query, cutoff))
                .await
        })
    }

    fn query_with_summary(&self, query: Query) -> BoxFuture<'_, Result<WithSummary, StoreError>> {
        Box::pin(async move {
            let cutoff = self.cutoff(query.retention);
            self.blocking(move |db| read::query_with_summary(db, &query, cutoff))
                .await
        })
    }

    fn latest(
        &self,
        retention: Retention,
        measurement: String,
        tags: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<Option<Point>, StoreError>> {
        Box::pin(async move {
            let cutoff = self.cutoff(retention);
            self.blocking(move |db| read::latest(db, retention, &measurement, &tags, cutoff))
                .await
        })
    }

    fn delete_series(
        &self,
        measurement: String,
        tags: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            self.send(Command::Delete {
                measurement,
                tags,
                reply,
            })
            .await?;
            rx.await.map_err(|_| stopped())?
        })
    }
}

#[cfg(test)]
mod tests;
