//! `GET /metrics`: the collector's own figures in the Prometheus text format.

use super::AppState;
use crate::ingest::Stats;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

fn line(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    let _ = write!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
    );
}

/// The native path's counters.
fn native_counters(s: &Stats) -> [(&'static str, &'static str, &AtomicU64); 7] {
    [
        (
            "edgemon_native_batches_total",
            "Native batches stored and acknowledged.",
            &s.native_batches,
        ),
        (
            "edgemon_native_duplicates_total",
            "Native samples ignored because they were already stored.",
            &s.native_duplicates,
        ),
        (
            "edgemon_openwisp_duplicates_total",
            "OpenWISP samples ignored because they were already stored (sent again after a lost answer).",
            &s.openwisp_duplicates,
        ),
        (
            "edgemon_native_lost_total",
            "Sequence numbers counted as lost: gaps below a batch's oldest sample (samples the devices dropped).",
            &s.native_lost,
        ),
        (
            "edgemon_native_late_total",
            "Samples counted as lost that arrived later (reordered) and were stored.",
            &s.native_late,
        ),
        (
            "edgemon_native_invalid_total",
            "Native samples refused because their document is invalid.",
            &s.native_invalid,
        ),
        (
            "edgemon_ingest_ledger_failures_total",
            "Failed commits of the native ingest ledger (each retried).",
            &s.ledger_failures,
        ),
    ]
}

/// The MQTT side's figures; dead letters with a `reason` label.
fn mqtt_metrics(out: &mut String, m: &crate::mqtt::Stats) {
    let name = "edgemon_mqtt_dead_letters_total";
    let _ = write!(
        out,
        "# HELP {name} MQTT messages not ingested, kept in the dead-letter table, by reason.\n# TYPE {name} counter\n"
    );
    for (reason, v) in crate::mqtt::check::DeadReason::ALL.iter().zip(&m.dead) {
        let _ = writeln!(
            out,
            "{name}{{reason=\"{}\"}} {}",
            reason.name(),
            v.load(Ordering::Relaxed)
        );
    }
    for (name, help, v) in [
        (
            "edgemon_mqtt_batches_total",
            "Native batches received over MQTT, stored and acknowledged to the broker.",
            &m.batches,
        ),
        (
            "edgemon_mqtt_status_updates_total",
            "Device online/offline messages recorded.",
            &m.status_updates,
        ),
        (
            "edgemon_mqtt_connections_total",
            "Connections to the MQTT broker established.",
            &m.connections,
        ),
    ] {
        line(out, name, "counter", help, v.load(Ordering::Relaxed));
    }
    line(
        out,
        "edgemon_mqtt_connected",
        "gauge",
        "1 while connected to the MQTT broker.",
        u64::from(m.connected.load(Ordering::Relaxed)),
    );
}

/// The InfluxDB write queue's figures.
fn queue_metrics(out: &mut String, q: &crate::tsdb::queue::WriteQueue) {
    let s = &q.stats;
    for (name, kind, help, v) in [
        (
            "edgemon_tsdb_queue_depth_points",
            "gauge",
            "Points in the durable write queue, not yet accepted by InfluxDB.",
            s.depth_points.load(Ordering::Relaxed),
        ),
        (
            "edgemon_tsdb_queue_oldest_age_seconds",
            "gauge",
            "Age of the oldest queued point (0 when the queue is empty).",
            q.oldest_age_secs(crate::registry::now_us()),
        ),
        (
            "edgemon_tsdb_queue_delivered_points_total",
            "counter",
            "Points InfluxDB accepted from the write queue.",
            s.delivered_points.load(Ordering::Relaxed),
        ),
        (
            "edgemon_tsdb_queue_write_failures_total",
            "counter",
            "Failed writes to InfluxDB (each retried with backoff).",
            s.write_failures.load(Ordering::Relaxed),
        ),
        (
            "edgemon_tsdb_queue_dead_letters_total",
            "counter",
            "Points InfluxDB refused as malformed (HTTP 400), kept in the dead-letter table.",
            s.dead_letters.load(Ordering::Relaxed),
        ),
    ] {
        line(out, name, kind, help, v);
    }
}

