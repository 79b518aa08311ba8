//! Throughput of the ingest's first step: parse + validate + type one NetJSON payload.
//!
//! `cargo run --release -p edgemon-shared --example validate_throughput -- [FILE] [SECONDS]`
//! (default: examples/payloads/router-ok.json for 3 s). Prints one JSON line of figures.

use edgemon_shared::validate::parse_and_validate;
use std::io::Write;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/payloads/router-ok.json"
        )
        .into()
    });
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    parse_and_validate(&body).unwrap_or_else(|e| panic!("{path} is not a valid payload: {e}"));

    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            std::hint::black_box(parse_and_validate(std::hint::black_box(&body)).is_ok());
        }
        n += 100;
    }
    let elapsed = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let per_second = n as f64 / elapsed;
    #[allow(clippy::cast_precision_loss)]
    let mb_per_second = per_second * body.len() as f64 / 1e6;
    let _ = writeln!(
        std::io::stdout(),
        "{{\"figure\":\"parse_validate_type\",\"payload\":{path:?},\"bytes\":{},\"docs_per_s\":{per_second:.0},\"mb_per_s\":{mb_per_second:.1},\"us_per_doc\":{:.2}}}",
        body.len(),
        1e6 / per_second
    );
}
