//! The ingest pipeline: accepted samples wait in a bounded queue; one worker derives their
//! metrics and writes them to the time-series store in batches.
//!
//! HTTP handlers only validate and enqueue (as the reference's view enqueues a celery task),
//! so the answer does not wait for storage; a full queue is answered with 429 so memory
//! stays bounded under overload. Samples of one device are processed in arrival order by a
//! single worker, which the counter deltas need.

mod worker;

pub use worker::Processor;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use uuid::Uuid;

/// One accepted sample.
#[derive(Debug)]
pub struct Job {
    pub device: Uuid,
    pub org: Uuid,
    /// The request body, already validated by the handler. Kept as bytes (about 4 KB for
    /// a router) rather than parsed values (about 80 KB in memory), so a full queue stays
    /// small; the worker parses it again.
    pub body: bytes::Bytes,
    /// The sample's time (the `time` parameter, or arrival time), µs since the epoch.
    pub time_us: i64,
}

/// Counters about the pipeline, for logs and `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    pub accepted: AtomicU64,
    pub rejected_full: AtomicU64,
    pub stored: AtomicU64,
    pub points: AtomicU64,
    pub write_failures: AtomicU64,
}

/// The queue is full: try again later.
#[derive(Debug, thiserror::Error)]
#[error("the ingest queue is full")]
pub struct Full;

/// The sending side, cloned into every handler.
#[derive(Debug, Clone)]
pub struct Pipeline {
    tx: mpsc::Sender<Job>,
    pub stats: Arc<Stats>,
}

impl Pipeline {
    /// Queue a sample without waiting; `Full` when the queue has no room.
    pub fn submit(&self, job: Job) -> Result<(), Full> {
        match self.tx.try_send(job) {
            Ok(()) => {
                self.stats.accepted.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(_) => {
                self.stats.rejected_full.fetch_add(1, Ordering::Relaxed);
                Err(Full)
            }
        }
    }

    /// Samples waiting in the queue.
    pub fn depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

/// Start the worker. It stops once every [`Pipeline`] clone is dropped and the queue is
/// drained; await the handle for a graceful shutdown.
pub fn start(
    processor: Processor,
    capacity: usize,
    batch_max: usize,
) -> (Pipeline, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(capacity);
    let stats = Arc::new(Stats::default());
    let handle = tokio::spawn(worker::run(processor, rx, batch_max, stats.clone()));
    (Pipeline { tx, stats }, handle)
}
