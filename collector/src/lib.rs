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

/// Open (or create) a redb file with a bounded page cache. redb's default cache is 1 GiB
/// per file, and the collector keeps five files open: with a large fleet their caches
/// filled up to several GiB of RSS. Each store names the cache its working set needs.
pub fn open_redb(
    path: &std::path::Path,
    cache_mib: usize,
) -> Result<redb::Database, redb::DatabaseError> {
    redb::Database::builder()
        .set_cache_size(cache_mib << 20)
        .create(path)
}