/// The ingest queue's fill and the devices with a wrong clock.
fn ingest_gauges(out: &mut String, state: &AppState) {
    line(
        out,
        "edgemon_ingest_queue_depth",
        "gauge",
        "Samples waiting in the ingest queue.",
        state.pipeline.depth() as u64,
    );
    line(
        out,
        "edgemon_ingest_queue_bytes",
        "gauge",
        "Bytes of the documents waiting in the ingest queue.",
        state.pipeline.queued_bytes() as u64,
    );
    line(
        out,
        "edgemon_devices_clock_skewed",
        "gauge",
        "Devices whose newest sample shows a clock more than 5 min ahead or 1 h behind.",
        state.skews.count() as u64,
    );
    if let Some(checks) = &state.checks {
        check_figures(out, checks);
    }
}

/// The check runner's counters and the time its checks take (a summary without quantiles:
/// `rate(_sum) / rate(_count)` is the mean duration).
fn check_figures(out: &mut String, stats: &crate::checks::runner::CheckStats) {
    let runs = stats.runs.load(Ordering::Relaxed);
    line(
        out,
        "edgemon_check_runs_total",
        "counter",
        "Active checks run (ping, data_collected, wifi_clients).",
        runs,
    );
    line(
        out,
        "edgemon_check_failures_total",
        "counter",
        "Checks that failed to run or to store their result.",
        stats.failures.load(Ordering::Relaxed),
    );
    #[allow(clippy::cast_precision_loss)]
    let seconds = stats.duration_us.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(
        out,
        "# HELP edgemon_check_duration_seconds Time checks take, from start to evaluated result."
    );
    let _ = writeln!(out, "# TYPE edgemon_check_duration_seconds summary");
    let _ = writeln!(out, "edgemon_check_duration_seconds_sum {seconds}");
    let _ = writeln!(out, "edgemon_check_duration_seconds_count {runs}");
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let s = &state.pipeline.stats;
    let mut out = String::new();
    let counters = [
        (
            "edgemon_ingest_accepted_total",
            "Samples accepted into the ingest queue.",
            &s.accepted,
        ),
        (
            "edgemon_ingest_rejected_full_total",
            "Samples refused with 429 because the queue was full.",
            &s.rejected_full,
        ),
        (
            "edgemon_ingest_stored_total",
            "Samples derived and written to the time-series store.",
            &s.stored,
        ),
        (
            "edgemon_ingest_points_total",
            "Time-series points written.",
            &s.points,
        ),
        (
            "edgemon_ingest_write_failures_total",
            "Failed time-series writes (each retried).",
            &s.write_failures,
        ),
    ];
    for (name, help, v) in counters.into_iter().chain(native_counters(s)) {
        line(&mut out, name, "counter", help, v.load(Ordering::Relaxed));
    }
    ingest_gauges(&mut out, &state);
    line(
        &mut out,
        "edgemon_ingest_session_failures_total",
        "counter",
        "Batches whose WiFi session changes could not be stored.",
        s.session_failures.load(Ordering::Relaxed),
    );
    if let Some(store) = &state.embedded {
        let st = store.stats();
        line(
            &mut out,
            "edgemon_tsdb_commits_total",
            "counter",
            "Write transactions of the embedded store.",
            st.write_commits.load(Ordering::Relaxed),
        );
        line(
            &mut out,
            "edgemon_tsdb_points_written_total",
            "counter",
            "Points committed by the embedded store.",
            st.points_written.load(Ordering::Relaxed),
        );
        if let Ok(size) = store.file_size() {
            line(
                &mut out,
                "edgemon_tsdb_file_bytes",
                "gauge",
                "Size of the embedded store's file.",
                size,
            );
        }
    }
    if let Some(queue) = &state.queue {
        queue_metrics(&mut out, queue);
    }
    if let Some(alerts) = &state.alerts {
        crate::alerts::metrics::render(&mut out, alerts).await;
    }
    if let Some(m) = &state.mqtt {
        mqtt_metrics(&mut out, m);
    }
    if let Ok(devices) = state.registry.devices(None) {
        line(
            &mut out,
            "edgemon_registry_devices",
            "gauge",
            "Devices in the registry.",
            devices.len() as u64,
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
