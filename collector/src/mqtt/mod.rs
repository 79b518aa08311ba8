//! Native ingest over MQTT: the collector subscribes to `edgemon/v1/{org}/+/samples` and
//! `…/status` for the organizations it serves, on a persistent session with manual
//! acknowledgements.
//!
//! ```text
//! broker ─► event loop ─► process (in order): topic → registry → check → ingest queue
//!                                                        │ dead letter / status: ledger
//!                                                        ▼
//!                          ack (in order) ◄── batch stored (worker's answer)
//! ```
//!
//! A batch is acknowledged to the broker (PUBACK) only after the ingest worker stored it
//! and committed the device's ledger, so a collector that crashes leaves it with the
//! broker, which delivers it again. Messages that cannot be ingested ([`check`]) are
//! written to the dead-letter table of `ingest.redb`, counted by reason, logged, and
//! acknowledged, so they never stall the subscription. Acknowledgements leave in the order
//! the messages arrived (MQTT 3.1.1 §4.6).

pub mod acl;
pub mod check;
mod shell;
pub mod topic;

pub use shell::{Context, MqttError, run};

use std::sync::atomic::{AtomicBool, AtomicU64};

/// Figures for `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Dead letters by [`check::DeadReason`] (indexed as [`check::DeadReason::ALL`]).
    pub dead: [AtomicU64; 5],
    /// Batches stored and acknowledged to the broker.
    pub batches: AtomicU64,
    /// Status messages recorded.
    pub status_updates: AtomicU64,
    /// Connections to the broker established.
    pub connections: AtomicU64,
    /// Connected right now.
    pub connected: AtomicBool,
}
