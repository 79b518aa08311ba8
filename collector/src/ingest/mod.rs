//! The ingest pipeline: accepted samples wait in a bounded queue; one worker derives their
//! metrics and writes them to the time-series store in batches.
//!
//! HTTP handlers validate and enqueue; an OpenWISP post is answered once its points are
//! durably stored (`ingest.ack = "stored"`, the default: a collector killed right after
//! answering 200 has not lost the sample the agent then deleted) or, with `"queued"`, as
//! soon as it is queued (as the reference's view enqueues a celery task). A full queue is
//! answered with 429 so memory stays bounded under overload. Samples of one device are processed in arrival order by a
//! single worker, which the counter deltas need.
//!
//! Native batches (`native`, `seen`, `ledger`) take the same queue and worker, but their
//! sender waits: the worker answers each batch only after its points are written and the
//! device's ledger (settled sequence numbers, counters) is committed to `ingest.redb`.

pub mod ledger;
pub mod native;
pub mod seen;
pub mod skew;
mod worker;

pub use ledger::Ledger;
pub use native::Outcome;
pub use worker::Processor;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{mpsc, oneshot};
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
    /// Answered once the sample's points are durably stored (`ingest.ack = "stored"`);
    /// `None` when the sender does not wait (`"queued"`, as the reference answers).
    pub stored: Option<oneshot::Sender<()>>,
}

/// One native batch, already authenticated as its device's.
#[derive(Debug)]
pub struct NativeJob {
    pub device: Uuid,
    pub org: Uuid,
    pub samples: Vec<edgemon_shared::envelope::Sample>,
    /// Answered once the batch is durably stored (dropped if the worker stops first).
    pub done: oneshot::Sender<Outcome>,
}

/// What the queue carries.
#[derive(Debug)]
enum Work {
    Sample(Job),
    Native(NativeJob),
}

/// Counters about the pipeline, for logs and `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    pub accepted: AtomicU64,
    pub rejected_full: AtomicU64,
    pub stored: AtomicU64,
    pub points: AtomicU64,
    pub write_failures: AtomicU64,
    /// Native batches acknowledged (stored).
    pub native_batches: AtomicU64,
    /// Native samples ignored as already stored.
    pub native_duplicates: AtomicU64,
    /// OpenWISP samples ignored as already stored (sent again after a lost answer).
    pub openwisp_duplicates: AtomicU64,
    /// Sequence numbers counted as lost (gaps: samples the devices dropped).
    pub native_lost: AtomicU64,
    /// Samples counted as lost that arrived later anyway (reordered), and were stored.
    pub native_late: AtomicU64,
    /// Native samples whose document is invalid (not stored).
    pub native_invalid: AtomicU64,
    /// Failed ledger commits (each retried; the batch waits).
    pub ledger_failures: AtomicU64,
    /// Batches whose WiFi session changes could not be stored (not retried).
    pub session_failures: AtomicU64,
}

/// The queue is full: try again later.
#[derive(Debug, thiserror::Error)]
#[error("the ingest queue is full")]
pub struct Full;

/// The worker has stopped.
#[derive(Debug, thiserror::Error)]
#[error("the ingest worker has stopped")]
pub struct Stopped;

/// The sending side, cloned into every handler.
#[derive(Debug, Clone)]
pub struct Pipeline {
    tx: mpsc::Sender<Work>,
    pub stats: Arc<Stats>,
    /// Bytes of the samples waiting in the queue, and the most allowed.
    bytes: Arc<Budget>,
    max_bytes: usize,
}

/// Bytes of the documents in the queue; the worker releases them as it takes jobs and
/// wakes the senders waiting for room.
#[derive(Debug, Default)]
struct Budget {
    used: AtomicUsize,
    freed: tokio::sync::Notify,
}

