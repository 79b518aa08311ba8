//! Prints one document of the OpenWISP load generator (`payload::document_bytes`), to
//! time the ingest's parse on exactly what the benchmarks send:
//!
//! `cargo run --release -p edgemon-bench --example document -- [DEVICE] [ROUND] > doc.json`

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let device: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(7);
    let round: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let time_s = 1_700_000_000 + i64::try_from(round).unwrap_or(0) * 300;
    let body = edgemon_bench::openwisp::payload::document_bytes(device, round, time_s);
    let _ = std::io::stdout().write_all(&body);
}
