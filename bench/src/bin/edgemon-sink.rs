//! `edgemon-sink`: a stand-in for `edgemon-collector` that does only the first stages of
//! OpenWISP-mode ingest, to measure the ceiling of the `openwisp_http` benchmark on this
//! machine: `edgemon-loadgen --collector target/release/edgemon-sink` drives it exactly as
//! it drives the collector (same registration, same payloads, same connections).
//!
//! `EDGEMON_SINK_STAGES` chooses how far it goes before answering 200:
//! - `accept`: read the body (HTTP over loopback and the load generator alone);
//! - `parse`: the collector's handler work (`parse_and_validate`, the JSON schema);
//! - `derive` (default): that, then the ingest worker's CPU work without storage: parse
//!   again, derive the metrics from the device's previous counters, build the points
//!   (the 4 KB `device_data` snapshot among them), and drop them.
//!
//! Storage, WiFi sessions and alerts are what it leaves out, so `derive`'s rate bounds
//! what the collector could reach with free storage. `org …` (the load generator's
//! `org add …`) succeeds and does nothing; anything else prints the usage.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use edgemon_collector::derive::{self, DeviceInfo, PreviousCounters, transform};
use edgemon_collector::tsdb::embedded::{Clock as _, SystemClock};
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stages {
    Accept,
    Parse,
    Derive,
}

#[derive(Debug)]
struct Sink {
    stages: Stages,
    org: Uuid,
    /// Each device's counters from its previous sample (as the worker keeps them).
    previous: Mutex<HashMap<Uuid, PreviousCounters>>,
    registered: std::sync::atomic::AtomicU32,
}

const USAGE: &str = "usage: EDGEMON_SINK_STAGES=accept|parse|derive edgemon-sink serve
  a stand-in for edgemon-collector for the load generator
  (edgemon-loadgen --collector edgemon-sink): answers registrations and samples after
  the chosen ingest stages (default derive), listening on EDGEMON__HTTP__LISTEN;
  `org ...` does nothing (docs/benchmarks.md)";

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "edgemon-sink: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    match std::env::args().nth(1).as_deref() {
        Some("serve") => {}
        Some("org") => return Ok(()),
        Some("-h" | "--help") => {
            writeln!(std::io::stdout(), "{USAGE}")?;
            return Ok(());
        }
        _ => anyhow::bail!("{USAGE}"),
    }
    let stages = match std::env::var("EDGEMON_SINK_STAGES").as_deref() {
        Ok("accept") => Stages::Accept,
        Ok("parse") => Stages::Parse,
        Ok("derive") | Err(_) => Stages::Derive,
        Ok(other) => {
            anyhow::bail!("EDGEMON_SINK_STAGES={other:?}: expected accept, parse or derive")
        }
    };
    let listen = std::env::var("EDGEMON__HTTP__LISTEN").unwrap_or_else(|_| "127.0.0.1:0".into());
    let sink = Arc::new(Sink {
        stages,
        org: Uuid::from_u128(0x5eed),
        previous: Mutex::new(HashMap::new()),
        registered: std::sync::atomic::AtomicU32::new(0),
    });
    let app = Router::new()
        .route("/controller/device/register/", post(register))
        .route("/api/v1/monitoring/device/{pk}/", post(sample))
        .with_state(sink);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            // The line `edgemon-collector serve` prints once it listens.
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "edgemon-collector listening on http://{}",
                listener.local_addr()?
            )?;
            out.flush()?;
            drop(out);
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    term.recv().await;
                })
                .await?;
            Ok(())
        })
}

/// A registration reply as the collector's (`key: value` lines), for a new device.
async fn register(State(sink): State<Arc<Sink>>) -> (StatusCode, String) {
    let n = sink
        .registered
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let uuid = Uuid::from_u128(u128::from(n) + 1);
    (
        StatusCode::CREATED,
        format!(
            "registration-result: success\nuuid: {}\nkey: sink-key\nhostname: sink\nis-new: 1\n",
            uuid.simple()
        ),
    )
}

async fn sample(
    State(sink): State<Arc<Sink>>,
    Path(pk): Path<String>,
    body: Bytes,
) -> (StatusCode, &'static str) {
    if sink.stages == Stages::Accept {
        return (StatusCode::OK, "{}");
    }
    if edgemon_shared::validate::parse_and_validate(&body).is_err() {
        return (StatusCode::BAD_REQUEST, "{}");
    }
    if sink.stages == Stages::Derive {
        let Ok(device) = Uuid::parse_str(&pk) else {
            return (StatusCode::NOT_FOUND, "{}");
        };
        derive_and_drop(&sink, device, &body);
    }
    (StatusCode::OK, "{}")
}

/// The ingest worker's CPU work on one sample, up to the points it would store.
fn derive_and_drop(sink: &Sink, device: Uuid, body: &[u8]) {
    let Ok(sample) = edgemon_shared::validate::parse_validated(body) else {
        return;
    };
    let info = DeviceInfo {
        id: device,
        organization_id: sink.org,
        location_id: None,
        floorplan_id: None,
    };
    let previous = sink
        .previous
        .lock()
        .expect("no panic holds it")
        .remove(&device)
        .unwrap_or_default();
    let now_us = SystemClock.now_us();
    let derived = derive::derive_after(
        &info,
        &previous,
        sample,
        now_us,
        transform::Options::default(),
    );
    let counters = PreviousCounters::from_snapshot(&derived.snapshot);
    let points = derived.into_points(device, now_us);
    std::hint::black_box(points);
    sink.previous
        .lock()
        .expect("no panic holds it")
        .insert(device, counters);
}