impl Budget {
    /// Takes `bytes` if they fit under `max`; a queue holding nothing takes any single
    /// job, however large, so that no job is refused forever.
    fn try_reserve(&self, bytes: usize, max: usize) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used == 0 || used.saturating_add(bytes) <= max).then_some(used + bytes)
            })
            .is_ok()
    }

    /// Waits until `bytes` fit under `max`, then takes them.
    async fn reserve(&self, bytes: usize, max: usize) {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check: a release between the check and the wait
            // still wakes this sender.
            freed.as_mut().enable();
            if self.try_reserve(bytes, max) {
                return;
            }
            freed.await;
        }
    }

    fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
        self.freed.notify_waiters();
    }

    fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

impl Work {
    /// What the job holds in memory, about: the documents' bytes.
    fn bytes(&self) -> usize {
        match self {
            Work::Sample(job) => job.body.len(),
            Work::Native(job) => job.samples.iter().map(|s| s.document.as_str().len()).sum(),
        }
    }
}

impl Pipeline {
    /// Queue a sample without waiting; `Full` when the queue has no room.
    pub fn submit(&self, job: Job) -> Result<(), Full> {
        self.push(Work::Sample(job), 1)
    }

    /// Queue a native batch without waiting (it takes one place in the queue); its
    /// `done` is answered once it is stored. `Full` when the queue has no room.
    pub fn submit_native(&self, job: NativeJob) -> Result<(), Full> {
        let n = job.samples.len() as u64;
        self.push(Work::Native(job), n)
    }

    /// Queue a native batch, waiting for room, by count and by bytes: until the queue
    /// holds at most `read_ahead` bytes with it (and never more than its own limit).
    /// MQTT: the broker keeps what waits behind it. `Err` once the worker has stopped.
    pub async fn send_native(&self, job: NativeJob, read_ahead: usize) -> Result<(), Stopped> {
        let n = job.samples.len() as u64;
        let work = Work::Native(job);
        let bytes = work.bytes();
        tokio::select! {
            () = self.bytes.reserve(bytes, read_ahead.min(self.max_bytes)) => {}
            () = self.tx.closed() => return Err(Stopped),
        }
        if self.tx.send(work).await.is_err() {
            self.bytes.release(bytes);
            return Err(Stopped);
        }
        self.stats.accepted.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }

    fn push(&self, work: Work, samples: u64) -> Result<(), Full> {
        let bytes = work.bytes();
        if self.bytes.try_reserve(bytes, self.max_bytes) {
            if self.tx.try_send(work).is_ok() {
                self.stats.accepted.fetch_add(samples, Ordering::Relaxed);
                return Ok(());
            }
            self.bytes.release(bytes);
        }
        self.stats.rejected_full.fetch_add(1, Ordering::Relaxed);
        Err(Full)
    }

