//! edgemon-collector as a library: the binary (`main.rs`) is a thin shell over these modules,
//! and the end-to-end tests drive the same code.
//!
//! Data flow: `ingest` (HTTP/MQTT) → `derive` (NetJSON → points, sans-IO) → `tsdb` (storage
//! trait: embedded redb or InfluxDB).

#![forbid(unsafe_code)]

pub mod alerts;
pub mod charts;
pub mod checks;
pub mod config;
pub mod derive;
pub mod http;
pub mod ingest;
pub mod mqtt;
pub mod registry;
pub mod server;
pub mod sessions;
pub mod tsdb;
