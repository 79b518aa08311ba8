//! edgemon-agent: collects what a router knows about itself as NetJSON DeviceMonitoring.
//!
//! Data flow: [`source`] (live system or capture bundle) -> [`collect`] (sans-IO parsers,
//! one per source, and the assembly of one sample) -> [`queue`] (durable, bounded, redb)
//! -> [`deliver`] (when and what to send, HTTP transports), driven by [`daemon`] with the
//! settings of [`config`].

#![forbid(unsafe_code)]

pub mod collect;
pub mod config;
pub mod daemon;
pub mod deliver;
pub mod queue;
pub mod register;
pub mod source;
