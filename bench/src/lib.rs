//! edgemon's benchmark commands. Each command starts the real binaries (never in-process
//! shortcuts), drives them over real sockets on loopback, and prints one report; the
//! reusable parts live here so that later figures (issue 12) share them.
//!
//! Data flow of `edgemon-loadgen` (OpenWISP-mode HTTP ingest):
//!
//! ```text
//! collector::Collector  fresh data dir, `org add` via the CLI, `serve` on a free port
//!        │
//! openwisp::fleet       N devices register over POST /controller/device/register/
//!        │
//! openwisp::drive       C keep-alive connections post openwisp::payload documents
//!        │                (429 → wait Retry-After on that connection, then resend)
//! stats / procfs        latencies, status counts, the collector's RSS and CPU time
//!        │
//! collector::Collector  SIGTERM, time the drain of the ingest queue
//! ```
//!
//! `edgemon-native-bench` (`native`) reuses the collector, the fleet registration and the
//! payloads, and sends native batches over HTTP or through a mosquitto it starts.
//!
//! The pure parts (payload generation, statistics, `/proc` parsing, registration replies)
//! are unit- and property-tested; the async shells are exercised by `tests/loadgen.rs`.

pub mod client;
pub mod collector;
pub mod native;
pub mod openwisp;
pub mod procfs;
pub mod stats;
pub mod suite;
