//! Throughput of the ingest's second step: derive one validated payload (transform with
//! vendor lookups, metric points, the `device_data` point), after the previous snapshot.
//! Each iteration also copies the validated sample, as a caller that keeps it would.
//!
//! `cargo run --release -p edgemon-collector --example derive_throughput -- [FILE] [SECONDS]`
//! (default: examples/payloads/router-ok.json for 3 s). Prints one JSON line of figures.

use edgemon_collector::derive::{self, DeviceInfo, transform::Options};
use edgemon_shared::validate::parse_and_validate;
use std::io::Write;
use std::time::{Duration, Instant};
use uuid::Uuid;

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
    let sample =
        parse_and_validate(&body).unwrap_or_else(|e| panic!("{path} is not a valid payload: {e}"));
    let device = DeviceInfo {
        id: Uuid::from_u128(1),
        organization_id: Uuid::from_u128(2),
        location_id: Some(Uuid::from_u128(3)),
        floorplan_id: None,
    };
    let previous = derive::derive(&device, None, sample.clone(), 0, Options::default()).snapshot;

    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let (mut n, mut points) = (0u64, 0usize);
    while start.elapsed() < budget {
        for i in 0..100 {
            let d = derive::derive(
                &device,
                Some(&previous),
                sample.clone(),
                i,
                Options::default(),
            );
            points = std::hint::black_box(d.into_points(device.id, i)).len();
        }
        n += 100;
    }
    let elapsed = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let per_second = n as f64 / elapsed;
    let _ = writeln!(
        std::io::stdout(),
        "{{\"figure\":\"derive\",\"payload\":{path:?},\"points_per_doc\":{points},\"docs_per_s\":{per_second:.0},\"us_per_doc\":{:.2}}}",
        1e6 / per_second
    );
}
