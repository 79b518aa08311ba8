//! The durable on-device queue: every sample is written here, with its sequence number and
//! collection time, before any attempt to send it, and deleted only once a server
//! acknowledged it.
//!
//! # Storage
//!
//! One redb file, two tables:
//! * `samples`: `seq → postcard(Sample)`, the native envelope's
//!   [`Sample`](edgemon_shared::envelope::Sample) (sequence number, collection time in µs,
//!   the NetJSON document as JSON text): what a native batch carries, and the OpenWISP
//!   path sends the document with its time;
//! * `state`: one postcard record with `next_seq`, `dropped`, `rejected`, the last
//!   success time and the last error.
//!
//! Every call that changes the queue is one redb transaction committed with
//! [`redb::Durability::Immediate`]: when it returns, the change survives `kill -9` and power loss,
//! and redb's copy-on-write commit leaves the file readable whatever instant the power is
//! cut (at worst the transaction in flight is lost).
//!
//! # Flash wear
//!
//! Writes are grouped by the callers, not delayed here (a delayed write is a sample that a
//! crash loses): the daemon makes one [`Queue::enqueue`] per collection and one
//! [`Queue::ack`] per delivery cycle carrying every sequence the cycle got acknowledged,
//! and the last error is persisted with the next of those writes instead of on its own. At
//! a 60 s interval that is two commits a minute in steady state; draining a backlog adds
//! one commit per acknowledged batch (native/MQTT: up to a batch of samples; OpenWISP:
//! the samples of one cycle). Point `path` at tmpfs to avoid flash writes entirely, at the
//! price of losing the backlog on reboot.
//!
//! # Bounds
//!
//! [`bounds::evictions`] decides, in the transaction that adds a sample or acknowledges
//! some, which samples are too old or do not fit; they are deleted oldest first and added
//! to the persisted `dropped` counter that every sample reports.
//!
//! A disk that fills before the byte bound is reached (ENOSPC, [`QueueError::is_disk_full`])
//! is handled by the daemon: it reopens the queue, drops the oldest quarter
//! ([`Queue::drop_oldest_share`], counted) and lowers the byte bound of the open handle to
//! three quarters of what the disk held ([`Queue::lower_max_bytes`]), so later samples
//! evict the oldest instead of failing. Deleting works on a full disk (redb reuses the
//! pages a commit frees); `tests/tests/reliability_disk_full.rs` checks it on a real
//! full tmpfs.
//!
//! # Errors
//!
//! After any storage error the handle refuses further work ([`QueueError::Poisoned`]):
//! redb may have half-written a transaction, so the caller reopens the file, which rolls
//! back to the last commit.

pub mod bounds;
mod store;

pub use bounds::Limits;
pub use store::{Enqueued, Queue, Status};

/// Why the queue could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue storage: {0}")]
    Storage(#[from] redb::Error),
    #[error("queue file {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: redb::Error,
    },
    #[error("queue record {seq} is unreadable: {reason}")]
    Corrupt { seq: u64, reason: String },
    #[error("the queue hit a storage error earlier and must be reopened")]
    Poisoned,
}

impl QueueError {
    /// Whether the storage ran out of space (ENOSPC): room can be made by dropping samples.
    pub fn is_disk_full(&self) -> bool {
        let (QueueError::Storage(redb::Error::Io(io))
        | QueueError::Open {
            source: redb::Error::Io(io),
            ..
        }) = self
        else {
            return false;
        };
        io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28)
    }
}

/// Converts any redb error type into [`QueueError::Storage`].
pub(crate) fn storage<E: Into<redb::Error>>(e: E) -> QueueError {
    QueueError::Storage(e.into())
}