    /// Bytes of the samples waiting in the queue.
    pub fn queued_bytes(&self) -> usize {
        self.bytes.used()
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
    start_bounded(processor, capacity, usize::MAX, batch_max)
}

/// [`start`] with the queue bounded by the samples' bytes too (`max_bytes`): a full queue
/// is `capacity` jobs or `max_bytes` of documents, whichever comes first.
pub fn start_bounded(
    processor: Processor,
    capacity: usize,
    max_bytes: usize,
    batch_max: usize,
) -> (Pipeline, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(capacity);
    let stats = Arc::new(Stats::default());
    let bytes = Arc::new(Budget::default());
    let handle = tokio::spawn(worker::run(
        processor,
        rx,
        batch_max,
        stats.clone(),
        bytes.clone(),
    ));
    (
        Pipeline {
            tx,
            stats,
            bytes,
            max_bytes,
        },
        handle,
    )
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    fn pipeline(max_bytes: usize) -> (Pipeline, mpsc::Receiver<Work>) {
        let (tx, rx) = mpsc::channel(10);
        let p = Pipeline {
            tx,
            stats: Arc::new(Stats::default()),
            bytes: Arc::new(Budget::default()),
            max_bytes,
        };
        (p, rx)
    }

    fn job(bytes: usize) -> Job {
        Job {
            device: Uuid::nil(),
            org: Uuid::nil(),
            body: bytes::Bytes::from(vec![b' '; bytes]),
            time_us: 0,
            stored: None,
        }
    }

    #[tokio::test]
    async fn a_sender_with_a_smaller_read_ahead_waits_below_the_queue_limit() {
        let (p, mut rx) = pipeline(1000);
        p.send_native(native(60).0, 100).await.unwrap();
        let p2 = p.clone();
        let waiting = tokio::spawn(async move { p2.send_native(native(60).0, 100).await });
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert!(
            !waiting.is_finished(),
            "60 + 60 > 100, though under the queue's 1000: the sender waits"
        );
        // Another sender with the queue's own limit is not held back by it.
        p.send_native(native(60).0, usize::MAX).await.unwrap();
        assert_eq!(p.queued_bytes(), 120);
        take(&p, &mut rx).await;
        take(&p, &mut rx).await;
        woken(waiting, "woken once the queue is below the read-ahead").await;
        assert_eq!(p.queued_bytes(), 60);
    }

    #[test]
    fn the_queue_is_bounded_by_bytes_as_well_as_by_count() {
        let (p, _rx) = pipeline(100);
        p.submit(job(60)).unwrap();
        assert!(p.submit(job(60)).is_err(), "60 + 60 > 100");
        p.submit(job(30)).unwrap();
        assert_eq!((p.depth(), p.queued_bytes()), (2, 90));
        assert_eq!(p.stats.rejected_full.load(Ordering::Relaxed), 1);
        // An empty queue takes any one job, however large: nothing is refused forever.
        let (p, _rx) = pipeline(100);
        p.submit(job(500)).unwrap();
        assert!(p.submit(job(1)).is_err());
    }

    /// What the worker does when it takes a job.
    async fn take(p: &Pipeline, rx: &mut mpsc::Receiver<Work>) {
        let taken = rx.recv().await.unwrap();
        p.bytes.release(taken.bytes());
    }

    /// A waiting sender's task, once it has queued its job (or failing if it does not).
    async fn woken(waiting: tokio::task::JoinHandle<Result<(), Stopped>>, why: &str) {
        tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect(why)
            .unwrap()
            .unwrap();
    }

    fn native(doc_bytes: usize) -> (NativeJob, oneshot::Receiver<Outcome>) {
        let (done, answer) = oneshot::channel();
        let document = format!("\"{}\"", "x".repeat(doc_bytes - 2));
        let sample = edgemon_shared::envelope::Sample {
            seq: 1,
            collected_at_us: 0,
            document: edgemon_shared::envelope::Document::from_json(document).unwrap(),
        };
        let job = NativeJob {
            device: Uuid::nil(),
            org: Uuid::nil(),
            samples: vec![sample],
            done,
        };
        (job, answer)
    }

    #[tokio::test]
    async fn a_waiting_sender_gets_room_only_as_the_worker_takes_jobs() {
        let (p, mut rx) = pipeline(100);
        p.send_native(native(60).0, usize::MAX).await.unwrap();
        let p2 = p.clone();
        let waiting = tokio::spawn(async move { p2.send_native(native(60).0, usize::MAX).await });
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished(), "60 + 60 > 100: the sender waits");
        assert_eq!((p.depth(), p.queued_bytes()), (1, 60));
        take(&p, &mut rx).await;
        woken(waiting, "woken once the bytes are released").await;
        assert_eq!((p.depth(), p.queued_bytes()), (1, 60));
        // A stopped worker (its receiver gone) fails a waiting sender instead of
        // leaving it waiting for room forever.
        let p3 = p.clone();
        let waiting = tokio::spawn(async move { p3.send_native(native(60).0, usize::MAX).await });
        drop(rx);
        let r = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("not left waiting")
            .unwrap();
        assert!(r.is_err());
    }

    #[test]
    fn the_count_bound_still_holds_and_refusals_release_their_bytes() {
        let (p, _rx) = pipeline(usize::MAX);
        for _ in 0..10 {
            p.submit(job(1)).unwrap();
        }
        assert!(p.submit(job(1)).is_err(), "10 places");
        assert_eq!(p.queued_bytes(), 10);
    }
}
